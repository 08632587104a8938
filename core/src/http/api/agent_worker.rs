//! The bearer API for agent workers, `Authorization: Bearer hpr_...` (documented in
//! `docs/bearer-api.md` and `/api/openapi.json`). A revoked or unknown key gets 401; a key
//! reaches only its own agent's orders and threads (others are 404). Every call that does
//! something is stored as an agent event.
//!
//! - `POST /api/v1/agent/heartbeat`
//! - `GET /api/v1/agent/orders?status=`
//! - `GET /api/v1/agent/orders/{id}`; `POST /api/v1/agent/orders/{id}/accept`
//! - `POST /api/v1/agent/orders/{id}/events` `{kind: "progress", message}`
//! - `POST /api/v1/agent/orders/{id}/deliveries` (multipart: `note`, `file` parts)
//! - `GET|POST /api/v1/agent/orders/{id}/messages`
//! - `GET /api/v1/agent/threads`; `GET /api/v1/agent/threads/{id}`;
//!   `POST /api/v1/agent/threads/{id}/messages`; `POST /api/v1/agent/threads/{id}/offers`
//! - `GET /api/v1/agent/files/{id}`

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::chats::thread_json;
use super::files::{read_files, send_file};
use super::orders::{StatusQuery, orders_json, status_filter};
use crate::http::extract::{ApiJson, ApiMultipart};
use crate::http::request_log::AccountSlot;
use crate::identity::api_keys::{self, KeyHolder};
use crate::market::agents::events::{self, EventKind};
use crate::market::chats::messages::{MessageView, NewMessage};
use crate::market::chats::offers::{self, NewOffer};
use crate::market::chats::order_thread;
use crate::market::chats::presale::{self, ThreadScope};
use crate::market::files::{self, Purpose, Reader, Target};
use crate::market::orders::{self, Actor, OrderAction, OrderScope, transitions};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agent/heartbeat", post(heartbeat))
        .route("/api/v1/agent/orders", get(list_orders))
        .route("/api/v1/agent/orders/{id}", get(get_order))
        .route("/api/v1/agent/orders/{id}/accept", post(accept))
        .route("/api/v1/agent/orders/{id}/events", post(post_event))
        .route(
            "/api/v1/agent/orders/{id}/deliveries",
            post(deliver).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/agent/orders/{id}/messages",
            get(order_messages).post(post_order_message),
        )
        .route("/api/v1/agent/threads", get(list_threads))
        .route("/api/v1/agent/threads/{id}", get(get_thread))
        .route(
            "/api/v1/agent/threads/{id}/messages",
            post(post_thread_message),
        )
        .route("/api/v1/agent/threads/{id}/offers", post(send_offer))
        .route("/api/v1/agent/files/{id}", get(download))
}

/// The agent behind a valid bearer key; 401 otherwise.
#[derive(Debug, Clone)]
pub struct AgentAuth(pub KeyHolder);

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        let holder = api_keys::authenticate(state, key).await?;
        if let Some(slot) = parts.extensions.get::<AccountSlot>() {
            slot.set(&holder.owner_id);
        }
        Ok(AgentAuth(holder))
    }
}

async fn heartbeat(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
) -> Result<Json<Value>, AppError> {
    events::heartbeat(&state, &agent.agent_id).await?;
    Ok(Json(json!({"agent_id": agent.agent_id, "online": true})))
}

async fn list_orders(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    q: Result<Query<StatusQuery>, QueryRejection>,
) -> Result<Json<Value>, AppError> {
    orders_json(
        &state,
        OrderScope::Agent(&agent.agent_id),
        status_filter(q)?,
    )
    .await
}

async fn get_order(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
) -> Result<Json<orders::OrderView>, AppError> {
    let order = orders::load_for(state.db.pool(), &id, Actor::Agent(&agent.agent_id)).await?;
    Ok(Json(orders::view(&state, &order).await?))
}

async fn accept(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
) -> Result<Json<orders::OrderView>, AppError> {
    let order = transitions::act(
        &state,
        &id,
        Actor::Agent(&agent.agent_id),
        OrderAction::Accept,
        None,
    )
    .await?;
    events::record(&state, &agent.agent_id, Some(&id), EventKind::Accept, "").await?;
    Ok(Json(orders::view(&state, &order).await?))
}

/// `{kind, message}` of a progress event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEvent {
    /// Only `progress` for now.
    kind: String,
    /// What happened, up to 2,000 characters.
    #[serde(default)]
    message: String,
}

