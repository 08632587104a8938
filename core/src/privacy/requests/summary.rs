//! A data subject at a glance, for staff: how many rows the data map finds for them, per
//! table and per category of personal data ("What we collect").

use std::collections::BTreeMap;

use heepr_compliance::data_map::Category;
use heepr_compliance::subject_rows::{self, ident};
use serde::Serialize;
use sqlx::Row;

use crate::identity::staff::mask_email;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// The subject summary shown with a request.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectSummary {
    /// Account id.
    pub account_id: String,
    /// Email (masked for support staff).
    pub email: String,
    /// Display name (or pseudonym once erased).
    pub display_name: String,
    /// `active` or `closed`.
    pub status: String,
    /// Whether erasure has completed.
    pub erased: bool,
    /// Whether an active legal hold exists.
    pub on_hold: bool,
    /// Rows per data-map category (a table counts toward each category of its personal
    /// columns).
    pub rows_by_category: BTreeMap<String, i64>,
    /// Rows per table (tables with links, non-zero only).
    pub rows_by_table: BTreeMap<String, i64>,
}

fn category_name(c: Category) -> &'static str {
    match c {
        Category::Account => "account",
        Category::MarketplaceActivity => "marketplace_activity",
        Category::AgentOperations => "agent_operations",
        Category::Technical => "technical",
    }
}

/// The summary of `account_id`; `mask` hides the email (support role).
///
/// Errors: 404 for an unknown account; the database's.
pub async fn subject_summary(
    state: &AppState,
    account_id: &str,
    mask: bool,
) -> Result<SubjectSummary, AppError> {
    let pool = state.db.pool();
    let row = sqlx::query("SELECT email, display_name, status FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound("account"))?;
    let email: String = row.try_get("email")?;
    let map = &state.policies.data_map;
    let mut by_table = BTreeMap::new();
    let mut by_category: BTreeMap<String, i64> = BTreeMap::new();
    for (name, table) in &map.tables {
        let Some(cond) = subject_rows::condition(map, table).map_err(|e| anyhow::anyhow!(e))?
        else {
            continue;
        };
        let t = ident(name).map_err(|e| anyhow::anyhow!(e))?;
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {t} WHERE {cond}"
        )))
        .bind(account_id)
        .fetch_one(pool)
        .await?;
        if n == 0 {
            continue;
        }
        by_table.insert(name.clone(), n);
        let mut cats: Vec<Category> = table.columns.values().filter_map(|c| c.category).collect();
        cats.sort();
        cats.dedup();
        for c in cats {
            *by_category.entry(category_name(c).to_string()).or_default() += n;
        }
    }
    Ok(SubjectSummary {
        account_id: account_id.to_string(),
        email: if mask { mask_email(&email) } else { email },
        display_name: row.try_get("display_name")?,
        status: row.try_get("status")?,
        erased: heepr_compliance::erasure::is_erased(pool, account_id).await?,
        on_hold: !heepr_compliance::holds::active(pool, account_id)
            .await?
            .is_empty(),
        rows_by_category: by_category,
        rows_by_table: by_table,
    })
}
