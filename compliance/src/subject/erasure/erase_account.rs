//! How an account is erased: [`run`] refuses a held account; its first transaction
//! ([`begin`]) draws the pseudonym, writes it over the account row and keeps the real
//! identifiers in the job's own `erasure_jobs` row; it then visits every table the data map links to the subject in
//! [`erasure_order`](crate::subject::subject_rows::erasure_order) (the accounts row last),
//! redacts mentions in shared tables, scrubs the spool directories, and then records the
//! completion (erasure ledger row and audit entry) in one final transaction, mirrored to the
//! ledger file, deleting the `erasure_jobs` row in that transaction. Rerunning an interrupted erasure completes it; rerunning a finished one does
//! nothing ([`is_erased`]).

use std::time::Instant;

use rand::Rng;
use serde_json::json;
use sqlx::{AnyPool, Row};

use super::batches::Run;
use super::job::{ErasureError, ErasureJob, ErasureOutcome};
use super::{files, pseudonym};
use crate::base::db::Db;
use crate::policy::data_map::{ColumnErasure, TableErasure};
use crate::records::audit::{self, AuditAction, AuditActor, AuditEntry, AuditOutcome};
use crate::records::erasure_ledger::{self, LedgerEntry};
use crate::subject::holds;
use crate::subject::identifiers::SubjectIdentifiers;
use crate::subject::subject_rows::{self, ACCOUNTS_TABLE, ident};

/// Whether `account_id` is in the erasure ledger (erasure completed).
///
/// Errors: the database's.
pub async fn is_erased(pool: &AnyPool, account_id: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(pool)
        .await?;
    Ok(n > 0)
}

/// Runs (or resumes) the erasure of `job.account_id`.
///
/// Errors: [`ErasureError::Held`] (nothing changed), [`ErasureError::NotFound`],
/// [`ErasureError::Interrupted`] (test hook; rerun to complete), I/O, policy or database
/// failures (the batches done so far stay done; rerun to complete).
pub async fn run(
    db: &Db,
    job: &ErasureJob<'_>,
    now_ms: i64,
) -> Result<ErasureOutcome, ErasureError> {
    let pool = db.pool();
    let active = holds::active(pool, job.account_id).await?;
    if !active.is_empty() {
        let reason = active
            .iter()
            .map(|h| h.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ErasureError::Held { reason });
    }
    if is_erased(pool, job.account_id).await? {
        let pseudonym: Option<String> =
            sqlx::query_scalar("SELECT pseudonym FROM pseudonyms WHERE account_id = $1")
                .bind(job.account_id)
                .fetch_optional(pool)
                .await?;
        return Ok(ErasureOutcome {
            pseudonym: pseudonym.unwrap_or_default(),
            already_erased: true,
            ..ErasureOutcome::default()
        });
    }
    let started = Instant::now();
    let Begun {
        pseudonym,
        email,
        display_name,
    } = begin(db, job, now_ms).await?;
    let mut run = Run {
        db,
        job,
        pseudonym: pseudonym.clone(),
        ids: SubjectIdentifiers::new(&email, &display_name),
        party_ids: SubjectIdentifiers::new(&email, &display_name).with_single_words(),
        outcome: ErasureOutcome {
            pseudonym,
            ..ErasureOutcome::default()
        },
        now_ms,
        replaced_contents: Vec::new(),
        rows: job.batch_rows,
        last_limit: job.batch_rows,
    };
    run.note_batch(started);
    run.check_stop()?;
    // Stored files first, while the rows still link to the subject by their id (the passes
    // below pseudonymise those links): a file on their own order is searched for their
    // single names too.
    for (name, table) in &job.map.tables {
        if let Some(contents) = &table.redact_contents {
            run.redact_contents(name, table, contents).await?;
        }
    }
    for name in subject_rows::erasure_order(job.map, ACCOUNTS_TABLE) {
        let Some(table) = job.map.tables.get(name) else {
            continue;
        };
        match table.erasure {
            TableErasure::Delete if !table.links.is_empty() => {
                run.delete_rows(name, table, None).await?;
            }
            TableErasure::Update if !table.links.is_empty() => {
                if let Some(col) = table.delete_if_null.as_deref() {
                    run.delete_rows(name, table, Some(col)).await?;
                }
                run.update_rows(name, table).await?;
            }
            _ => {}
        }
    }
    for (name, table) in &job.map.tables {
        if !table.redacted_everywhere().is_empty() {
            run.redact_everywhere(name, table).await?;
        }
    }
    // Also after a crash that came between repointing rows and deleting what they replaced.
    run.delete_replaced_files().await?;
    run.outcome.files_deleted += files::scrub_dirs(job.map, job.data_dir, &run.ids)?;

    record_completion(&mut run, now_ms).await?;
    Ok(run.outcome)
}

