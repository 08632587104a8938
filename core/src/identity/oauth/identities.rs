//! `sign_in_identities`: the provider accounts linked to a heepr account, with the basic
//! profile fields each provider returned (exported with the account; deleted by erasure,
//! per the data map).

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::provider::{Provider, ProviderProfile};
use crate::platform::error::{AppError, is_unique_violation};
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;

/// A linked identity as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// `google`, `github` or `facebook`.
    pub provider: String,
    /// Email the provider shared, if any.
    pub email: Option<String>,
    /// Name the provider shared, if any.
    pub display_name: Option<String>,
    /// When it was linked (RFC 3339, UTC).
    pub linked_at: String,
    /// When it was last used to sign in (RFC 3339, UTC).
    pub last_used_at: String,
}

/// Links `profile` of `provider` to `account_id` inside `tx`.
///
/// Errors: 409 `identity_taken` when this provider account is linked to another heepr
/// account; 409 `provider_already_linked` when this account already has one of `provider`.
pub async fn insert(
    tx: &mut Transaction<'static, Any>,
    account_id: &str,
    provider: Provider,
    profile: &ProviderProfile,
    now: i64,
) -> Result<(), AppError> {
    let inserted = sqlx::query(
        "INSERT INTO sign_in_identities (id, account_id, provider, subject, email, display_name, profile_json, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(new_id())
    .bind(account_id)
    .bind(provider.as_str())
    .bind(&profile.subject)
    .bind(&profile.email)
    .bind(&profile.display_name)
    .bind(&profile.raw)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e, "sign_in_identities_provider_subject_key") => {
            Err(AppError::Conflict {
                code: "identity_taken",
                message: format!(
                    "this {} account is already linked to another heepr account",
                    provider.label()
                ),
            })
        }
        Err(e) if is_unique_violation(&e, "sign_in_identities_account_provider_key") => {
            Err(AppError::Conflict {
                code: "provider_already_linked",
                message: format!("your account already has a {} sign-in", provider.label()),
            })
        }
        other => other.map(|_| ()).map_err(AppError::from),
    }
}

/// For a known identity of an active account: refreshes its stored profile and last use,
/// and returns the account id; `None` for an unknown identity.
pub async fn touch(
    state: &AppState,
    provider: Provider,
    profile: &ProviderProfile,
    now: i64,
) -> Result<Option<String>, AppError> {
    let mut tx = state.db.begin_write().await?;
    let account_id: Option<String> = sqlx::query(
        "SELECT i.account_id FROM sign_in_identities i JOIN accounts a ON a.id = i.account_id \
         WHERE i.provider = $1 AND i.subject = $2 AND a.status = $3",
    )
    .bind(provider.as_str())
    .bind(&profile.subject)
    .bind(crate::identity::account_status::AccountStatus::Active.as_str())
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.try_get("account_id"))
    .transpose()?;
    if account_id.is_some() {
        sqlx::query(
            "UPDATE sign_in_identities SET email = $1, display_name = $2, profile_json = $3, last_used_at = $4 WHERE provider = $5 AND subject = $6",
        )
        .bind(&profile.email)
        .bind(&profile.display_name)
        .bind(&profile.raw)
        .bind(now)
        .bind(provider.as_str())
        .bind(&profile.subject)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(account_id)
}

/// The identities linked to `account_id`, by provider.
pub async fn list(state: &AppState, account_id: &str) -> Result<Vec<Identity>, AppError> {
    let rows = sqlx::query(
        "SELECT provider, email, display_name, created_at, last_used_at FROM sign_in_identities WHERE account_id = $1 ORDER BY provider",
    )
    .bind(account_id)
    .fetch_all(state.db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Identity {
                provider: r.try_get("provider")?,
                email: r.try_get("email")?,
                display_name: r.try_get("display_name")?,
                linked_at: rfc3339(r.try_get("created_at")?),
                last_used_at: rfc3339(r.try_get("last_used_at")?),
            })
        })
        .collect()
}

/// Removes the `provider` identity of `account_id` and the profile fields stored with it.
/// Returns whether there was one. The caller checks the account's password first.
pub async fn unlink(
    state: &AppState,
    account_id: &str,
    provider: Provider,
) -> Result<bool, AppError> {
    let mut tx = state.db.begin_write().await?;
    let deleted =
        sqlx::query("DELETE FROM sign_in_identities WHERE account_id = $1 AND provider = $2")
            .bind(account_id)
            .bind(provider.as_str())
            .execute(&mut *tx)
            .await?;
    tx.commit().await?;
    tracing::info!(
        account_id,
        provider = provider.as_str(),
        "sign-in provider unlinked"
    );
    Ok(deleted.rows_affected() == 1)
}
