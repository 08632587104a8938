//! One lock per data subject: the jobs that read or rewrite one person's data as a whole
//! (export, erasure; rectification later) take it, so an export never runs while the same
//! person is erased, and two erasures of one person never interleave.
//!
//! Guarantees:
//! - **Portable**: the lock is a row of `job_leases` named [`lock_name`], taken with the
//!   same conditional upsert on SQLite and PostgreSQL ([`crate::base::lease`]).
//! - **A crashed holder loses it within a minute**: it is a [`LeaseGuard`] of
//!   [`JOB_LEASE_MS`] (60 s) renewed by a heartbeat every [`JOB_HEARTBEAT_MS`] (20 s); a killed
//!   process stops renewing and the lease lapses.
//! - **A lost lock is noticed**: a holder that stalled past its lease finds
//!   [`LeaseGuard::is_lost`] set and must not publish anything it built. Exports check,
//!   besides, in the very transaction that registers the archive, that no erasure of the
//!   person began ([`erasure_began`]), so even a holder that never noticed cannot make an
//!   erased person's archive downloadable.

use sqlx::AnyConnection;

use crate::base::db::Db;
use crate::base::lease::{JOB_HEARTBEAT_MS, JOB_LEASE_MS, LeaseGuard};

/// Lease names of subject locks start with this.
pub const LOCK_PREFIX: &str = "subject:";

/// The lease name of `account_id`'s lock.
pub fn lock_name(account_id: &str) -> String {
    format!("{LOCK_PREFIX}{account_id}")
}

/// Takes `account_id`'s lock for `holder` at `now_ms` (the job's clock), kept alive by a
/// heartbeat until the guard is released or dropped. `Ok(None)` when another live holder
/// has it (the caller retries later).
///
/// Errors: database failures only.
pub async fn take(
    db: &Db,
    account_id: &str,
    holder: &str,
    now_ms: i64,
) -> Result<Option<LeaseGuard>, sqlx::Error> {
    LeaseGuard::take(
        db,
        &lock_name(account_id),
        holder,
        now_ms,
        JOB_LEASE_MS,
        JOB_HEARTBEAT_MS,
    )
    .await
}

/// Whether an erasure of `account_id` has begun (its pseudonym is drawn, and written over
/// the account row, in the erasure's first transaction) or completed (erasure ledger), read
/// on `conn` inside the caller's write transaction.
///
/// It first takes the account row's write lock with an UPDATE that changes nothing
/// (portable; on SQLite a write transaction is exclusive anyway): on PostgreSQL an erasure's
/// first transaction, which rewrites that row, is then either committed and seen here, or
/// waits until the caller's transaction ends, and sees (and erases) what it registered.
///
/// Errors: the database's.
pub async fn erasure_began(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query("UPDATE accounts SET updated_at = updated_at WHERE id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM pseudonyms WHERE account_id = $1) \
         + (SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1)",
    )
    .bind(account_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}
