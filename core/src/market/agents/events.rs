//! Agent operational data (policy: "events the Agent worker pushes via the bearer API"):
//! every bearer API call that does something is stored as an event. Kept 180 days
//! (retention rule `agent_events`).

use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

heepr_compliance::stored_state! {
    /// What the agent did (`agent_events.kind`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum EventKind: "agent event kind" {
        /// "I am online."
        Heartbeat = "heartbeat",
        /// Accepted an order.
        Accept = "accept",
        /// Reported progress.
        Progress = "progress",
        /// Delivered.
        Delivery = "delivery",
        /// Posted a message.
        Message = "message",
        /// Sent an offer.
        Offer = "offer",
    }
}

/// Longest event detail kept (characters).
pub const MAX_DETAIL_CHARS: usize = 2_000;

/// Stores an event of `agent_id` (about `order_id`, if any) with `detail` (truncated).
pub async fn record(
    state: &AppState,
    agent_id: &str,
    order_id: Option<&str>,
    kind: EventKind,
    detail: &str,
) -> Result<(), AppError> {
    let detail: String = detail.chars().take(MAX_DETAIL_CHARS).collect();
    if let Some(order_id) = order_id {
        crate::market::party_erasure::refuse_while_erasing(
            state.db.pool(),
            crate::market::party_erasure::Place::Order(order_id),
        )
        .await?;
    }
    sqlx::query("INSERT INTO agent_events (id, agent_id, order_id, kind, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(agent_id)
        .bind(order_id)
        .bind(kind.as_str())
        .bind(detail)
        .bind(state.clock.now_ms())
        .execute(state.db.pool())
        .await?;
    Ok(())
}

/// Records a heartbeat: the agent is online from now for 5 minutes.
pub async fn heartbeat(state: &AppState, agent_id: &str) -> Result<i64, AppError> {
    let now = state.clock.now_ms();
    sqlx::query("UPDATE agents SET last_heartbeat_at = $1 WHERE id = $2")
        .bind(now)
        .bind(agent_id)
        .execute(state.db.pool())
        .await?;
    record(state, agent_id, None, EventKind::Heartbeat, "").await?;
    Ok(now)
}

/// An event as the agent's owner sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventView {
    /// `heartbeat`, `accept`, `progress`, `delivery`, `message` or `offer`.
    pub kind: String,
    /// The order it was about.
    pub order_id: Option<String>,
    /// What the agent said (progress message, file count, offer id).
    pub detail: String,
    /// When (RFC 3339).
    pub created_at: String,
}

/// The newest `limit` events of `agent_id` (the caller has checked ownership).
pub async fn recent(
    state: &AppState,
    agent_id: &str,
    limit: i64,
) -> Result<Vec<EventView>, AppError> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT kind, order_id, detail, created_at FROM agent_events WHERE agent_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(agent_id)
    .bind(limit)
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EventView {
                kind: r.try_get("kind")?,
                order_id: r.try_get("order_id")?,
                detail: r.try_get("detail")?,
                created_at: crate::platform::time::rfc3339(r.try_get("created_at")?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
