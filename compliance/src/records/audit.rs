//! The audit trail: an append-only, hash-chained log of every staff and system action on
//! personal data and every DSR transition (who, what, when, which subject, outcome).
//!
//! Entry `n` stores `prev_hash` (entry `n-1`'s hash, 64 zeros for the first) and
//! `hash = SHA-256(prev_hash || "\n" || canonical content)`, where the canonical content is
//! the JSON object of the entry's fields with sorted keys. Editing, deleting or reordering a
//! row breaks the chain at that row; [`verify`] reports the first broken link.
//!
//! Entries hold ids, never emails or names, so erasure has nothing to rewrite here.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyPool, FromRow, Row, Transaction};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted, as the trail records it: built only through the constructors below, so every
/// recorded actor has one of their shapes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuditActor(Cow<'static, str>);

impl AuditActor {
    /// A background job of heepr itself (`system`).
    pub const SYSTEM: AuditActor = AuditActor(Cow::Borrowed("system"));
    /// An operator on the command line (`cli`).
    pub const CLI: AuditActor = AuditActor(Cow::Borrowed("cli"));
    /// A caller of the admin API who did not authenticate (`anonymous`).
    pub const ANONYMOUS: AuditActor = AuditActor(Cow::Borrowed("anonymous"));
    /// Retention sweeps (`system:retention`).
    pub const RETENTION: AuditActor = AuditActor(Cow::Borrowed("system:retention"));
    /// Erasures re-applied after a backup restore (`system:restore`).
    pub const RESTORE: AuditActor = AuditActor(Cow::Borrowed("system:restore"));
    /// Mail intake, recording requests that arrived by email.
    pub const MAIL_INTAKE: AuditActor = AuditActor(Cow::Borrowed("system:mail-intake"));

    /// A staff member of the privacy desk (`staff:<staff id>`).
    pub fn staff(staff_id: &str) -> Self {
        AuditActor(Cow::Owned(format!("staff:{staff_id}")))
    }

    /// The data subject themself (`subject:<account id>`).
    pub fn subject(account_id: &str) -> Self {
        AuditActor(Cow::Owned(format!("subject:{account_id}")))
    }

    /// The caller named by an [`ErasureJob`](crate::erasure::ErasureJob), whose actor is
    /// given as text (benchmarks and tests name themselves).
    pub fn job_caller(name: &str) -> Self {
        AuditActor(Cow::Owned(name.to_owned()))
    }

    /// The recorded text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AuditActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditAction {
    /// A data-subject request was recorded (`dsr.receive`).
    DsrReceive,
    /// A request moved, or a move was refused (`dsr.transition`).
    DsrTransition,
    /// A request's due date was extended (`dsr.extend`).
    DsrExtend,
    /// An export job was asked for (`export.request`).
    ExportRequest,
    /// An export archive was built (`export.build`).
    ExportBuild,
    /// An export archive's download expired and was deleted (`export.expire`).
    ExportExpire,
    /// A built export archive was not published, its file deleted (`export.discard`).
    ExportDiscard,
    /// An erasure job was asked for (`erasure.request`).
    ErasureRequest,
    /// An erasure finished (`erasure.complete`).
    ErasureComplete,
    /// A legal hold was placed (`hold.place`).
    HoldPlace,
    /// A legal hold was lifted (`hold.lift`).
    HoldLift,
    /// A retention rule was swept (`retention.sweep`).
    RetentionSweep,
    /// A retention rule was swept without deleting (`retention.dry_run`).
    RetentionDryRun,
    /// The backup catalog needs an operator (`backup.warning`).
    BackupWarning,
    /// A backup was restored and the privacy desk's records carried over it
    /// (`backup.restore`: counts and ids only).
    BackupRestore,
    /// A staff member was created on the command line (`staff.create`).
    StaffCreate,
    /// A staff member's tokens were replaced by a fresh one (`staff.rotate`).
    StaffRotate,
    /// A staff member was offboarded: tokens revoked, account deactivated (`staff.revoke`).
    StaffRevoke,
    /// A message of the intake mailbox was recorded (`dsr.intake`).
    DsrIntake,
    /// Staff decided the kind of an emailed message intake could not classify
    /// (`dsr.classify`).
    DsrClassify,
    /// Staff added a note to a request (`dsr.note`).
    DsrNote,
    /// Staff rectified a field of an account (`account.rectify`; the field's name, never
    /// its values).
    AccountRectify,
    /// Processing of an account was restricted (`restriction.place`, GDPR Art. 18).
    RestrictionPlace,
    /// A restriction of processing was lifted (`restriction.lift`).
    RestrictionLift,
    /// A person's objection to processing was recorded (`objection.place`, GDPR Art. 21).
    ObjectionPlace,
    /// An objection to processing ended (`objection.withdraw`).
    ObjectionWithdraw,
    /// An admin API call (`GET /admin/api/v1/requests/{id}`: method and matched route).
    AdminCall {
        /// HTTP method.
        method: String,
        /// The matched route (with `{id}` placeholders, never the ids themselves).
        route: String,
    },
}

