//! Chats: a pre-sale thread per customer and agent ([`presale`]), and an order thread per
//! order (this module). Policy: "Messages on completed orders remain visible to both parties
//! indefinitely; the chat thread becomes read-only 7 days after the order's terminal state."
//!
//! Messages show the author's role and display name (the agent's name for the agent), never
//! an account id or email.

pub mod offers;
pub mod presale;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::orders::{Actor, Order, READ_ONLY_AFTER_MS};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::{human, rfc3339};
use crate::platform::tokens::new_id;

/// Longest message (characters).
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// `POST .../messages`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The text, 1–10,000 characters.
    pub body: String,
}

/// A chat message as both parties see it.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Message id.
    pub id: String,
    /// `customer`, `owner`, `agent` or `system`.
    pub author_role: String,
    /// The customer's or owner's display name, or the agent's name.
    pub author_name: String,
    /// The text.
    pub body: String,
    /// Posted (RFC 3339).
    pub created_at: String,
}

/// Checks a message body. Errors: 422 on `body` for empty, too long or control characters.
pub fn check_body(body: &str) -> Result<String, AppError> {
    let text = body.trim();
    let n = text.chars().count();
    if n == 0 || n > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid(
            "body",
            format!("a message is 1-{MAX_MESSAGE_CHARS} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(
            "body",
            "a message must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// The author columns of a message posted by `actor` on something owned by `owner_id`:
/// `(author_id, author_role)`. The agent writes on its owner's behalf.
pub fn author<'a>(actor: Actor<'a>, owner_id: &'a str) -> (&'a str, &'static str) {
    match actor {
        Actor::Customer(id) => (id, "customer"),
        Actor::Owner(id) => (id, "owner"),
        Actor::Agent(_) => (owner_id, "agent"),
        Actor::System => ("system", "system"),
    }
}

/// `author_name` for a row with `author_role`, `author_display` and `agent_name` columns.
fn view_from_row(r: &sqlx::any::AnyRow) -> Result<MessageView, sqlx::Error> {
    let role: String = r.try_get("author_role")?;
    let author_name = match role.as_str() {
        "agent" => r.try_get("agent_name")?,
        "system" => "heepr".to_owned(),
        _ => r
            .try_get::<Option<String>, _>("author_display")?
            .unwrap_or_else(|| "Former member".to_owned()),
    };
    Ok(MessageView {
        id: r.try_get("id")?,
        author_role: role,
        author_name,
        body: r.try_get("body")?,
        created_at: rfc3339(r.try_get("created_at")?),
    })
}

/// The view of a message just posted.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn posted(
    state: &AppState,
    actor: Actor<'_>,
    author_id: &str,
    role: &str,
    agent_name: &str,
    customer_name: &str,
    id: String,
    body: String,
    now: i64,
) -> Result<MessageView, AppError> {
    let author_name = match actor {
        Actor::Agent(_) => agent_name.to_owned(),
        Actor::Customer(_) => customer_name.to_owned(),
        _ => sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
            .bind(author_id)
            .fetch_optional(state.db.pool())
            .await?
            .unwrap_or_default(),
    };
    Ok(MessageView {
        id,
        author_role: role.to_owned(),
        author_name,
        body,
        created_at: rfc3339(now),
    })
}

/// The messages of `order`, oldest first (readable by its parties forever).
pub async fn order_messages(state: &AppState, order: &Order) -> Result<Vec<MessageView>, AppError> {
    let rows = sqlx::query(
        "SELECT m.id, m.author_role, COALESCE(a.display_name, p.pseudonym) AS author_display, g.name AS agent_name, m.body, m.created_at \
         FROM order_messages m JOIN orders o ON o.id = m.order_id JOIN agents g ON g.id = o.agent_id \
         LEFT JOIN accounts a ON a.id = m.author_id LEFT JOIN pseudonyms p ON p.pseudonym = m.author_id \
         WHERE m.order_id = $1 ORDER BY m.created_at, m.id",
    )
    .bind(&order.id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows.iter().map(view_from_row).collect::<Result<_, _>>()?)
}

/// Posts `body` by `actor` (a party, checked by the caller) on `order`'s thread.
///
/// Errors: 409 `thread_read_only` from 7 days after the order's terminal state; 422 for a bad body.
pub async fn post_order_message(
    state: &AppState,
    order: &Order,
    actor: Actor<'_>,
    body: &str,
) -> Result<MessageView, AppError> {
    let body = check_body(body)?;
    let now = state.clock.now_ms();
    if order.chat_read_only(now) {
        let since = order.closed_at.map_or(0, |c| c + READ_ONLY_AFTER_MS);
        return Err(AppError::Conflict {
            code: "thread_read_only",
            message: format!(
                "this order's chat became read-only on {} (7 days after the order ended): you can still read it",
                human(since)
            ),
        });
    }
    let (author_id, role) = author(actor, &order.owner_id);
    let id = new_id();
    sqlx::query(
        "INSERT INTO order_messages (id, order_id, author_id, author_role, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&order.id)
    .bind(author_id)
    .bind(role)
    .bind(&body)
    .bind(now)
    .execute(state.db.pool())
    .await?;
    posted(
        state,
        actor,
        author_id,
        role,
        &order.agent_name,
        &order.customer_name,
        id,
        body,
        now,
    )
    .await
}
