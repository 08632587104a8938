//! Staff accounts of the privacy desk and their admin API tokens.
//!
//! Roles: a privacy officer may do everything; support may read, with emails masked.
//! A token is printed once at creation (`heepr staff create`) and stored only as its
//! SHA-256 (same scheme as session tokens).

use std::fmt;
use std::str::FromStr;

use heepr_compliance::Db;
use heepr_compliance::audit::{AuditAction, AuditActor};
use serde::Serialize;
use sqlx::Row;

use crate::identity::accounts::validate;
use crate::platform::error::{AppError, is_unique_violation};
use crate::platform::tokens::{hash_secret, new_id, new_secret};

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Everything: transitions, exports, erasures, holds.
    PrivacyOfficer,
    /// Read-only, with data subjects' emails masked.
    Support,
}

impl StaffRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::PrivacyOfficer => "privacy_officer",
            StaffRole::Support => "support",
        }
    }
}

/// By hand rather than through `stored_state!`: `FromStr` also takes the command line's
/// `privacy-officer` spelling (`heepr staff create --role`).
impl heepr_compliance::base::stored_state::StoredState for StaffRole {
    const WHAT: &'static str = "staff role";
    const ALL: &'static [StaffRole] = &[StaffRole::PrivacyOfficer, StaffRole::Support];
    fn as_str(self) -> &'static str {
        StaffRole::as_str(self)
    }
}

impl FromStr for StaffRole {
    type Err = String;

    /// Accepts `privacy-officer`/`privacy_officer` and `support`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "privacy-officer" | "privacy_officer" => Ok(StaffRole::PrivacyOfficer),
            "support" => Ok(StaffRole::Support),
            other => Err(format!(
                "unknown role {other:?}: use privacy-officer or support"
            )),
        }
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated staff member.
#[derive(Debug, Clone, Serialize)]
pub struct StaffMember {
    /// Staff id.
    pub id: String,
    /// Their email.
    pub email: String,
    /// Their role.
    pub role: StaffRole,
}

impl StaffMember {
    /// The audit log's actor for this person: `staff:<id>`.
    pub fn actor(&self) -> AuditActor {
        AuditActor::staff(&self.id)
    }
}

/// How long an admin API token works unless told otherwise (days): offboarding cannot depend
/// on someone remembering to revoke.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// [`DEFAULT_TOKEN_DAYS`] in ms.
pub const DEFAULT_TOKEN_TTL_MS: i64 = DEFAULT_TOKEN_DAYS * 24 * 3_600_000;

/// Creates a staff account with a fresh token valid for [`DEFAULT_TOKEN_DAYS`], or brings
/// back a deactivated one (same account, the role given now); returns it and the token
/// (show it once).
///
/// Errors: 422 for a bad email; 409 `staff_exists` when the email has an active account.
pub async fn create(
    db: &Db,
    email: &str,
    role: StaffRole,
    now_ms: i64,
) -> Result<(StaffMember, String), AppError> {
    create_with_ttl(db, email, role, DEFAULT_TOKEN_TTL_MS, now_ms).await
}

