//! Who may be counted in the analytics: members who consent to the analytics purpose under
//! its current wording (their latest consent row for it is a `given` of that version), are
//! not restricted and do not object to product analytics.

use std::collections::HashSet;

use heepr_compliance::consent_purposes::AnalyticsRule;

use crate::identity::restrictions::unrestricted;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::privacy::consents::ConsentAction;
use crate::privacy::objections::{Processing, not_objecting};

/// The ids of every account that may be counted now, read in one query (a few MB at
/// 100,000 consenting members).
///
/// Errors: 500 when the analytics purpose is not in `consents.toml` (the loader prevents
/// it); the database's.
pub async fn countable(
    state: &AppState,
    rule: &AnalyticsRule,
) -> Result<HashSet<String>, AppError> {
    let purpose = state
        .policies
        .consent_purposes
        .purposes
        .get(&rule.purpose)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("analytics purpose missing")))?;
    let sql = format!(
        "SELECT c.account_id FROM consents c \
         WHERE c.purpose = $1 AND c.version = $2 AND c.action = $3 \
         AND NOT EXISTS (SELECT 1 FROM consents l WHERE l.account_id = c.account_id \
           AND l.purpose = c.purpose \
           AND (l.recorded_at > c.recorded_at OR (l.recorded_at = c.recorded_at AND l.id > c.id))) \
         AND {} AND {}",
        unrestricted("c.account_id"),
        not_objecting("c.account_id", "$4"),
    );
    let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(&rule.purpose)
        .bind(&purpose.version)
        .bind(ConsentAction::Given.as_str())
        .bind(Processing::ProductAnalytics.as_str())
        .fetch_all(state.db.pool())
        .await?;
    Ok(ids.into_iter().collect())
}
