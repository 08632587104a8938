//! Offers: in a pre-sale thread the owner (or the agent via the bearer API) offers a scope,
//! price, delivery time and expiry; the customer accepts (an order is placed on those terms,
//! its price moved into escrow) or declines. An offer is decided once; an expired one can
//! only be declined.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::presale::Thread;
use crate::market::agents::{self, order_form::CheckedAnswers};
use crate::market::orders::{self, Actor, Order, Terms};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;

/// `POST .../threads/{id}/offers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOffer {
    /// What will be done, 1–4,000 characters.
    pub scope: String,
    /// Price, 1–1,000,000 points.
    pub price_points: i64,
    /// Delivery time after acceptance, 1–1,440 hours.
    pub delivery_hours: i64,
    /// The offer expires this many hours after it is sent, 1–720.
    pub expires_in_hours: i64,
}

heepr_compliance::stored_state! {
    /// Where an offer stands (`offers.status`). Decided once: open is the only state that
    /// moves.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OfferStatus: "offer status" {
        /// Sent; the customer may accept (until it expires) or decline.
        Open = "open",
        /// Accepted: an order was placed on its terms.
        Accepted = "accepted",
        /// Declined by the customer.
        Declined = "declined",
    }
}

/// An offer as both parties see it.
#[derive(Debug, Clone, Serialize)]
pub struct OfferView {
    /// Offer id.
    pub id: String,
    /// The pre-sale thread.
    pub thread_id: String,
    /// The agent.
    pub agent_id: String,
    /// Scope.
    pub scope: String,
    /// Price (points).
    pub price_points: i64,
    /// Delivery time (hours).
    pub delivery_hours: i64,
    /// Expires (RFC 3339).
    pub expires_at: String,
    /// `open`, `accepted` or `declined`.
    pub status: OfferStatus,
    /// The order placed on acceptance.
    pub order_id: Option<String>,
    /// Sent (RFC 3339).
    pub created_at: String,
}

/// An offer with what the viewing party may do with it, for pages (it reads as the
/// [`OfferView`] it wraps).
#[derive(Debug, Clone)]
pub struct OfferCard {
    /// The offer.
    pub offer: OfferView,
    /// The viewer may accept or decline it: the customer, while it is open (an expired
    /// open offer shows both; accepting it is refused with `offer_expired`).
    pub can_decide: bool,
}

impl std::ops::Deref for OfferCard {
    type Target = OfferView;

    fn deref(&self) -> &OfferView {
        &self.offer
    }
}

/// `offers` as `viewer` sees them.
pub fn cards(offers: Vec<OfferView>, viewer: Actor<'_>) -> Vec<OfferCard> {
    offers
        .into_iter()
        .map(|offer| OfferCard {
            can_decide: matches!(viewer, Actor::Customer(_)) && offer.status == OfferStatus::Open,
            offer,
        })
        .collect()
}

fn check(offer: &NewOffer) -> Result<String, AppError> {
    let scope = super::messages::check_body(&offer.scope)
        .map_err(|_| AppError::invalid("scope", "describe the scope in 1-10,000 characters"))?;
    if offer.price_points <= 0 || offer.price_points > 1_000_000 {
        return Err(AppError::invalid(
            "price_points",
            "the price must be between 1 and 1,000,000 points",
        ));
    }
    if !(1..=1440).contains(&offer.delivery_hours) {
        return Err(AppError::invalid(
            "delivery_hours",
            "delivery time must be 1-1440 hours",
        ));
    }
    if !(1..=720).contains(&offer.expires_in_hours) {
        return Err(AppError::invalid(
            "expires_in_hours",
            "an offer expires 1-720 hours after it is sent",
        ));
    }
    Ok(scope)
}

/// Sends an offer in `thread` by `actor` (its owner or agent, checked by the caller).
///
/// Errors: 422 naming the bad field.
pub async fn send(
    state: &AppState,
    thread: &Thread,
    offer: &NewOffer,
) -> Result<OfferView, AppError> {
    let scope = check(offer)?;
    let now = state.clock.now_ms();
    let id = new_id();
    sqlx::query(
        "INSERT INTO offers (id, thread_id, agent_id, customer_id, scope, price_points, delivery_hours, expires_at, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9)",
    )
    .bind(&id)
    .bind(&thread.id)
    .bind(&thread.agent_id)
    .bind(&thread.customer_id)
    .bind(&scope)
    .bind(offer.price_points)
    .bind(offer.delivery_hours)
    .bind(now + offer.expires_in_hours * 3_600_000)
    .bind(now)
    .bind(OfferStatus::Open.as_str())
    .execute(state.db.pool())
    .await?;
    load(state, &id).await
}

