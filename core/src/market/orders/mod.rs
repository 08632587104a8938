//! Orders with points escrow (policy: "Operate the marketplace (route messages, place
//! orders, settle points)"; landing page: "Owner-gated revisions, automatic refunds on missed
//! delivery").
//!
//! Placing an order moves its price into the order's own escrow ledger account; completing
//! it releases the escrow to the owner, cancelling or missing the deadline refunds it to the
//! customer ([`escrow`]). The moves follow the state machine in [`status`] and are applied
//! by [`transitions`]; each is one transaction with its ledger transfers, counters and
//! transactional emails ([`notify`]).
//!
//! Privacy boundary: owners and agents see of a customer only the display name and what the
//! customer submitted for the order ([`OrderView`] carries no customer id, email or IP).
//!
//! May use `platform`, `ledger`, and in `market` agents, files and reviews; chats build on
//! it, never the reverse.

pub mod choices;
pub mod closing_for_erasure;
pub mod deadlines;
pub mod escrow;
pub mod notify;
pub mod status;
pub mod transitions;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::identity::accounts::verification;
use crate::identity::restrictions;
use crate::market::agents::{self, order_form};
use crate::market::files::{self, FileView};
use crate::market::reviews::{self, NewReview, ReviewView, ReviewedOrder};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;
pub use status::{OrderAction, OrderStatus};

/// An order thread becomes read-only this long after the order's terminal state (policy:
/// "the chat thread becomes read-only 7 days after the order's terminal state").
pub const READ_ONLY_AFTER_MS: i64 = 7 * 24 * 3_600_000;

/// An order as stored, with the names of its parties.
#[derive(Debug, Clone)]
pub struct Order {
    /// Order id.
    pub id: String,
    /// The agent.
    pub agent_id: String,
    /// The agent's name.
    pub agent_name: String,
    /// The agent's owner.
    pub owner_id: String,
    /// The customer.
    pub customer_id: String,
    /// The customer's display name.
    pub customer_name: String,
    /// State.
    pub status: OrderStatus,
    /// Price held in escrow (points).
    pub price_points: i64,
    /// Validated form answers.
    pub answers: Value,
    /// The offer it came from, if any.
    pub offer_id: Option<String>,
    /// Delivery time (hours).
    pub delivery_hours: i64,
    /// Deliver before this (Unix ms) or the order is refunded.
    pub deadline_at: i64,
    /// Revisions allowed.
    pub revision_limit: i64,
    /// Revisions approved so far.
    pub revisions_used: i64,
    /// The customer's last revision request.
    pub revision_reason: Option<String>,
    /// Accepted (Unix ms).
    pub accepted_at: Option<i64>,
    /// Last delivered (Unix ms).
    pub delivered_at: Option<i64>,
    /// Reached a terminal state (Unix ms).
    pub closed_at: Option<i64>,
    /// Placed (Unix ms).
    pub created_at: i64,
}

/// Columns [`Order::from_row`] reads (`o` orders, `g` agents, `c` customer account, `p` the
/// pseudonym an erased customer's id was replaced with).
pub const ORDER_COLUMNS: &str = "o.id, o.agent_id, g.name AS agent_name, g.owner_id, o.customer_id, \
     COALESCE(c.display_name, p.pseudonym, 'Former member') AS customer_name, o.status, o.price_points, o.answers, o.offer_id, \
     o.delivery_hours, o.deadline_at, o.revision_limit, o.revisions_used, o.revision_reason, o.accepted_at, \
     o.delivered_at, o.closed_at, o.created_at";

/// The FROM clause matching [`ORDER_COLUMNS`].
pub const ORDER_FROM: &str = "orders o JOIN agents g ON g.id = o.agent_id LEFT JOIN accounts c ON c.id = o.customer_id \
     LEFT JOIN pseudonyms p ON p.pseudonym = o.customer_id";