/// [`create`] with a token valid for `ttl_ms`.
///
/// Errors: as [`create`]; 422 when `ttl_ms` is not positive.
pub async fn create_with_ttl(
    db: &Db,
    email: &str,
    role: StaffRole,
    ttl_ms: i64,
    now_ms: i64,
) -> Result<(StaffMember, String), AppError> {
    if ttl_ms <= 0 {
        return Err(AppError::Invalid {
            field: "expires_in",
            message: "a token must be valid for some time".into(),
        });
    }
    let email = validate::email(email)?;
    let id = new_id();
    let token = new_secret();
    let mut tx = db.begin_write().await?;
    let existing = sqlx::query("SELECT id, deactivated_at FROM staff_accounts WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
    let (id, reactivated) = match existing {
        // A member who left and comes back: the same account (their audit history stays
        // theirs), active again with the role given now.
        Some(row) if row.try_get::<Option<i64>, _>("deactivated_at")?.is_some() => {
            let old: String = row.try_get("id")?;
            sqlx::query("UPDATE staff_accounts SET deactivated_at = NULL, role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(&old)
                .execute(&mut *tx)
                .await?;
            (old, true)
        }
        Some(_) => return Err(staff_exists(&email)),
        None => {
            let inserted = sqlx::query(
                "INSERT INTO staff_accounts (id, email, role, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(&email)
            .bind(role.as_str())
            .bind(now_ms)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e, "staff_accounts_email_key") => {
                    return Err(staff_exists(&email));
                }
                other => other?,
            };
            (id, false)
        }
    };
    insert_token(&mut tx, &id, &token, now_ms, ttl_ms).await?;
    audit_staff(
        &mut tx,
        &AuditActor::CLI,
        AuditAction::StaffCreate,
        serde_json::json!({"staff_id": id, "role": role.as_str(), "expires_at": now_ms.saturating_add(ttl_ms), "reactivated": reactivated}),
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok((StaffMember { id, email, role }, token))
}

/// The staff member a bearer token belongs to, if the token is valid: not revoked, not
/// expired, and its member not deactivated (checked on every call, so a revocation takes
/// effect at the next request).
///
/// Errors: the database's.
pub async fn authenticate(
    db: &Db,
    token: &str,
    now_ms: i64,
) -> Result<Option<StaffMember>, AppError> {
    let row = sqlx::query(
        "SELECT s.id, s.email, s.role, t.id AS token_id FROM staff_tokens t \
         JOIN staff_accounts s ON s.id = t.staff_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
         AND t.expires_at > $2 AND s.deactivated_at IS NULL",
    )
    .bind(hash_secret(token))
    .bind(now_ms)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let role: String = row.try_get("role")?;
    let role = role
        .parse()
        .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
    let token_id: String = row.try_get("token_id")?;
    sqlx::query("UPDATE staff_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now_ms)
        .bind(&token_id)
        .execute(db.pool())
        .await?;
    Ok(Some(StaffMember {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        role,
    }))
}

fn staff_exists(email: &str) -> AppError {
    AppError::Conflict {
        code: "staff_exists",
        message: format!(
            "a staff account for {email} already exists: `heepr staff rotate --email {email}` gives it a new token"
        ),
    }
}

/// A staff member as `heepr staff list` shows them.
#[derive(Debug, Clone, Serialize)]
pub struct StaffSummary {
    /// Staff id.
    pub id: String,
    /// Their email.
    pub email: String,
    /// Their role.
    pub role: StaffRole,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Deactivated (Unix ms): they left, and no token of theirs works.
    pub deactivated_at: Option<i64>,
    /// Tokens neither revoked nor expired.
    pub active_tokens: i64,
    /// When the latest active token expires (Unix ms).
    pub expires_at: Option<i64>,
    /// When any token of theirs was last used (Unix ms).
    pub last_used_at: Option<i64>,
}

/// Every staff member, by email.
///
/// Errors: the database's.
pub async fn list(db: &Db, now_ms: i64) -> Result<Vec<StaffSummary>, AppError> {
    let rows = sqlx::query(
        "SELECT s.id, s.email, s.role, s.created_at, s.deactivated_at, \
         (SELECT COUNT(*) FROM staff_tokens t WHERE t.staff_id = s.id AND t.revoked_at IS NULL AND t.expires_at > $1) AS active_tokens, \
         (SELECT MAX(t.expires_at) FROM staff_tokens t WHERE t.staff_id = s.id AND t.revoked_at IS NULL AND t.expires_at > $1) AS expires_at, \
         (SELECT MAX(t.last_used_at) FROM staff_tokens t WHERE t.staff_id = s.id) AS last_used_at \
         FROM staff_accounts s ORDER BY s.email",
    )
    .bind(now_ms)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            Ok(StaffSummary {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                role: role
                    .parse()
                    .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?,
                created_at: row.try_get("created_at")?,
                deactivated_at: row.try_get("deactivated_at")?,
                active_tokens: row.try_get("active_tokens")?,
                expires_at: row.try_get("expires_at")?,
                last_used_at: row.try_get("last_used_at")?,
            })
        })
        .collect()
}

async fn member_by_email(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    email: &str,
) -> Result<(StaffMember, Option<i64>), AppError> {
    let email = validate::email(email)?;
    let row =
        sqlx::query("SELECT id, email, role, deactivated_at FROM staff_accounts WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(AppError::NotFound("staff account"))?;
    let role: String = row.try_get("role")?;
    let member = StaffMember {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        role: role
            .parse()
            .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?,
    };
    Ok((member, row.try_get("deactivated_at")?))
}

async fn revoke_tokens(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    staff_id: &str,
    now_ms: i64,
) -> Result<u64, AppError> {
    let done = sqlx::query(
        "UPDATE staff_tokens SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms)
    .bind(staff_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

async fn audit_staff(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &AuditActor,
    action: AuditAction,
    details: serde_json::Value,
    now_ms: i64,
) -> Result<(), AppError> {
    let entry = heepr_compliance::audit::AuditEntry {
        actor,
        action,
        subject_account_id: None,
        request_id: None,
        outcome: heepr_compliance::audit::AuditOutcome::Ok,
        details,
    };
    heepr_compliance::audit::append(tx, &entry, now_ms).await?;
    Ok(())
}

/// Offboards the member with `email`: every token revoked and the account deactivated, in
/// one transaction, audited as `actor`. Their next call gets 401.
///
/// Errors: 404 when no staff account has this email; 422 for a malformed email.
pub async fn revoke(
    db: &Db,
    email: &str,
    actor: &AuditActor,
    now_ms: i64,
) -> Result<(StaffMember, u64), AppError> {
    let mut tx = db.begin_write().await?;
    let (member, _) = member_by_email(&mut tx, email).await?;
    let revoked = revoke_tokens(&mut tx, &member.id, now_ms).await?;
    sqlx::query(
        "UPDATE staff_accounts SET deactivated_at = COALESCE(deactivated_at, $1) WHERE id = $2",
    )
    .bind(now_ms)
    .bind(&member.id)
    .execute(&mut *tx)
    .await?;
    audit_staff(
        &mut tx,
        actor,
        AuditAction::StaffRevoke,
        serde_json::json!({"staff_id": member.id, "tokens_revoked": revoked}),
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok((member, revoked))
}

/// Replaces the tokens of the member with `email` with one fresh token valid for `ttl_ms`,
/// audited as `actor`; returns the token (show it once). The old tokens stop at once.
///
/// Errors: 404 unknown member; 409 `staff_deactivated` for a member who left; 422 for a
/// malformed email or a non-positive `ttl_ms`.
pub async fn rotate(
    db: &Db,
    email: &str,
    ttl_ms: i64,
    actor: &AuditActor,
    now_ms: i64,
) -> Result<(StaffMember, String), AppError> {
    if ttl_ms <= 0 {
        return Err(AppError::Invalid {
            field: "expires_in",
            message: "a token must be valid for some time".into(),
        });
    }
    let mut tx = db.begin_write().await?;
    let (member, deactivated) = member_by_email(&mut tx, email).await?;
    if deactivated.is_some() {
        return Err(AppError::Conflict {
            code: "staff_deactivated",
            message: format!(
                "{} was deactivated: `heepr staff create --email {} --role ...` brings them back",
                member.email, member.email
            ),
        });
    }
    let revoked = revoke_tokens(&mut tx, &member.id, now_ms).await?;
    let token = new_secret();
    insert_token(&mut tx, &member.id, &token, now_ms, ttl_ms).await?;
    audit_staff(
        &mut tx,
        actor,
        AuditAction::StaffRotate,
        serde_json::json!({"staff_id": member.id, "tokens_revoked": revoked, "expires_at": now_ms.saturating_add(ttl_ms)}),
        now_ms,
    )
    .await?;
    tx.commit().await?;
    Ok((member, token))
}

pub(crate) async fn insert_token(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    staff_id: &str,
    token: &str,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO staff_tokens (id, staff_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(new_id())
    .bind(staff_id)
    .bind(hash_secret(token))
    .bind(now_ms)
    .bind(now_ms.saturating_add(ttl_ms))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `text` with every email address in it masked as [`mask_email`] does: what support staff
/// see of free text (a request's details, a reason), where subjects write addresses too.
pub fn mask_emails_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let is_part = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
        let start = rest[..at].rfind(|c: char| !is_part(c)).map_or(0, |i| {
            i + rest[..at][i..].chars().next().map_or(1, char::len_utf8)
        });
        let end = rest[at + 1..]
            .find(|c: char| !is_part(c))
            .map_or(rest.len(), |i| at + 1 + i);
        let end = rest[..end].trim_end_matches('.').len().max(at + 1);
        out.push_str(&rest[..start]);
        if start < at && end > at + 1 {
            out.push_str(&mask_email(&rest[start..end]));
        } else {
            out.push_str(&rest[start..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `alice@example.com` → `a***@example.com` (what support staff see).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_parses() {
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
        assert_eq!(
            "privacy-officer".parse::<StaffRole>(),
            Ok(StaffRole::PrivacyOfficer)
        );
        assert!("admin".parse::<StaffRole>().is_err());
        assert_eq!(
            mask_emails_in("Mail bob@example.com, or bob.old@gmail.test. Or @home, or x@."),
            "Mail b***@example.com, or b***@gmail.test. Or @home, or x@."
        );
        assert_eq!(mask_emails_in("no address here"), "no address here");
        assert_eq!(mask_emails_in("é@exämple.org!"), "é***@exämple.org!");
    }
}