impl AuditAction {
    /// The recorded text.
    pub fn text(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            AuditAction::DsrReceive => "dsr.receive",
            AuditAction::DsrTransition => "dsr.transition",
            AuditAction::DsrExtend => "dsr.extend",
            AuditAction::ExportRequest => "export.request",
            AuditAction::ExportBuild => "export.build",
            AuditAction::ExportExpire => "export.expire",
            AuditAction::ExportDiscard => "export.discard",
            AuditAction::ErasureRequest => "erasure.request",
            AuditAction::ErasureComplete => "erasure.complete",
            AuditAction::HoldPlace => "hold.place",
            AuditAction::HoldLift => "hold.lift",
            AuditAction::RetentionSweep => "retention.sweep",
            AuditAction::RetentionDryRun => "retention.dry_run",
            AuditAction::BackupWarning => "backup.warning",
            AuditAction::BackupRestore => "backup.restore",
            AuditAction::StaffCreate => "staff.create",
            AuditAction::StaffRotate => "staff.rotate",
            AuditAction::StaffRevoke => "staff.revoke",
            AuditAction::DsrIntake => "dsr.intake",
            AuditAction::DsrClassify => "dsr.classify",
            AuditAction::DsrNote => "dsr.note",
            AuditAction::AccountRectify => "account.rectify",
            AuditAction::RestrictionPlace => "restriction.place",
            AuditAction::RestrictionLift => "restriction.lift",
            AuditAction::ObjectionPlace => "objection.place",
            AuditAction::ObjectionWithdraw => "objection.withdraw",
            AuditAction::AdminCall { method, route } => {
                return Cow::Owned(format!("{method} {route}"));
            }
        })
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    /// Done (`ok`).
    Ok,
    /// Refused by a rule (`refused`).
    Refused,
    /// Failed (`failed`).
    Failed,
    /// Not run: someone else held the work (`skipped`).
    Skipped,
    /// Work done and thrown away, e.g. an archive built while its subject was erased
    /// (`discarded`).
    Discarded,
    /// An admin call's HTTP status (`http 403`).
    Http(u16),
}

impl AuditOutcome {
    /// The recorded text.
    pub fn text(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Failed => "failed",
            AuditOutcome::Skipped => "skipped",
            AuditOutcome::Discarded => "discarded",
            AuditOutcome::Http(status) => return Cow::Owned(format!("http {status}")),
        })
    }
}

/// One action to record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Who acted.
    pub actor: &'a AuditActor,
    /// What was done.
    pub action: AuditAction,
    /// The data subject concerned, if any (account id).
    pub subject_account_id: Option<&'a str>,
    /// The request concerned, if any.
    pub request_id: Option<&'a str>,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Further facts as a JSON object (ids, counts, states; never emails or names).
    pub details: Value,
}

/// A stored entry (an `audit_log` row, read by column name).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
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
    let (action, outcome) = (entry.action.text(), entry.outcome.text());
    let hash = chain_hash(
        &prev_hash,
        &canonical(
            seq,
            now_ms,
            entry.actor.as_str(),
            &action,
            entry.subject_account_id,
            entry.request_id,
            &outcome,
            &details,
        ),
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO audit_log ({APPEND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(seq)
    .bind(now_ms)
    .bind(entry.actor.as_str())
    .bind(action.as_ref())
    .bind(entry.subject_account_id)
    .bind(entry.request_id)
    .bind(outcome.as_ref())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_actions_and_outcomes_keep_their_recorded_texts() {
        assert_eq!(AuditActor::staff("s1").as_str(), "staff:s1");
        assert_eq!(AuditActor::subject("a1").to_string(), "subject:a1");
        assert_eq!(AuditActor::SYSTEM.as_str(), "system");
        assert_eq!(AuditActor::CLI.as_str(), "cli");
        assert_eq!(AuditActor::ANONYMOUS.as_str(), "anonymous");
        assert_eq!(AuditActor::RETENTION.as_str(), "system:retention");
        assert_eq!(AuditActor::RESTORE.as_str(), "system:restore");
        assert_eq!(AuditAction::DsrTransition.text(), "dsr.transition");
        assert_eq!(AuditAction::RetentionDryRun.text(), "retention.dry_run");
        let call = AuditAction::AdminCall {
            method: "GET".into(),
            route: "/admin/api/v1/requests/{id}".into(),
        };
        assert_eq!(call.text(), "GET /admin/api/v1/requests/{id}");
        assert_eq!(AuditOutcome::Ok.text(), "ok");
        assert_eq!(AuditOutcome::Refused.text(), "refused");
        assert_eq!(AuditOutcome::Http(403).text(), "http 403");
    }
}
