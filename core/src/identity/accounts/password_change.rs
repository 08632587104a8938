//! Changing the password. Policy: "if you believe your account has been compromised, change
//! your password": so a change ends every other session of the account.

use serde::Deserialize;

use super::{password_check, validate};
use crate::identity::sessions::{self, SessionUser};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// What a signed-in person submits to change their password.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    /// The password in use now.
    pub current_password: String,
    /// The new password, 8 characters to 1024 bytes.
    pub new_password: String,
}

/// Sets the new password and ends every other session; returns how many sessions ended.
///
/// Errors: 422 on `new_password` when it is too short or long, on `current_password` when
/// it is wrong; 429 after too many attempts. Nothing changes in any error case.
pub async fn change_password(
    state: &AppState,
    user: &SessionUser,
    request: &PasswordChangeRequest,
    client_ip: std::net::IpAddr,
) -> Result<u64, AppError> {
    validate::new_password("new_password", &request.new_password)?;
    let matches = password_check::password_matches(
        state,
        &user.account_id,
        &user.email,
        "current_password",
        &request.current_password,
        client_ip,
    )
    .await?;
    if !matches {
        return Err(AppError::invalid(
            "current_password",
            "your current password is not correct",
        ));
    }
    let new_hash = state.passwords.hash(&request.new_password).await?;
    record_replaced(state, &user.account_id)?;
    let mut tx = state.db.begin_write().await?;
    sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(&new_hash)
        .bind(state.clock.now_ms())
        .bind(&user.account_id)
        .execute(&mut *tx)
        .await?;
    let ended = sessions::end_others(&mut tx, &user.account_id, &user.session_id).await?;
    // A change of address asked before (maybe by whoever had the old password) goes too.
    super::email_change::cancel_pending(&mut tx, &user.account_id).await?;
    tx.commit().await?;
    tracing::info!(account_id = %user.account_id, ended, "password changed");
    Ok(ended)
}

/// Writes `account_id`'s password replacement to the withdrawal ledger (before the change
/// commits: the ledger's module doc says why), so a backup restore cannot make the old
/// password work again.
///
/// Errors: 500 when the ledger file cannot be written (nothing changed then).
pub(crate) fn record_replaced(state: &AppState, account_id: &str) -> Result<(), AppError> {
    let entry = heepr_compliance::withdrawal_ledger::Withdrawal::PasswordReplaced {
        account_id: account_id.to_owned(),
        at: state.clock.now_ms(),
    };
    heepr_compliance::withdrawal_ledger::append(&state.settings.data_dir, &entry)
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("withdrawal ledger")))
}
