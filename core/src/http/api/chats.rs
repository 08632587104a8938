//! JSON API for pre-sale chats and offers (session). Non-parties get 404.
//!
//! - `POST /api/v1/agents/{id}/thread` → the customer's thread with that agent (created once)
//! - `GET /api/v1/threads` → my threads (as customer and as owner)
//! - `GET /api/v1/threads/{id}` → thread, messages, offers, files
//! - `GET|POST /api/v1/threads/{id}/messages`
//! - `POST /api/v1/threads/{id}/offers` (owner) `{scope, price_points, delivery_hours, expires_in_hours}`
//! - `POST /api/v1/offers/{id}/accept` → `{offer, order}`; `POST /api/v1/offers/{id}/decline`

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::http::extract::{ApiJson, CurrentUser};
use crate::market::chats::messages::{MessageView, NewMessage};
use crate::market::chats::offers::{self, NewOffer};
use crate::market::chats::presale::{self, ThreadScope};
use crate::market::orders::{self, Actor};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agents/{id}/thread", post(open_thread))
        .route("/api/v1/threads", get(my_threads))
        .route("/api/v1/threads/{id}", get(get_thread))
        .route(
            "/api/v1/threads/{id}/messages",
            get(thread_messages).post(post_thread_message),
        )
        .route("/api/v1/threads/{id}/offers", post(send_offer))
        .route("/api/v1/offers/{id}/accept", post(accept_offer))
        .route("/api/v1/offers/{id}/decline", post(decline_offer))
}

async fn open_thread(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<presale::ThreadView>, AppError> {
    Ok(Json(
        presale::open(&state, &user.account_id, &id).await?.view(),
    ))
}

async fn my_threads(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Value>, AppError> {
    let mine = presale::list(&state, ThreadScope::Customer(&user.account_id)).await?;
    let owned = presale::list(&state, ThreadScope::Owner(&user.account_id)).await?;
    let as_customer: Vec<_> = mine.iter().map(presale::Thread::view).collect();
    let as_owner: Vec<_> = owned.iter().map(presale::Thread::view).collect();
    Ok(Json(
        json!({"as_customer": as_customer, "as_owner": as_owner}),
    ))
}

/// The whole thread as JSON (shared with the bearer API).
pub async fn thread_json(
    state: &AppState,
    thread: &presale::Thread,
) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({
        "thread": thread.view(),
        "messages": presale::messages(state, thread).await?,
        "offers": offers::for_thread(state, thread).await?,
        "files": presale::thread_files(state, thread).await?,
    })))
}

async fn get_thread(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let (thread, _) = presale::load_for_person(&state, &id, &user.account_id).await?;
    thread_json(&state, &thread).await
}

async fn thread_messages(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let (thread, _) = presale::load_for_person(&state, &id, &user.account_id).await?;
    Ok(Json(
        json!({"messages": presale::messages(&state, &thread).await?}),
    ))
}

async fn post_thread_message(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageView>), AppError> {
    let (thread, actor) = presale::load_for_person(&state, &id, &user.account_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(presale::post(&state, &thread, actor, &body.body).await?),
    ))
}

async fn send_offer(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewOffer>,
) -> Result<(StatusCode, Json<offers::OfferView>), AppError> {
    let thread = presale::load_for(&state, &id, Actor::Owner(&user.account_id)).await?;
    Ok((
        StatusCode::CREATED,
        Json(offers::send(&state, &thread, &body).await?),
    ))
}

async fn decide(
    state: &AppState,
    account: &str,
    id: &str,
    accept: bool,
) -> Result<Json<Value>, AppError> {
    let (offer, order) = offers::decide(state, account, id, accept).await?;
    let order = match order {
        Some(o) => Some(orders::view(state, &o).await?),
        None => None,
    };
    Ok(Json(json!({"offer": offer, "order": order})))
}

async fn accept_offer(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    decide(&state, &user.account_id, &id, true).await
}

async fn decline_offer(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    decide(&state, &user.account_id, &id, false).await
}
