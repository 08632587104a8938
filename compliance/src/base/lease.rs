//! Database leases: at most one holder runs a named job at a time, across processes and
//! servers. A lease expires on its own, so a crashed holder never blocks the job for good.
//! Jobs hold a short lease ([`JOB_LEASE_MS`], 60 s) through a [`LeaseGuard`], whose heartbeat
//! renews it every [`JOB_HEARTBEAT_MS`] (20 s) while the job runs: a killed holder's lease is
//! reclaimed within about a minute.

use crate::base::db::Db;

/// Tries to take (or renew) the lease `name` for `holder` until `until_ms` (Unix ms).
/// Succeeds when the lease is free, expired at `now_ms`, or already ours.
///
/// Errors: database failures only; a lease held by someone else is `Ok(false)`.
pub async fn acquire(
    db: &Db,
    name: &str,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = $2, expires_at = $3 \
         WHERE job_leases.expires_at < $4 OR job_leases.holder = $2",
    )
    .bind(name)
    .bind(holder)
    .bind(until_ms)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease back if `holder` still has it.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM job_leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// How long a job's lease lasts without renewal (ms): a holder that dies is replaced within
/// about a minute. (Conventions: "a dead holder's lease is reclaimed in about a minute".)
pub const JOB_LEASE_MS: i64 = 60_000;

/// How often a running job's lease is renewed (ms): three beats fit in one lease, so two
/// late or failed renewals in a row still do not lose it.
pub const JOB_HEARTBEAT_MS: i64 = 20_000;

/// Gives the lease `name` back only while `holder` has it, moving its expiry to `until_ms`;
/// `Ok(false)` when the lease is gone or someone else holds it.
///
/// Errors: database failures only.
pub async fn renew(db: &Db, name: &str, holder: &str, until_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE job_leases SET expires_at = $1 WHERE name = $2 AND holder = $3 AND expires_at < $1",
    )
    .bind(until_ms)
    .bind(name)
    .bind(holder)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 1 {
        return Ok(true);
    }
    // Nothing moved: either the lease already runs at least that long (still ours) or it is
    // not ours any more.
    let ours: Option<i64> =
        sqlx::query_scalar("SELECT expires_at FROM job_leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .fetch_optional(db.pool())
            .await?;
    Ok(ours.is_some())
}

/// A held lease, kept alive by a heartbeat task while the job runs.
///
/// The task renews the lease every `heartbeat_ms` to "now + `lease_ms`", where now is the
/// job's clock at [`LeaseGuard::take`] plus the real time elapsed since: so a job under a
/// test clock and one under the system clock renew alike, and a killed process simply stops
/// renewing, its lease lapsing `lease_ms` after the last beat. When a renewal finds the lease
/// gone (another holder took it after it lapsed), the guard is marked lost and the beat
/// stops; the job checks [`LeaseGuard::is_lost`] (or calls [`LeaseGuard::renew`]) before each
/// unit of work and stops. Dropping the guard stops the heartbeat (the lease then lapses);
/// [`LeaseGuard::release`] gives it back at once.
#[derive(Debug)]
pub struct LeaseGuard {
    db: Db,
    name: String,
    holder: String,
    lease_ms: i64,
    lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl LeaseGuard {
    /// Takes the lease `name` for `holder` at `now_ms` (the job's clock) for `lease_ms`, and
    /// starts renewing it every `heartbeat_ms`. `Ok(None)` when another live holder has it.
    ///
    /// Errors: database failures only.
    pub async fn take(
        db: &Db,
        name: &str,
        holder: &str,
        now_ms: i64,
        lease_ms: i64,
        heartbeat_ms: i64,
    ) -> Result<Option<LeaseGuard>, sqlx::Error> {
        if !acquire(db, name, holder, now_ms, now_ms.saturating_add(lease_ms)).await? {
            return Ok(None);
        }
        let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat(
            db.clone(),
            name.to_string(),
            holder.to_string(),
            now_ms,
            lease_ms,
            heartbeat_ms,
            lost.clone(),
        ));
        Ok(Some(LeaseGuard {
            db: db.clone(),
            name: name.to_string(),
            holder: holder.to_string(),
            lease_ms,
            lost,
            heartbeat,
        }))
    }

    /// Whether the lease was found taken by someone else: the job must stop.
    pub fn is_lost(&self) -> bool {
        self.lost.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Renews now, on the job's clock at `now_ms` (besides the heartbeat): `Ok(false)`, and
    /// the guard marked lost, when the lease is no longer ours.
    ///
    /// Errors: database failures only.
    pub async fn renew(&self, now_ms: i64) -> Result<bool, sqlx::Error> {
        if self.is_lost() {
            return Ok(false);
        }
        let ours = renew(
            &self.db,
            &self.name,
            &self.holder,
            now_ms.saturating_add(self.lease_ms),
        )
        .await?;
        if !ours {
            self.lost.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(ours)
    }

    /// The lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stops the heartbeat and gives the lease back (if still ours).
    ///
    /// Errors: database failures only.
    pub async fn release(self) -> Result<(), sqlx::Error> {
        self.heartbeat.abort();
        release(&self.db, &self.name, &self.holder).await
    }

    /// Stops the heartbeat without giving the lease back, as a killed process would: the
    /// lease lapses `lease_ms` after the last renewal. For tests of crash recovery.
    pub fn abandon(self) {
        self.heartbeat.abort();
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

async fn heartbeat(
    db: Db,
    name: String,
    holder: String,
    anchor_ms: i64,
    lease_ms: i64,
    heartbeat_ms: i64,
    lost: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let started = tokio::time::Instant::now();
    let period = std::time::Duration::from_millis(u64::try_from(heartbeat_ms.max(1)).unwrap_or(1));
    let mut beat = tokio::time::interval_at(started + period, period);
    loop {
        beat.tick().await;
        let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let until = anchor_ms.saturating_add(elapsed).saturating_add(lease_ms);
        match renew(&db, &name, &holder, until).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(lease = %name, "lease lost to another holder; the job stops");
                lost.store(true, std::sync::atomic::Ordering::SeqCst);
                return;
            }
            // A failed beat is retried at the next one; the lease outlasts two missed beats.
            Err(err) => tracing::warn!(lease = %name, "lease renewal failed: {err}"),
        }
    }
}
