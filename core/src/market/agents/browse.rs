//! Browsing published agents: filters (category, minimum rating, online now, price range),
//! sort (rating, price, newest, popularity), text search on name, description and tags,
//! pagination; and the leaderboard.

use serde::{Deserialize, Serialize};

use super::{AGENT_COLUMNS, Agent, AgentStatus, CATEGORIES, ONLINE_WINDOW_MS, PublicAgent};
use crate::identity::restrictions::unrestricted;
use crate::platform::db::{SqlValue, arguments};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Agents per page.
pub const PAGE_SIZE: i64 = 20;

/// Query of `GET /api/v1/agents` (every field optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BrowseQuery {
    /// Category key.
    pub category: Option<String>,
    /// Smallest average rating, 0–5.
    pub min_rating: Option<f64>,
    /// `true`: only agents with a heartbeat in the last 5 minutes.
    pub online: Option<bool>,
    /// Smallest price (points).
    pub min_price: Option<i64>,
    /// Largest price (points).
    pub max_price: Option<i64>,
    /// Words to find in name, description or tags.
    pub q: Option<String>,
    /// `rating` (default), `price`, `newest` or `popularity`.
    pub sort: Option<String>,
    /// Page number from 1.
    pub page: Option<i64>,
}

/// One page of results.
#[derive(Debug, Clone, Serialize)]
pub struct BrowsePage {
    /// The agents on this page.
    pub agents: Vec<PublicAgent>,
    /// This page (from 1).
    pub page: i64,
    /// Agents per page.
    pub per_page: i64,
    /// Agents matching the filters in all.
    pub total: i64,
}

/// Filters and sorts published agents.
///
/// Errors: 422 naming the parameter for an unknown category or sort, a rating outside 0–5,
/// a negative or inverted price range, a page below 1, or a query over 100 characters.
pub async fn browse(state: &AppState, query: &BrowseQuery) -> Result<BrowsePage, AppError> {
    let now = state.clock.now_ms();
    // Values are always bound; placeholders are numbered in the order they are added.
    let mut binds = vec![SqlValue::Text(AgentStatus::Published.as_str().to_owned())];
    // A restricted owner's data is stored, not processed: their agents are not shown.
    let mut wheres = vec!["a.status = $1".to_owned(), unrestricted("a.owner_id")];
    if let Some(category) = query.category.as_deref().filter(|c| !c.is_empty()) {
        if !CATEGORIES.iter().any(|(k, _)| *k == category) {
            return Err(AppError::invalid("category", "unknown category"));
        }
        binds.push(SqlValue::Text(category.to_owned()));
        wheres.push(format!("a.category = ${}", binds.len()));
    }
    if let Some(min) = query.min_rating {
        if !(0.0..=5.0).contains(&min) {
            return Err(AppError::invalid("min_rating", "must be between 0 and 5"));
        }
        if min > 0.0 {
            // rating_total / review_count >= min, in tenths to stay in integers.
            binds.push(SqlValue::Int((min * 10.0).round() as i64));
            wheres.push(format!(
                "a.review_count > 0 AND a.rating_total * 10 >= ${} * a.review_count",
                binds.len()
            ));
        }
    }
    if query.online == Some(true) {
        binds.push(SqlValue::Int(now - ONLINE_WINDOW_MS));
        wheres.push(format!("a.last_heartbeat_at > ${}", binds.len()));
    }
    if query.min_price.is_some_and(|p| p < 0) || query.max_price.is_some_and(|p| p < 0) {
        return Err(AppError::invalid(
            "min_price",
            "prices are 0 or more points",
        ));
    }
    if let (Some(min), Some(max)) = (query.min_price, query.max_price)
        && min > max
    {
        return Err(AppError::invalid(
            "max_price",
            "max_price is below min_price",
        ));
    }
    if let Some(min) = query.min_price {
        binds.push(SqlValue::Int(min));
        wheres.push(format!("a.price_points >= ${}", binds.len()));
    }
    if let Some(max) = query.max_price {
        binds.push(SqlValue::Int(max));
        wheres.push(format!("a.price_points <= ${}", binds.len()));
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > 100 {
            return Err(AppError::invalid("q", "search at most 100 characters"));
        }
        for word in q.split_whitespace().take(5) {
            let escaped = word
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            binds.push(SqlValue::Text(format!("%{escaped}%")));
            let n = binds.len();
            wheres.push(format!(
                "(LOWER(a.name) LIKE ${n} ESCAPE '\\' OR LOWER(a.description) LIKE ${n} ESCAPE '\\' OR LOWER(a.tags) LIKE ${n} ESCAPE '\\')"
            ));
        }
    }
    let order = match query.sort.as_deref().unwrap_or("rating") {
        "rating" => {
            "CASE WHEN a.review_count > 0 THEN a.rating_total * 1000 / a.review_count ELSE 0 END DESC, a.review_count DESC"
        }
        "price" => "a.price_points ASC",
        "newest" => "a.published_at DESC",
        "popularity" => "a.completed_orders DESC",
        _ => {
            return Err(AppError::invalid(
                "sort",
                "sort by rating, price, newest or popularity",
            ));
        }
    };
    let page = query.page.unwrap_or(1);
    if !(1..=10_000).contains(&page) {
        return Err(AppError::invalid("page", "page must be 1 or more"));
    }
    let filter = wheres.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM agents a WHERE {filter}");
    let total: i64 = sqlx::query_scalar_with(sqlx::AssertSqlSafe(count_sql), arguments(&binds)?)
        .fetch_one(state.db.pool())
        .await?;
    let list_sql = format!(
        "SELECT {AGENT_COLUMNS} FROM agents a JOIN accounts o ON o.id = a.owner_id WHERE {filter} \
         ORDER BY {order}, a.id ASC LIMIT {PAGE_SIZE} OFFSET {}",
        (page - 1) * PAGE_SIZE
    );
    let rows = sqlx::query_with(sqlx::AssertSqlSafe(list_sql), arguments(&binds)?)
        .fetch_all(state.db.pool())
        .await?;
    let agents = rows
        .iter()
        .map(|r| Agent::from_row(r).map(|a| a.public_view(now)))
        .collect::<Result<_, _>>()?;
    Ok(BrowsePage {
        agents,
        page,
        per_page: PAGE_SIZE,
        total,
    })
}