const OFFER_SELECT: &str = "SELECT id, thread_id, agent_id, customer_id, scope, price_points, delivery_hours, expires_at, status, order_id, created_at FROM offers";

fn from_row(r: &sqlx::any::AnyRow) -> Result<OfferView, sqlx::Error> {
    Ok(OfferView {
        id: r.try_get("id")?,
        thread_id: r.try_get("thread_id")?,
        agent_id: r.try_get("agent_id")?,
        scope: r.try_get("scope")?,
        price_points: r.try_get("price_points")?,
        delivery_hours: r.try_get("delivery_hours")?,
        expires_at: rfc3339(r.try_get("expires_at")?),
        status: r.try_get("status")?,
        order_id: r.try_get("order_id")?,
        created_at: rfc3339(r.try_get("created_at")?),
    })
}

async fn load(state: &AppState, id: &str) -> Result<OfferView, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{OFFER_SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or(AppError::NotFound("offer"))?;
    Ok(from_row(&row)?)
}

/// The offers of `thread`, oldest first.
pub async fn for_thread(state: &AppState, thread: &Thread) -> Result<Vec<OfferView>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{OFFER_SELECT} WHERE thread_id = $1 ORDER BY created_at, id"
    )))
    .bind(&thread.id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The thread of offer `id` when it was sent to `customer_id` (a page showing a refused
/// decision goes back to it); `None` otherwise.
///
/// Errors: the database's.
pub async fn thread_of(
    state: &AppState,
    customer_id: &str,
    id: &str,
) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT thread_id FROM offers WHERE id = $1 AND customer_id = $2")
            .bind(id)
            .bind(customer_id)
            .fetch_optional(state.db.pool())
            .await?,
    )
}

/// The customer accepts (`accept = true`) or declines offer `id`. Accepting places an order
/// on the offer's terms in the same transaction.
///
/// Errors: 404 unless the offer was sent to `customer_id`; 409 `offer_decided` when already
/// accepted or declined; 409 `offer_expired` when accepting after the expiry; 409
/// `insufficient_points`. Nothing changes in any error case.
pub async fn decide(
    state: &AppState,
    customer_id: &str,
    id: &str,
    accept: bool,
) -> Result<(OfferView, Option<Order>), AppError> {
    let row = sqlx::query(
        "SELECT agent_id, customer_id, status, price_points, delivery_hours, expires_at FROM offers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(state.db.pool())
    .await?;
    let row = match row {
        Some(r) if r.try_get::<String, _>("customer_id")? == customer_id => r,
        _ => return Err(AppError::NotFound("offer")),
    };
    let now = state.clock.now_ms();
    if accept && now >= row.try_get::<i64, _>("expires_at")? {
        return Err(AppError::Conflict {
            code: "offer_expired",
            message: "this offer has expired: ask for a new one".into(),
        });
    }
    let mut tx = state.db.begin_write().await?;
    let decided =
        sqlx::query("UPDATE offers SET status = $1, decided_at = $2 WHERE id = $3 AND status = $4")
            .bind(
                if accept {
                    OfferStatus::Accepted
                } else {
                    OfferStatus::Declined
                }
                .as_str(),
            )
            .bind(now)
            .bind(id)
            .bind(OfferStatus::Open.as_str())
            .execute(&mut *tx)
            .await?;
    if decided.rows_affected() != 1 {
        return Err(AppError::Conflict {
            code: "offer_decided",
            message: "this offer was already accepted or declined".into(),
        });
    }
    let mut order_id = None;
    if accept {
        let agent_id: String = row.try_get("agent_id")?;
        let agent = agents::load(state.db.pool(), &agent_id)
            .await?
            .ok_or(AppError::NotFound("agent"))?;
        let terms = Terms {
            price_points: row.try_get("price_points")?,
            delivery_hours: row.try_get("delivery_hours")?,
            offer_id: Some(id.to_owned()),
        };
        let checked = CheckedAnswers {
            answers: serde_json::Map::new(),
            file_ids: Vec::new(),
        };
        let placed =
            orders::place_in(&mut tx, state, customer_id, &agent, &terms, &checked).await?;
        sqlx::query("UPDATE offers SET order_id = $1 WHERE id = $2")
            .bind(&placed)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        order_id = Some(placed);
    }
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    let order = match order_id {
        Some(oid) => {
            Some(orders::load_for(state.db.pool(), &oid, Actor::Customer(customer_id)).await?)
        }
        None => None,
    };
    Ok((load(state, id).await?, order))
}
