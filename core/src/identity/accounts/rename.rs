//! Self-service rectification of the display name (GDPR Art. 16): the signed-in person
//! corrects the name others see, validated as at sign-up, in one write transaction with its
//! audit entry (the field's name, never the value). A change of email needs a confirmation
//! at the new address: [`super::email_change`].

use heepr_compliance::audit::{self, AuditAction, AuditActor, AuditEntry, AuditOutcome};
use heepr_compliance::former_identifiers::{self, Identifier};
use serde::Deserialize;
use serde_json::json;

use super::{AccountStatus, Profile, profile, validate};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Body of `PATCH /api/v1/me`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// The corrected display name: 1 to 64 characters, no control or invisible characters.
    pub display_name: String,
}

/// Sets the display name of `account_id` to `change.display_name`; returns the profile.
///
/// Errors: 422 `display_name` for a name sign-up would refuse; 404 for an unknown or closed
/// account; the database's.
pub async fn change_display_name(
    state: &AppState,
    account_id: &str,
    change: &ProfileChange,
) -> Result<Profile, AppError> {
    let name = validate::display_name(&change.display_name)?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    // Erasure must still find the person under the name they leave.
    former_identifiers::remember(&mut tx, account_id, Identifier::DisplayName, now).await?;
    let done = sqlx::query(
        "UPDATE accounts SET display_name = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(&name)
    .bind(now)
    .bind(account_id)
    .bind(AccountStatus::Active.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::NotFound("account"));
    }
    let entry = AuditEntry {
        actor: &AuditActor::subject(account_id),
        action: AuditAction::AccountRectify,
        subject_account_id: Some(account_id),
        request_id: None,
        outcome: AuditOutcome::Ok,
        details: json!({"field": "display_name"}),
    };
    audit::append(&mut tx, &entry, now).await?;
    tx.commit().await?;
    profile(state, account_id).await
}
