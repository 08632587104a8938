//! The audit trail: an append-only, hash-chained log of every staff and system action on
//! personal data and every DSR transition (who, what, when, which subject, outcome).
//!
//! Entry `n` stores `prev_hash` (entry `n-1`'s hash, 64 zeros for the first) and
//! `hash = SHA-256(prev_hash || "\n" || canonical content)`, where the canonical content is
//! the JSON object of the entry's fields with sorted keys. Editing, deleting or reordering a
//! row breaks the chain at that row; [`verify`] reports the first broken link.
//!
//! Entries hold ids, never emails or names, so erasure has nothing to rewrite here.

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyPool, Row, Transaction};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One action to record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Who acted: `staff:<id>`, `subject:<account id>`, `system`, `cli`, `anonymous`.
    pub actor: &'a str,
    /// What was done, e.g. `dsr.transition`, `erasure.run`, `GET /admin/api/v1/requests`.
    pub action: &'a str,
    /// The data subject concerned, if any (account id).
    pub subject_account_id: Option<&'a str>,
    /// The request concerned, if any.
    pub request_id: Option<&'a str>,
    /// `ok`, `refused`, `failed`, or an HTTP status like `http 403`.
    pub outcome: &'a str,
    /// Further facts as a JSON object (ids, counts, states; never emails or names).
    pub details: Value,
}

/// A stored entry.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (Unix ms, UTC).
    pub occurred_at: i64,
    /// See [`AuditEntry::actor`].
    pub actor: String,
    /// See [`AuditEntry::action`].
    pub action: String,
    /// See [`AuditEntry::subject_account_id`].
    pub subject_account_id: Option<String>,
    /// See [`AuditEntry::request_id`].
    pub request_id: Option<String>,
    /// See [`AuditEntry::outcome`].
    pub outcome: String,
    /// JSON object text (served as the object itself).
    #[serde(serialize_with = "details_as_object")]
    pub details: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        Ok(AuditRecord {
            seq: row.try_get("seq")?,
            occurred_at: row.try_get("occurred_at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            subject_account_id: row.try_get("subject_account_id")?,
            request_id: row.try_get("request_id")?,
            outcome: row.try_get("outcome")?,
            details: row.try_get("details")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }

    fn computed_hash(&self) -> String {
        chain_hash(
            &self.prev_hash,
            &canonical(
                self.seq,
                self.occurred_at,
                &self.actor,
                &self.action,
                self.subject_account_id.as_deref(),
                self.request_id.as_deref(),
                &self.outcome,
                &self.details,
            ),
        )
    }
}

fn details_as_object<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => v.serialize(s),
        Err(_) => s.serialize_str(text),
    }
}

#[allow(clippy::too_many_arguments)]
fn canonical(
    seq: i64,
    occurred_at: i64,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    request: Option<&str>,
    outcome: &str,
    details: &str,
) -> String {
    // serde_json's map is ordered by key, so this text is canonical.
    json!({
        "seq": seq, "occurred_at": occurred_at, "actor": actor, "action": action,
        "subject_account_id": subject, "request_id": request, "outcome": outcome,
        "details": details,
    })
    .to_string()
}

fn chain_hash(prev_hash: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

const APPEND_COLUMNS: &str = "seq, occurred_at, actor, action, subject_account_id, request_id, outcome, details, prev_hash, hash";

/// Appends `entry` inside `tx` (the transaction of the action it records, so the entry
/// exists exactly when the action committed); returns its sequence number.
///
/// Concurrency: the head row is updated first, which serialises appenders (row lock on
/// PostgreSQL, write lock on SQLite).
///
/// Errors: the database's.
pub async fn append(
    tx: &mut Transaction<'static, Any>,
    entry: &AuditEntry<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;
    let details = entry.details.to_string();
    let hash = chain_hash(
        &prev_hash,
        &canonical(
            seq,
            now_ms,
            entry.actor,
            entry.action,
            entry.subject_account_id,
            entry.request_id,
            entry.outcome,
            &details,
        ),
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO audit_log ({APPEND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(seq)
    .bind(now_ms)
    .bind(entry.actor)
    .bind(entry.action)
    .bind(entry.subject_account_id)
    .bind(entry.request_id)
    .bind(entry.outcome)
    .bind(&details)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    /// The entry at fault (or the head's sequence number).
    pub seq: i64,
    /// What is wrong, in words.
    pub reason: String,
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// `None` when the whole chain holds.
    pub first_broken: Option<BrokenLink>,
}

/// Entries read per query while verifying (bounded memory).
const VERIFY_PAGE: i64 = 1_000;

/// Recomputes the chain from the first entry and reports the first broken link: a gap in
/// the sequence, a `prev_hash` that is not the previous entry's hash, a hash that does not
/// match the entry's content, or a head that does not match the last entry.
///
/// Errors: the database's.
pub async fn verify(pool: &AnyPool) -> Result<Verification, sqlx::Error> {
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut expected_seq = 1_i64;
    let mut checked = 0_i64;
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APPEND_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2"
        )))
        .bind(expected_seq)
        .bind(VERIFY_PAGE)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let record = AuditRecord::from_row(row)?;
            let broken = |reason: String| {
                Ok(Verification {
                    entries: checked,
                    first_broken: Some(BrokenLink {
                        seq: record.seq,
                        reason,
                    }),
                })
            };
            if record.seq != expected_seq {
                return broken(format!(
                    "entry {expected_seq} is missing (next entry is {})",
                    record.seq
                ));
            }
            if record.prev_hash != expected_prev {
                return broken("prev_hash is not the previous entry's hash".to_string());
            }
            if record.computed_hash() != record.hash {
                return broken("content does not match its hash (the entry was edited)".into());
            }
            expected_prev = record.hash;
            expected_seq += 1;
            checked += 1;
        }
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(pool)
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    if head_seq != checked || head_hash != expected_prev {
        return Ok(Verification {
            entries: checked,
            first_broken: Some(BrokenLink {
                seq: head_seq,
                reason: format!(
                    "the head says {head_seq} entries but the chain holds {checked} (entries were removed at the end)"
                ),
            }),
        });
    }
    Ok(Verification {
        entries: checked,
        first_broken: None,
    })
}

/// Which entries [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only entries about this subject (account id).
    pub subject_account_id: Option<String>,
    /// Only entries about this request.
    pub request_id: Option<String>,
    /// Only entries with `seq` below this (paging backwards).
    pub before_seq: Option<i64>,
    /// At most this many (1..=500; default 100).
    pub limit: Option<i64>,
}

/// Entries matching `filter`, newest first.
///
/// Errors: the database's.
pub async fn list(pool: &AnyPool, filter: &AuditFilter) -> Result<Vec<AuditRecord>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {APPEND_COLUMNS} FROM audit_log \
         WHERE (CAST($1 AS TEXT) IS NULL OR subject_account_id = $1) AND (CAST($2 AS TEXT) IS NULL OR request_id = $2) AND seq < $3 \
         ORDER BY seq DESC LIMIT $4"
    )))
    .bind(filter.subject_account_id.as_deref())
    .bind(filter.request_id.as_deref())
    .bind(filter.before_seq.unwrap_or(i64::MAX))
    .bind(filter.limit.unwrap_or(100).clamp(1, 500))
    .fetch_all(pool)
    .await?;
    rows.iter().map(AuditRecord::from_row).collect()
}
