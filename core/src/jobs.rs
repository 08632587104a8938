//! Background work that `heepr serve` runs beside the web server: delivering queued email
//! and forgetting idle rate-limit keys. Each job survives its own errors (logged, retried on
//! the next tick), so one bad row never stops the loop.

use std::time::Duration;

use tokio::task::JoinSet;

use crate::platform::mail::outbox;
use crate::platform::state::AppState;

/// How often the email worker looks for due mail when nobody wakes it.
const EMAIL_POLL: Duration = Duration::from_secs(5);
/// How often a running server renews its presence lease.
const PRESENCE_RENEW: Duration = Duration::from_secs(30);
/// A server that stopped renewing is taken as gone after this long (ms).
pub const PRESENCE_TTL_MS: i64 = 90_000;
/// Lease names of running servers start with this.
pub const PRESENCE_PREFIX: &str = "service:";

/// How often idle login-throttle keys are forgotten.
const THROTTLE_SWEEP: Duration = Duration::from_secs(60);

/// The running background jobs; aborting stops them all.
#[derive(Debug)]
pub struct Jobs(JoinSet<()>);

impl Jobs {
    /// Stops every job.
    pub fn abort(mut self) {
        self.0.abort_all();
    }
}

/// Starts the background jobs for `state`.
pub fn spawn(state: AppState) -> Jobs {
    let mut set = JoinSet::new();
    set.spawn(email_worker(state.clone()));
    if let Some(tz) = state.settings.scheduler {
        let scheduled = state.clone();
        set.spawn(async move {
            let _ = crate::scheduler::spawn(scheduled, tz).await;
        });
    }
    set.spawn(crate::privacy::jobs::worker(state.clone()));
    set.spawn(presence(state.clone()));
    set.spawn(throttle_housekeeping(state));
    Jobs(set)
}

async fn email_worker(state: AppState) {
    loop {
        loop {
            match outbox::deliver_due(&state).await {
                Ok(report) if report.sent + report.failed + report.deferred > 0 => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!("email delivery pass failed: {}", err.public_message());
                    break;
                }
            }
        }
        let _ = tokio::time::timeout(EMAIL_POLL, state.mail_wakeup.notified()).await;
    }
}

async fn throttle_housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(THROTTLE_SWEEP);
    loop {
        tick.tick().await;
        state.throttle.forget_idle();
    }
}

/// Keeps a lease saying "a server runs on this database", so `heepr backup restore` can
/// refuse to pull the database out from under it.
async fn presence(state: AppState) {
    let name = format!("{PRESENCE_PREFIX}{}", crate::platform::tokens::new_id());
    let mut tick = tokio::time::interval(PRESENCE_RENEW);
    loop {
        tick.tick().await;
        let now = state.clock.now_ms();
        if let Err(err) =
            heepr_compliance::lease::acquire(&state.db, &name, &name, now, now + PRESENCE_TTL_MS)
                .await
        {
            tracing::warn!("presence lease: {err}");
        }
    }
}

/// How many servers renewed their presence lease in the last [`PRESENCE_TTL_MS`].
///
/// Errors: the database's.
pub async fn running_servers(db: &heepr_compliance::Db, now_ms: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_leases WHERE name LIKE 'service:%' AND expires_at > $1",
    )
    .bind(now_ms)
    .fetch_one(db.pool())
    .await
}