impl Order {
    /// Reads a row selected with [`ORDER_COLUMNS`].
    pub fn from_row(row: &AnyRow) -> Result<Order, AppError> {
        let answers: String = row.try_get("answers")?;
        Ok(Order {
            id: row.try_get("id")?,
            agent_id: row.try_get("agent_id")?,
            agent_name: row.try_get("agent_name")?,
            owner_id: row.try_get("owner_id")?,
            customer_id: row.try_get("customer_id")?,
            customer_name: row.try_get("customer_name")?,
            status: row.try_get("status")?,
            price_points: row.try_get("price_points")?,
            answers: serde_json::from_str(&answers).map_err(|e| AppError::Internal(e.into()))?,
            offer_id: row.try_get("offer_id")?,
            delivery_hours: row.try_get("delivery_hours")?,
            deadline_at: row.try_get("deadline_at")?,
            revision_limit: row.try_get("revision_limit")?,
            revisions_used: row.try_get("revisions_used")?,
            revision_reason: row.try_get("revision_reason")?,
            accepted_at: row.try_get("accepted_at")?,
            delivered_at: row.try_get("delivered_at")?,
            closed_at: row.try_get("closed_at")?,
            created_at: row.try_get("created_at")?,
        })
    }

    /// Whether the order thread is read-only at `now`: 7 days or more after the terminal state.
    pub fn chat_read_only(&self, now: i64) -> bool {
        self.closed_at
            .is_some_and(|closed| now >= closed.saturating_add(READ_ONLY_AFTER_MS))
    }
}

/// Who is acting on an order.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The signed-in customer (account id).
    Customer(&'a str),
    /// The signed-in owner of the order's agent (account id).
    Owner(&'a str),
    /// The agent through its bearer key (agent id).
    Agent(&'a str),
    /// A background job.
    System,
}

/// The parties of an order or a pre-sale thread: the customer, the agent and its owner.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    /// The customer's account id.
    pub customer_id: &'a str,
    /// The agent owner's account id.
    pub owner_id: &'a str,
    /// The agent's id.
    pub agent_id: &'a str,
}

impl Parties<'_> {
    /// Whether `actor` is one of the parties in that role (a background job always is).
    pub fn includes(&self, actor: Actor<'_>) -> bool {
        match actor {
            Actor::Customer(id) => self.customer_id == id,
            Actor::Owner(id) => self.owner_id == id,
            Actor::Agent(id) => self.agent_id == id,
            Actor::System => true,
        }
    }

    /// A signed-in person's role: customer or owner, whichever they are.
    pub fn role_of<'b>(&self, account_id: &'b str) -> Option<Actor<'b>> {
        if self.customer_id == account_id {
            Some(Actor::Customer(account_id))
        } else if self.owner_id == account_id {
            Some(Actor::Owner(account_id))
        } else {
            None
        }
    }
}

impl Order {
    /// The order's parties.
    pub fn parties(&self) -> Parties<'_> {
        Parties {
            customer_id: &self.customer_id,
            owner_id: &self.owner_id,
            agent_id: &self.agent_id,
        }
    }
}

/// Loads order `id` without any authorization check.
pub async fn load(pool: &sqlx::AnyPool, id: &str) -> Result<Option<Order>, AppError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} WHERE o.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(Order::from_row).transpose()
}

/// Order `id` if `actor` is a party to it. Errors: 404 otherwise (another customer's or
/// owner's order is "not found", so ids reveal nothing).
pub async fn load_for(pool: &sqlx::AnyPool, id: &str, actor: Actor<'_>) -> Result<Order, AppError> {
    match load(pool, id).await? {
        Some(order) if order.parties().includes(actor) => Ok(order),
        _ => Err(AppError::NotFound("order")),
    }
}

/// Order `id` for a signed-in person (customer or owner) with their role.
pub async fn load_for_person<'a>(
    pool: &sqlx::AnyPool,
    id: &str,
    account_id: &'a str,
) -> Result<(Order, Actor<'a>), AppError> {
    let order = load(pool, id).await?.ok_or(AppError::NotFound("order"))?;
    let actor = order
        .parties()
        .role_of(account_id)
        .ok_or(AppError::NotFound("order"))?;
    Ok((order, actor))
}

