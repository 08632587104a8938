//! Staff accounts of the privacy desk and their admin API tokens.
//!
//! Roles: a privacy officer may do everything; support may read, with emails masked.
//! A token is printed once at creation (`heepr staff create`) and stored only as its
//! SHA-256 (same scheme as session tokens).

use std::fmt;
use std::str::FromStr;

use heepr_compliance::Db;
use heepr_compliance::audit::AuditActor;
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

/// Creates a staff account with a fresh token; returns it and the token (show it once).
///
/// Errors: 422 for a bad email; 409 `staff_exists` when the email already has an account.
pub async fn create(
    db: &Db,
    email: &str,
    role: StaffRole,
    now_ms: i64,
) -> Result<(StaffMember, String), AppError> {
    let email = validate::email(email)?;
    let id = new_id();
    let token = new_secret();
    let mut tx = db.begin_write().await?;
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
            return Err(AppError::Conflict {
                code: "staff_exists",
                message: format!("a staff account for {email} already exists"),
            });
        }
        other => other?,
    };
    sqlx::query(
        "INSERT INTO staff_tokens (id, staff_id, token_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(new_id())
    .bind(&id)
    .bind(hash_secret(&token))
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    let entry = heepr_compliance::audit::AuditEntry {
        actor: &AuditActor::CLI,
        action: heepr_compliance::audit::AuditAction::StaffCreate,
        subject_account_id: None,
        request_id: None,
        outcome: heepr_compliance::audit::AuditOutcome::Ok,
        details: serde_json::json!({"staff_id": id, "role": role.as_str()}),
    };
    heepr_compliance::audit::append(&mut tx, &entry, now_ms).await?;
    tx.commit().await?;
    Ok((StaffMember { id, email, role }, token))
}

/// The staff member a bearer token belongs to, if the token is valid and not revoked.
///
/// Errors: the database's.
pub async fn authenticate(
    db: &Db,
    token: &str,
    now_ms: i64,
) -> Result<Option<StaffMember>, AppError> {
    let row = sqlx::query(
        "SELECT s.id, s.email, s.role, t.id AS token_id FROM staff_tokens t \
         JOIN staff_accounts s ON s.id = t.staff_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(hash_secret(token))
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
    }
}
