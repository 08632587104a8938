//! Consents a member gives and withdraws (policy: "consent (where required ...)";
//! "withdraw consent at any time"). What can be consented to, and the version of its
//! wording, comes from `policies/consents.toml`. Every change is a new row of `consents`
//! (purpose, version, given or withdrawn, when): the latest row per purpose is the current
//! state, and the whole history is part of the member's export.

use heepr_compliance::withdrawal_ledger;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;

heepr_compliance::stored_state! {
    /// Given or withdrawn (`consents.action`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ConsentAction: "consent action" {
        /// The member agreed.
        Given = "given",
        /// The member took the agreement back.
        Withdrawn = "withdrawn",
    }
}

/// A consent change asked for, by the API (`POST /api/v1/me/consents`) or the consents page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentChange {
    /// Purpose key from `policies/consents.toml`.
    pub purpose: String,
    /// Give or withdraw.
    pub action: ConsentAction,
}

/// One recorded consent event.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentEvent {
    /// Purpose key from `consents.toml`.
    pub purpose: String,
    /// Version of the wording at the time.
    pub version: String,
    /// Given or withdrawn.
    pub action: ConsentAction,
    /// When (RFC 3339, UTC).
    pub recorded_at: String,
}

/// The current state of one purpose for a member.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentStatus {
    /// Purpose key from `consents.toml`.
    pub purpose: String,
    /// Short title.
    pub title: String,
    /// What the member agrees to.
    pub description: String,
    /// Version of the wording in force.
    pub current_version: String,
    /// Whether consent is given now, for the wording in force (consent to an older wording
    /// counts as not given until renewed).
    pub given: bool,
    /// The latest event for this purpose, if any.
    pub last_event: Option<ConsentEvent>,
}

/// Every consent event of `account_id`, oldest first.
pub async fn history(state: &AppState, account_id: &str) -> Result<Vec<ConsentEvent>, AppError> {
    let rows = sqlx::query(
        "SELECT purpose, version, action, recorded_at FROM consents WHERE account_id = $1 ORDER BY recorded_at, id",
    )
    .bind(account_id)
    .fetch_all(state.db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ConsentEvent {
                purpose: r.try_get("purpose")?,
                version: r.try_get("version")?,
                action: r.try_get("action")?,
                recorded_at: rfc3339(r.try_get("recorded_at")?),
            })
        })
        .collect()
}

/// The current state of every purpose in `consents.toml` for `account_id`.
pub async fn current(state: &AppState, account_id: &str) -> Result<Vec<ConsentStatus>, AppError> {
    let events = history(state, account_id).await?;
    Ok(state
        .policies
        .consent_purposes
        .purposes
        .iter()
        .map(|(key, purpose)| {
            let last_event = events.iter().rev().find(|e| &e.purpose == key).cloned();
            let given = last_event
                .as_ref()
                .is_some_and(|e| e.action == ConsentAction::Given && e.version == purpose.version);
            ConsentStatus {
                purpose: key.clone(),
                title: purpose.title.clone(),
                description: purpose.description.clone(),
                current_version: purpose.version.clone(),
                given,
                last_event,
            }
        })
        .collect())
}

/// Records that `account_id` gave or withdrew consent to `purpose`, under the wording in
/// force; returns the purpose's new state.
///
/// Errors: 422 on `purpose` when `consents.toml` does not list it.
pub async fn record(
    state: &AppState,
    account_id: &str,
    purpose: &str,
    action: ConsentAction,
) -> Result<ConsentStatus, AppError> {
    let spec = state
        .policies
        .consent_purposes
        .purposes
        .get(purpose)
        .ok_or_else(|| {
            let known: Vec<&str> = state
                .policies
                .consent_purposes
                .purposes
                .keys()
                .map(String::as_str)
                .collect();
            AppError::invalid(
                "purpose",
                format!("unknown purpose; one of: {}", known.join(", ")),
            )
        })?;
    let now = state.clock.now_ms();
    if action == ConsentAction::Withdrawn {
        // Before the commit, so a restore from an older backup cannot bring the consent
        // back (withdrawal_ledger's module doc says why this order).
        let entry = withdrawal_ledger::Withdrawal::ConsentWithdrawn {
            account_id: account_id.to_owned(),
            purpose: purpose.to_owned(),
            at: now,
        };
        withdrawal_ledger::append(&state.settings.data_dir, &entry)
            .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("withdrawal ledger")))?;
    }
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "INSERT INTO consents (id, account_id, purpose, version, action, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(account_id)
    .bind(purpose)
    .bind(&spec.version)
    .bind(action.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        account_id,
        purpose,
        action = action.as_str(),
        "consent recorded"
    );
    current(state, account_id)
        .await?
        .into_iter()
        .find(|s| s.purpose == purpose)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("consent purpose vanished")))
}