/// An order as its parties see it (customer, owner, agent alike: nothing here identifies the
/// customer beyond the display name).
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    /// Order id.
    pub id: String,
    /// The agent's id.
    pub agent_id: String,
    /// The agent's name.
    pub agent_name: String,
    /// The customer's display name.
    pub customer_name: String,
    /// State.
    pub status: OrderStatus,
    /// Price in escrow (points).
    pub price_points: i64,
    /// The customer's form answers.
    pub answers: Value,
    /// Briefs, attachments and deliverables.
    pub files: Vec<FileView>,
    /// The offer it came from.
    pub offer_id: Option<String>,
    /// Deliver before (RFC 3339).
    pub deadline_at: String,
    /// Revisions allowed.
    pub revision_limit: i64,
    /// Revisions approved so far.
    pub revisions_used: i64,
    /// Last revision request.
    pub revision_reason: Option<String>,
    /// Placed (RFC 3339).
    pub created_at: String,
    /// Accepted (RFC 3339).
    pub accepted_at: Option<String>,
    /// Last delivered (RFC 3339).
    pub delivered_at: Option<String>,
    /// Terminal state reached (RFC 3339).
    pub closed_at: Option<String>,
    /// Whether the order thread refuses new messages.
    pub chat_read_only: bool,
    /// The review, once posted.
    pub review: Option<ReviewView>,
}

/// The view of `order` at `now`.
pub async fn view(state: &AppState, order: &Order) -> Result<OrderView, AppError> {
    views(state, std::slice::from_ref(order))
        .await?
        .pop()
        .ok_or(AppError::NotFound("order"))
}

/// The views of `orders`, in their order, at `now`. Files and reviews are read for all of
/// them at once (one query each per [`IN_LIST_CHUNK`](crate::platform::db::IN_LIST_CHUNK)
/// orders), so a list of 200 orders costs as many queries as a list of one.
///
/// Errors: the database's.
pub async fn views(state: &AppState, orders: &[Order]) -> Result<Vec<OrderView>, AppError> {
    let now = state.clock.now_ms();
    let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    let mut files = files::for_orders(state.db.pool(), &ids).await?;
    let mut reviews = reviews::for_orders(state.db.pool(), &ids).await?;
    let view_of = |order: &Order| OrderView {
        id: order.id.clone(),
        agent_id: order.agent_id.clone(),
        agent_name: order.agent_name.clone(),
        customer_name: order.customer_name.clone(),
        status: order.status,
        price_points: order.price_points,
        answers: order.answers.clone(),
        files: files.remove(&order.id).unwrap_or_default(),
        offer_id: order.offer_id.clone(),
        deadline_at: rfc3339(order.deadline_at),
        revision_limit: order.revision_limit,
        revisions_used: order.revisions_used,
        revision_reason: order.revision_reason.clone(),
        created_at: rfc3339(order.created_at),
        accepted_at: order.accepted_at.map(rfc3339),
        delivered_at: order.delivered_at.map(rfc3339),
        closed_at: order.closed_at.map(rfc3339),
        chat_read_only: order.chat_read_only(now),
        review: reviews.remove(&order.id),
    };
    Ok(orders.iter().map(view_of).collect())
}

/// Posts the customer's review of order `order_id` ([`reviews::post`]).
///
/// Errors: 404 unless `customer_id` placed the order; then [`reviews::post`]'s: 422 for a
/// rating outside 1–5 or bad text, 409 `order_not_completed`, 409 `already_reviewed`.
pub async fn review(
    state: &AppState,
    customer_id: &str,
    order_id: &str,
    review: &NewReview,
) -> Result<ReviewView, AppError> {
    let order = load_for(state.db.pool(), order_id, Actor::Customer(customer_id)).await?;
    let reviewed = ReviewedOrder {
        order_id,
        agent_id: &order.agent_id,
        customer_id,
        completed: order.status == OrderStatus::Completed,
    };
    reviews::post(state, &reviewed, review).await
}

