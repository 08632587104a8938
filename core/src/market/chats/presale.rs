//! Pre-sale threads: one per customer and agent, opened by the customer, answered by the
//! owner (session) or the agent (bearer key). Offers are made in these threads.

use serde::Serialize;
use sqlx::Row;

use super::messages::{MessageView, author, check_body, posted, view_from_row};
use crate::market::agents;
use crate::market::files::{self, FileView};
use crate::market::orders::{Actor, Parties};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::new_id;

/// A pre-sale thread.
#[derive(Debug, Clone)]
pub struct Thread {
    /// Thread id.
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
    /// Last message (Unix ms).
    pub last_message_at: i64,
}

impl Thread {
    /// The thread's parties.
    pub fn parties(&self) -> Parties<'_> {
        Parties {
            customer_id: &self.customer_id,
            owner_id: &self.owner_id,
            agent_id: &self.agent_id,
        }
    }
}

/// A thread as its parties see it (the customer by display name only).
#[derive(Debug, Clone, Serialize)]
pub struct ThreadView {
    /// Thread id.
    pub id: String,
    /// The agent's id.
    pub agent_id: String,
    /// The agent's name.
    pub agent_name: String,
    /// The customer's display name.
    pub customer_name: String,
    /// Last message (RFC 3339).
    pub last_message_at: String,
}

impl Thread {
    /// The view of this thread.
    pub fn view(&self) -> ThreadView {
        ThreadView {
            id: self.id.clone(),
            agent_id: self.agent_id.clone(),
            agent_name: self.agent_name.clone(),
            customer_name: self.customer_name.clone(),
            last_message_at: rfc3339(self.last_message_at),
        }
    }
}

const THREAD_SELECT: &str = "SELECT t.id, t.agent_id, g.name AS agent_name, g.owner_id, t.customer_id, \
     COALESCE(c.display_name, 'Former member') AS customer_name, t.last_message_at \
     FROM presale_threads t JOIN agents g ON g.id = t.agent_id LEFT JOIN accounts c ON c.id = t.customer_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Thread, sqlx::Error> {
    Ok(Thread {
        id: r.try_get("id")?,
        agent_id: r.try_get("agent_id")?,
        agent_name: r.try_get("agent_name")?,
        owner_id: r.try_get("owner_id")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        last_message_at: r.try_get("last_message_at")?,
    })
}

/// The customer's thread with a published agent, created on first use.
///
/// Errors: 404 for an unknown or unpublished agent; 422 for one's own agent.
pub async fn open(state: &AppState, customer_id: &str, agent_id: &str) -> Result<Thread, AppError> {
    let agent = agents::load_published(state.db.pool(), agent_id).await?;
    if agent.owner_id == customer_id {
        return Err(AppError::invalid("agent_id", "this is your own agent"));
    }
    let now = state.clock.now_ms();
    sqlx::query(
        "INSERT INTO presale_threads (id, agent_id, customer_id, created_at, last_message_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (agent_id, customer_id) DO NOTHING",
    )
    .bind(new_id())
    .bind(agent_id)
    .bind(customer_id)
    .bind(now)
    .execute(state.db.pool())
    .await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{THREAD_SELECT} WHERE t.agent_id = $1 AND t.customer_id = $2"
    )))
    .bind(agent_id)
    .bind(customer_id)
    .fetch_one(state.db.pool())
    .await?;
    Ok(from_row(&row)?)
}

/// Thread `id` if `actor` is a party. Errors: 404 otherwise.
pub async fn load_for(state: &AppState, id: &str, actor: Actor<'_>) -> Result<Thread, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{THREAD_SELECT} WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(state.db.pool())
    .await?;
    match row.as_ref().map(from_row).transpose()? {
        Some(t) if !matches!(actor, Actor::System) && t.parties().includes(actor) => Ok(t),
        _ => Err(AppError::NotFound("thread")),
    }
}

/// Thread `id` for a signed-in person with their role. Errors: 404 for non-parties.
pub async fn load_for_person<'a>(
    state: &AppState,
    id: &str,
    account_id: &'a str,
) -> Result<(Thread, Actor<'a>), AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{THREAD_SELECT} WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(state.db.pool())
    .await?;
    let thread = row
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or(AppError::NotFound("thread"))?;
    let actor = thread
        .parties()
        .role_of(account_id)
        .ok_or(AppError::NotFound("thread"))?;
    Ok((thread, actor))
}

/// Which threads to list.
#[derive(Debug, Clone, Copy)]
pub enum ThreadScope<'a> {
    /// A customer's threads.
    Customer(&'a str),
    /// Threads with any of the owner's agents.
    Owner(&'a str),
    /// Threads with one agent.
    Agent(&'a str),
}

/// Up to 200 threads in `scope`, most recent first.
pub async fn list(state: &AppState, scope: ThreadScope<'_>) -> Result<Vec<Thread>, AppError> {
    let (filter, id) = match scope {
        ThreadScope::Customer(id) => ("t.customer_id = $1", id),
        ThreadScope::Owner(id) => ("g.owner_id = $1", id),
        ThreadScope::Agent(id) => ("t.agent_id = $1", id),
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{THREAD_SELECT} WHERE {filter} ORDER BY t.last_message_at DESC, t.id DESC LIMIT 200"
    )))
    .bind(id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The thread's messages, oldest first.
pub async fn messages(state: &AppState, thread: &Thread) -> Result<Vec<MessageView>, AppError> {
    let rows = sqlx::query(
        "SELECT m.id, m.author_role, a.display_name AS author_display, g.name AS agent_name, m.body, m.created_at \
         FROM presale_messages m JOIN presale_threads t ON t.id = m.thread_id JOIN agents g ON g.id = t.agent_id \
         LEFT JOIN accounts a ON a.id = m.author_id WHERE m.thread_id = $1 ORDER BY m.created_at, m.id",
    )
    .bind(&thread.id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(rows.iter().map(view_from_row).collect::<Result<_, _>>()?)
}

/// The thread's files.
pub async fn thread_files(state: &AppState, thread: &Thread) -> Result<Vec<FileView>, AppError> {
    files::for_thread(state, &thread.id).await
}

/// Posts `body` by `actor` (a party, checked by the caller). Errors: 422 for a bad body.
pub async fn post(
    state: &AppState,
    thread: &Thread,
    actor: Actor<'_>,
    body: &str,
) -> Result<MessageView, AppError> {
    let body = check_body(body)?;
    let now = state.clock.now_ms();
    let (author_id, role) = author(actor, &thread.owner_id);
    let id = new_id();
    let mut tx = state.db.begin_write().await?;
    crate::market::party_erasure::refuse_while_erasing(
        &mut *tx,
        crate::market::party_erasure::Place::Thread(&thread.id),
    )
    .await?;
    sqlx::query(
        "INSERT INTO presale_messages (id, thread_id, author_id, author_role, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&thread.id)
    .bind(author_id)
    .bind(role.as_str())
    .bind(&body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE presale_threads SET last_message_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&thread.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    posted(
        state,
        actor,
        author_id,
        role,
        &thread.agent_name,
        &thread.customer_name,
        id,
        body,
        now,
    )
    .await
}
