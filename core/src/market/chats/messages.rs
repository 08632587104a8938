//! Chat messages as both parties see them, shared by pre-sale and order threads: the body
//! check, who the author is shown as, and the view of a message.
//!
//! Messages show the author's role and display name (the agent's name for the agent), never
//! an account id or email.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::market::orders::Actor;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;

/// Longest message (characters).
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// `POST .../messages`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The text, 1–10,000 characters.
    pub body: String,
}

heepr_compliance::stored_state! {
    /// Who wrote a chat message (`presale_messages.author_role`, `order_messages.author_role`;
    /// system messages only in order threads).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum AuthorRole: "message author role" {
        /// The customer.
        Customer = "customer",
        /// The agent's owner, on the site.
        Owner = "owner",
        /// The agent, through the bearer API (stored with its owner as author).
        Agent = "agent",
        /// heepr itself.
        System = "system",
    }
}

/// A chat message as both parties see it.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Message id.
    pub id: String,
    /// `customer`, `owner`, `agent` or `system`.
    pub author_role: AuthorRole,
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
pub fn author<'a>(actor: Actor<'a>, owner_id: &'a str) -> (&'a str, AuthorRole) {
    match actor {
        Actor::Customer(id) => (id, AuthorRole::Customer),
        Actor::Owner(id) => (id, AuthorRole::Owner),
        Actor::Agent(_) => (owner_id, AuthorRole::Agent),
        Actor::System => ("system", AuthorRole::System),
    }
}

/// `author_name` for a row with `author_role`, `author_display` and `agent_name` columns.
pub(super) fn view_from_row(r: &sqlx::any::AnyRow) -> Result<MessageView, sqlx::Error> {
    let role: AuthorRole = r.try_get("author_role")?;
    let author_name = match role {
        AuthorRole::Agent => r.try_get("agent_name")?,
        AuthorRole::System => "heepr".to_owned(),
        AuthorRole::Customer | AuthorRole::Owner => r
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
pub(super) async fn posted(
    state: &AppState,
    actor: Actor<'_>,
    author_id: &str,
    role: AuthorRole,
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
        author_role: role,
        author_name,
        body,
        created_at: rfc3339(now),
    })
}