/// Which orders a list shows.
#[derive(Debug, Clone, Copy)]
pub enum OrderScope<'a> {
    /// The customer's own orders.
    Customer(&'a str),
    /// Orders of every agent the owner has.
    Owner(&'a str),
    /// Orders of one agent.
    Agent(&'a str),
}

/// Up to 200 orders in `scope`, optionally of one status, newest first.
pub async fn list(
    state: &AppState,
    scope: OrderScope<'_>,
    status: Option<OrderStatus>,
) -> Result<Vec<Order>, AppError> {
    let (filter, id) = match scope {
        OrderScope::Customer(id) => ("o.customer_id = $1", id),
        OrderScope::Owner(id) => ("g.owner_id = $1", id),
        OrderScope::Agent(id) => ("o.agent_id = $1", id),
    };
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} WHERE {filter} AND ($2 = '' OR o.status = $2) \
         ORDER BY o.created_at DESC, o.id DESC LIMIT 200"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(status.map_or("", OrderStatus::as_str))
        .fetch_all(state.db.pool())
        .await?;
    rows.iter().map(Order::from_row).collect()
}

/// `POST /api/v1/orders`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// The agent to hire.
    pub agent_id: String,
    /// `{field name: value}` for the agent's order form.
    #[serde(default = "empty_object")]
    pub answers: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// Terms of an order: from the agent's listing, or from an accepted offer.
#[derive(Debug, Clone)]
pub struct Terms {
    /// Price (points).
    pub price_points: i64,
    /// Delivery time (hours).
    pub delivery_hours: i64,
    /// The offer, when the terms come from one.
    pub offer_id: Option<String>,
}

/// Places an order with the agent's listed terms: validates the answers against the agent's
/// form, moves the price into escrow, sets the deadline and emails both parties.
///
/// Errors: 404 for an unknown or unpublished agent; 422 for answers that do not match the
/// form, a file answer that is not the customer's unattached upload, or ordering from one's
/// own agent; 403 `email_unverified` before the customer verified their email address;
/// 409 `insufficient_points`; 409 `account_restricted` when processing of the
/// customer's or the owner's data is restricted. Nothing is written in any error case.
pub async fn place(
    state: &AppState,
    customer_id: &str,
    request: &NewOrder,
) -> Result<Order, AppError> {
    let agent = agents::load_published(state.db.pool(), &request.agent_id).await?;
    let checked = order_form::check_answers(&agent.order_form, &request.answers)?;
    let terms = Terms {
        price_points: agent.price_points,
        delivery_hours: agent.delivery_hours,
        offer_id: None,
    };
    let mut tx = state.db.begin_write().await?;
    let id = place_in(&mut tx, state, customer_id, &agent, &terms, &checked).await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    load(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound("order"))
}

/// Places an order inside `tx` (shared by listings and accepted offers); returns its id.
pub async fn place_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    state: &AppState,
    customer_id: &str,
    agent: &agents::Agent,
    terms: &Terms,
    checked: &order_form::CheckedAnswers,
) -> Result<String, AppError> {
    if agent.owner_id == customer_id {
        return Err(AppError::invalid(
            "agent_id",
            "you cannot order from your own agent",
        ));
    }
    restrictions::refuse_new_order(tx, customer_id, &agent.owner_id).await?;
    // The points an order spends come from the sign-up bonus, which waits for verification.
    verification::require_verified(&mut **tx, customer_id).await?;
    if terms.price_points <= 0 {
        return Err(AppError::invalid(
            "price_points",
            "the price must be more than zero points",
        ));
    }
    let now = state.clock.now_ms();
    let id = new_id();
    let deadline = now.saturating_add(terms.delivery_hours.saturating_mul(3_600_000));
    let answers =
        serde_json::to_string(&checked.answers).map_err(|e| AppError::Internal(e.into()))?;
    sqlx::query(
        "INSERT INTO orders (id, agent_id, customer_id, status, price_points, answers, offer_id, delivery_hours, deadline_at, \
         revision_limit, revisions_used, created_at, updated_at) VALUES ($1, $2, $3, $11, $4, $5, $6, $7, $8, $9, 0, $10, $10)",
    )
    .bind(&id)
    .bind(&agent.id)
    .bind(customer_id)
    .bind(terms.price_points)
    .bind(answers)
    .bind(terms.offer_id.clone())
    .bind(terms.delivery_hours)
    .bind(deadline)
    .bind(agent.revision_limit)
    .bind(now)
    .bind(OrderStatus::Placed.as_str())
    .execute(&mut **tx)
    .await?;
    for file_id in &checked.file_ids {
        files::attach_brief(tx, file_id, customer_id, &id).await?;
    }
    escrow::hold(tx, &id, customer_id, terms.price_points, now).await?;
    notify::order_event(tx, state, &id, notify::Event::Placed).await?;
    tracing::info!(order_id = %id, agent_id = %agent.id, "order placed");
    Ok(id)
}
