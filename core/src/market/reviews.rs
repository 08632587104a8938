//! Reviews: a customer reviews a completed order once (1–5 stars and text); the agent's owner
//! may reply once. The agent's rating and review count are derived from the reviews, updated
//! in the same transaction. Reviews show the reviewer's display name only.
//!
//! Who may review which order is decided by the orders (`orders::review` loads the order for
//! its customer); this module only knows reviews, so orders can show their review.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::platform::db::fetch_for_ids;
use crate::platform::error::{AppError, is_unique_violation};
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;

/// Longest review or reply (characters).
const MAX_TEXT_CHARS: usize = 4_000;

/// `POST /api/v1/orders/{id}/review`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    /// 1–5 stars.
    pub rating: i64,
    /// What the customer says, up to 4,000 characters (may be empty).
    #[serde(default)]
    pub body: String,
}

/// `POST /api/v1/reviews/{id}/reply`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    /// The owner's reply, 1–4,000 characters.
    pub body: String,
}

/// A review as anyone sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewView {
    /// Review id.
    pub id: String,
    /// 1–5.
    pub rating: i64,
    /// Text.
    pub body: String,
    /// The reviewer's display name.
    pub reviewer_name: String,
    /// The owner's reply.
    pub reply: Option<String>,
    /// When replied (RFC 3339).
    pub replied_at: Option<String>,
    /// When posted (RFC 3339).
    pub created_at: String,
}

impl ReviewView {
    /// The rating as stars, for pages.
    pub fn stars(&self) -> String {
        "★".repeat(usize::try_from(self.rating).unwrap_or(0))
    }
}

fn check_text(field: &'static str, text: &str, min: usize) -> Result<String, AppError> {
    let text = text.trim();
    let n = text.chars().count();
    if n < min || n > MAX_TEXT_CHARS {
        return Err(AppError::invalid(
            field,
            format!("must be {min}-{MAX_TEXT_CHARS} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// The order a review is posted on, as `orders::review` loaded it for its
/// customer.
#[derive(Debug, Clone, Copy)]
pub struct ReviewedOrder<'a> {
    /// The order.
    pub order_id: &'a str,
    /// Its agent, whose rating the review counts towards.
    pub agent_id: &'a str,
    /// Its customer, the reviewer.
    pub customer_id: &'a str,
    /// Whether the order is completed (only a completed order can be reviewed).
    pub completed: bool,
}

/// Posts the customer's review of `order`.
///
/// Errors: 422 for a rating outside 1–5 or bad text; 409 `order_not_completed` for an
/// unfinished order; 409 `already_reviewed`.
pub async fn post(
    state: &AppState,
    order: &ReviewedOrder<'_>,
    review: &NewReview,
) -> Result<ReviewView, AppError> {
    if !(1..=5).contains(&review.rating) {
        return Err(AppError::invalid("rating", "rate from 1 to 5 stars"));
    }
    let body = check_text("body", &review.body, 0)?;
    if !order.completed {
        return Err(AppError::Conflict {
            code: "order_not_completed",
            message: "only a completed order can be reviewed".into(),
        });
    }
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO reviews (id, order_id, agent_id, customer_id, rating, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(order.order_id)
    .bind(order.agent_id)
    .bind(order.customer_id)
    .bind(review.rating)
    .bind(&body)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e, "reviews_order_id_key") => {
            return Err(AppError::Conflict {
                code: "already_reviewed",
                message: "this order has already been reviewed".into(),
            });
        }
        other => other?,
    };
    sqlx::query("UPDATE agents SET rating_total = rating_total + $1, review_count = review_count + 1 WHERE id = $2")
        .bind(review.rating)
        .bind(order.agent_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    for_order(state, order.order_id)
        .await?
        .ok_or(AppError::NotFound("review"))
}

/// Posts the owner's one reply to review `review_id`.
///
/// Errors: 404 unless `owner_id` owns the reviewed agent; 409 `already_replied`; 422 for bad text.
pub async fn reply(
    state: &AppState,
    owner_id: &str,
    review_id: &str,
    reply: &NewReply,
) -> Result<ReviewView, AppError> {
    let body = check_text("body", &reply.body, 1)?;
    let order_id: Option<String> = sqlx::query_scalar(
        "SELECT r.order_id FROM reviews r JOIN agents g ON g.id = r.agent_id WHERE r.id = $1 AND g.owner_id = $2",
    )
    .bind(review_id)
    .bind(owner_id)
    .fetch_optional(state.db.pool())
    .await?;
    let order_id = order_id.ok_or(AppError::NotFound("review"))?;
    let done = sqlx::query(
        "UPDATE reviews SET reply_body = $1, replied_at = $2 WHERE id = $3 AND reply_body IS NULL",
    )
    .bind(&body)
    .bind(state.clock.now_ms())
    .bind(review_id)
    .execute(state.db.pool())
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict {
            code: "already_replied",
            message: "you have already replied to this review".into(),
        });
    }
    for_order(state, &order_id)
        .await?
        .ok_or(AppError::NotFound("review"))
}

const REVIEW_SELECT: &str = "SELECT r.id, r.order_id, r.rating, r.body, COALESCE(c.display_name, p.pseudonym, 'Former member') AS reviewer_name, \
     r.reply_body, r.replied_at, r.created_at FROM reviews r LEFT JOIN accounts c ON c.id = r.customer_id \
     LEFT JOIN pseudonyms p ON p.pseudonym = r.customer_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ReviewView, sqlx::Error> {
    Ok(ReviewView {
        id: r.try_get("id")?,
        rating: r.try_get("rating")?,
        body: r.try_get("body")?,
        reviewer_name: r.try_get("reviewer_name")?,
        reply: r.try_get("reply_body")?,
        replied_at: r.try_get::<Option<i64>, _>("replied_at")?.map(rfc3339),
        created_at: rfc3339(r.try_get("created_at")?),
    })
}

/// The review of order `order_id`, if any.
pub async fn for_order(state: &AppState, order_id: &str) -> Result<Option<ReviewView>, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{REVIEW_SELECT} WHERE r.order_id = $1"
    )))
    .bind(order_id)
    .fetch_optional(state.db.pool())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The review of each of `order_ids` that has one, in one query per
/// [`IN_LIST_CHUNK`](crate::platform::db::IN_LIST_CHUNK) orders however many there are.
///
/// Errors: the database's.
pub async fn for_orders(
    pool: &sqlx::AnyPool,
    order_ids: &[&str],
) -> Result<HashMap<String, ReviewView>, AppError> {
    let rows = fetch_for_ids(pool, order_ids, |list| {
        format!("{REVIEW_SELECT} WHERE r.order_id IN ({list})")
    })
    .await?;
    let mut out = HashMap::new();
    for row in &rows {
        let order_id: String = row.try_get("order_id")?;
        out.insert(order_id, from_row(row)?);
    }
    Ok(out)
}

/// The newest `limit` reviews of agent `agent_id`.
pub async fn for_agent(
    state: &AppState,
    agent_id: &str,
    limit: i64,
) -> Result<Vec<ReviewView>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{REVIEW_SELECT} WHERE r.agent_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
    )))
    .bind(agent_id)
    .bind(limit)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}