/// The last step: the erasure ledger row and the audit entry in one transaction, then the
/// ledger file line (the database row is authoritative) and a checkpoint, so the erased
/// data does not linger in SQLite's write-ahead log.
async fn record_completion(run: &mut Run<'_>, now_ms: i64) -> Result<(), ErasureError> {
    let started = Instant::now();
    let mut tx = run.db.begin_write().await?;
    let entry = LedgerEntry {
        id: uuid_like(),
        account_id: run.job.account_id.to_string(),
        request_id: run.job.request_id.map(str::to_string),
        erased_at: now_ms,
        pseudonym: Some(run.pseudonym.clone()),
        replaced_contents: run.replaced_contents.clone(),
    };
    if !erasure_ledger::record(&mut tx, &entry).await? {
        // A concurrent run of the same erasure completed first: exactly one completion
        // (one ledger row, one audit entry), so this one reports nothing done.
        tx.rollback().await?;
        run.outcome.already_erased = true;
        return Ok(());
    }
    // The real identifiers lived only for the erasure's lifetime.
    sqlx::query("DELETE FROM erasure_jobs WHERE account_id = $1")
        .bind(run.job.account_id)
        .execute(&mut *tx)
        .await?;
    let details = json!({
        "tables": run.outcome.tables.iter()
            .map(|(t, c)| (t.clone(), json!({"deleted": c.deleted, "rewritten": c.pseudonymised})))
            .collect::<serde_json::Map<_, _>>(),
        "files_deleted": run.outcome.files_deleted,
        "files_withheld": run.outcome.files_withheld,
        "files_unchecked": run.outcome.files_unchecked,
        "batches": run.outcome.batches,
    });
    let actor = AuditActor::job_caller(run.job.actor);
    let audit_entry = AuditEntry {
        actor: &actor,
        action: AuditAction::ErasureComplete,
        subject_account_id: Some(run.job.account_id),
        request_id: run.job.request_id,
        outcome: AuditOutcome::Ok,
        details,
    };
    audit::append(&mut tx, &audit_entry, now_ms).await?;
    tx.commit().await?;
    run.note_batch(started);
    if let Err(e) = erasure_ledger::append_to_file(run.job.data_dir, &entry) {
        // The database row is authoritative; the file is re-synced on the next run.
        tracing::warn!("erasure ledger file: {e}");
    }
    if let Err(e) = run.db.checkpoint().await {
        tracing::warn!("checkpoint after erasure: {e}");
    }
    Ok(())
}

/// What the erasure's first transaction settled.
struct Begun {
    pseudonym: String,
    /// The real email, or empty when no longer known (an erasure begun before identifiers
    /// were kept in `erasure_jobs`).
    email: String,
    /// The real display name, likewise.
    display_name: String,
}

/// The erasure's first transaction: draws the pseudonym, keeps the real email and display
/// name in the job's own `erasure_jobs` row (the matcher needs them to scrub other people's
/// text; the row goes in the final transaction), and writes the pseudonym over the account
/// row's `pseudonymise` columns, so from this commit on no reader sees the person under
/// their real name, whatever happens to the rest. A rerun finds the job row and reads the
/// identifiers back.
async fn begin(db: &Db, job: &ErasureJob<'_>, now_ms: i64) -> Result<Begun, ErasureError> {
    // A concurrent run of the same erasure may write the job row between our read and our
    // insert: the second attempt reads it back.
    for _ in 0..2 {
        if let Some(begun) = try_begin(db, job, now_ms).await? {
            return Ok(begun);
        }
    }
    Err(ErasureError::Policy(
        "the erasure's first step kept conflicting with another run".into(),
    ))
}

/// One attempt of [`begin`]: `None` when another run wrote the job row first.
async fn try_begin(
    db: &Db,
    job: &ErasureJob<'_>,
    now_ms: i64,
) -> Result<Option<Begun>, ErasureError> {
    let mut tx = db.begin_write().await?;
    let kept = sqlx::query("SELECT email, display_name FROM erasure_jobs WHERE account_id = $1")
        .bind(job.account_id)
        .fetch_optional(&mut *tx)
        .await?;
    let (email, display_name, fresh) = match kept {
        Some(row) => (row.try_get("email")?, row.try_get("display_name")?, false),
        None => {
            let row = sqlx::query("SELECT email, display_name FROM accounts WHERE id = $1")
                .bind(job.account_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(ErasureError::NotFound)?;
            let email: String = row.try_get("email")?;
            let display_name: String = row.try_get("display_name")?;
            // Copies written before a change of name or address name the person the old
            // way: the job keeps every value, one per line, for this run and a resumed one.
            let (emails, names) =
                crate::subject::former_identifiers::read(&mut tx, job.account_id).await?;
            let lines = |current: String, former: Vec<String>| {
                std::iter::once(current)
                    .chain(former)
                    .filter(|v| !v.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            (lines(email, emails), lines(display_name, names), true)
        }
    };
    let pseudonym = pseudonym::pseudonym_for(&mut tx, job.account_id, now_ms).await?;
    // The pseudonym must never become a needle (an account pseudonymised before identifiers
    // were kept): other people's pseudonyms ("Former member ...") would be hit.
    let real = |v: String| {
        v.lines()
            .filter(|l| *l != pseudonym)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (email, display_name) = (real(email), real(display_name));
    if fresh {
        let inserted = sqlx::query(
            "INSERT INTO erasure_jobs (account_id, email, display_name, started_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id) DO NOTHING",
        )
        .bind(job.account_id)
        .bind(&email)
        .bind(&display_name)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let accounts = job
            .map
            .tables
            .get(ACCOUNTS_TABLE)
            .ok_or_else(|| ErasureError::Policy("the data map has no accounts table".into()))?;
        for (column, spec) in &accounts.columns {
            if spec.erasure != Some(ColumnErasure::Pseudonymise) {
                continue;
            }
            let sql = format!(
                "UPDATE {ACCOUNTS_TABLE} SET {} = $1 WHERE id = $2",
                ident(column).map_err(ErasureError::Policy)?
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&pseudonym)
                .bind(job.account_id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(Some(Begun {
        pseudonym,
        email,
        display_name,
    }))
}

/// A random id for ledger rows (time-ordered enough for the ledger's purpose).
fn uuid_like() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}