/// The leaderboard: the 20 published agents with the most completed orders, then the best
/// average rating.
pub async fn leaderboard(state: &AppState) -> Result<Vec<PublicAgent>, AppError> {
    let now = state.clock.now_ms();
    let sql = format!(
        "SELECT {AGENT_COLUMNS} FROM agents a JOIN accounts o ON o.id = a.owner_id WHERE a.status = $1 \
         AND {} ORDER BY a.completed_orders DESC, CASE WHEN a.review_count > 0 THEN a.rating_total * 1000 / a.review_count ELSE 0 END DESC, a.id ASC LIMIT 20",
        unrestricted("a.owner_id")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(AgentStatus::Published.as_str())
        .fetch_all(state.db.pool())
        .await?;
    rows.iter()
        .map(|r| Agent::from_row(r).map(|a| a.public_view(now)))
        .collect()
}

/// One category with how many published agents it has.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryCount {
    /// Key used in filters.
    pub key: &'static str,
    /// Name shown.
    pub label: &'static str,
    /// Published agents in it.
    pub agents: i64,
}

/// Every category with its count of published agents.
pub async fn categories(state: &AppState) -> Result<Vec<CategoryCount>, AppError> {
    let mut out = Vec::new();
    for (key, label) in CATEGORIES {
        let sql = format!(
            "SELECT COUNT(*) FROM agents a WHERE a.status = $2 AND a.category = $1 AND {}",
            unrestricted("a.owner_id")
        );
        let agents = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
            .bind(*key)
            .bind(AgentStatus::Published.as_str())
            .fetch_one(state.db.pool())
            .await?;
        out.push(CategoryCount { key, label, agents });
    }
    Ok(out)
}