async fn post_event(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewEvent>,
) -> Result<StatusCode, AppError> {
    orders::load_for(state.db.pool(), &id, Actor::Agent(&agent.agent_id)).await?;
    if body.kind != "progress" {
        return Err(AppError::invalid("kind", "kind must be \"progress\""));
    }
    if body.message.chars().count() > events::MAX_DETAIL_CHARS {
        return Err(AppError::invalid(
            "message",
            format!("at most {} characters", events::MAX_DETAIL_CHARS),
        ));
    }
    events::record(
        &state,
        &agent.agent_id,
        Some(&id),
        EventKind::Progress,
        &body.message,
    )
    .await?;
    Ok(StatusCode::CREATED)
}

async fn deliver(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<Json<orders::OrderView>, AppError> {
    let order = orders::load_for(state.db.pool(), &id, Actor::Agent(&agent.agent_id)).await?;
    let parts = read_files(&state, multipart).await?;
    let note = parts
        .text
        .get("note")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let stored = files::store(&state, &parts.files).await?;
    let mut tx = state.db.begin_write().await?;
    transitions::act_in(
        &mut tx,
        &state,
        &id,
        Actor::Agent(&agent.agent_id),
        OrderAction::Deliver,
        None,
    )
    .await?;
    files::record(
        &mut tx,
        &state,
        &order.owner_id,
        Target::Order(&id),
        Purpose::Deliverable,
        &stored,
    )
    .await?;
    tx.commit().await?;
    state.mail_wakeup.notify_one();
    if let Some(note) = &note {
        let order = orders::load_for(state.db.pool(), &id, Actor::Agent(&agent.agent_id)).await?;
        order_thread::post(&state, &order, Actor::Agent(&agent.agent_id), note).await?;
    }
    let detail = format!("{} file(s)", parts.files.len());
    events::record(
        &state,
        &agent.agent_id,
        Some(&id),
        EventKind::Delivery,
        &detail,
    )
    .await?;
    let order = orders::load_for(state.db.pool(), &id, Actor::Agent(&agent.agent_id)).await?;
    Ok(Json(orders::view(&state, &order).await?))
}

async fn order_messages(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let order = orders::load_for(state.db.pool(), &id, Actor::Agent(&agent.agent_id)).await?;
    let list = order_thread::messages(&state, &order).await?;
    Ok(Json(
        json!({"messages": list, "read_only": order.chat_read_only(state.clock.now_ms())}),
    ))
}

async fn post_order_message(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageView>), AppError> {
    let order = orders::load_for(state.db.pool(), &id, Actor::Agent(&agent.agent_id)).await?;
    let message =
        order_thread::post(&state, &order, Actor::Agent(&agent.agent_id), &body.body).await?;
    events::record(&state, &agent.agent_id, Some(&id), EventKind::Message, "").await?;
    Ok((StatusCode::CREATED, Json(message)))
}

async fn list_threads(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
) -> Result<Json<Value>, AppError> {
    let threads = presale::list(&state, ThreadScope::Agent(&agent.agent_id)).await?;
    let views: Vec<_> = threads.iter().map(presale::Thread::view).collect();
    Ok(Json(json!({"threads": views})))
}

async fn get_thread(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let thread = presale::load_for(&state, &id, Actor::Agent(&agent.agent_id)).await?;
    thread_json(&state, &thread).await
}

async fn post_thread_message(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageView>), AppError> {
    let thread = presale::load_for(&state, &id, Actor::Agent(&agent.agent_id)).await?;
    let message = presale::post(&state, &thread, Actor::Agent(&agent.agent_id), &body.body).await?;
    events::record(&state, &agent.agent_id, None, EventKind::Message, "").await?;
    Ok((StatusCode::CREATED, Json(message)))
}

async fn send_offer(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewOffer>,
) -> Result<(StatusCode, Json<offers::OfferView>), AppError> {
    let thread = presale::load_for(&state, &id, Actor::Agent(&agent.agent_id)).await?;
    let offer = offers::send(&state, &thread, &body).await?;
    events::record(&state, &agent.agent_id, None, EventKind::Offer, &offer.id).await?;
    Ok((StatusCode::CREATED, Json(offer)))
}

async fn download(
    State(state): State<AppState>,
    AgentAuth(agent): AgentAuth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(send_file(
        files::download(&state, &id, Reader::Agent(&agent.agent_id)).await?,
    ))
}
