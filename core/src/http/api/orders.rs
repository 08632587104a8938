//! JSON API for orders, order chats and reviews (session). Another customer or owner gets
//! 404 on every order route.
//!
//! - `POST /api/v1/orders` `{agent_id, answers}` → 201 order; `GET /api/v1/orders` (mine as
//!   customer); `GET /api/v1/my/orders` (orders of my agents, as owner)
//! - `GET /api/v1/orders/{id}`
//! - `POST /api/v1/orders/{id}/accept-delivery | request-revision {reason} | cancel`
//! - `POST /api/v1/orders/{id}/revision-decision {approve}` (owner)
//! - `POST /api/v1/orders/{id}/review {rating, body}`; `POST /api/v1/reviews/{id}/reply {body}`
//! - `GET|POST /api/v1/orders/{id}/messages`
//! - `POST /api/v1/jobs/refund-missed-deadlines` is deliberately absent: the job is a function
//!   ([`crate::market::orders::deadlines::refund_missed_deadlines`]) for a scheduler.

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::agents::query;
use crate::http::extract::{ApiJson, CurrentUser};
use crate::market::chats::messages::{MessageView, NewMessage};
use crate::market::chats::order_thread;
use crate::market::orders::{
    self, Actor, NewOrder, OrderAction, OrderScope, OrderStatus, transitions,
};
use crate::market::reviews::{self, NewReply, NewReview};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/orders",
            order_list(|id| OrderScope::Customer(id)).post(place_order),
        )
        .route("/api/v1/my/orders", order_list(|id| OrderScope::Owner(id)))
        .route("/api/v1/orders/{id}", get(get_order))
        .route(
            "/api/v1/orders/{id}/accept-delivery",
            customer_move(OrderAction::AcceptDelivery),
        )
        .route(
            "/api/v1/orders/{id}/request-revision",
            post(request_revision),
        )
        .route(
            "/api/v1/orders/{id}/cancel",
            customer_move(OrderAction::Cancel),
        )
        .route(
            "/api/v1/orders/{id}/revision-decision",
            post(revision_decision),
        )
        .route("/api/v1/orders/{id}/review", post(review))
        .route("/api/v1/reviews/{id}/reply", post(reply))
        .route(
            "/api/v1/orders/{id}/messages",
            get(messages).post(post_message),
        )
}

/// `?status=` of order lists.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// One order status, or absent for all.
    pub status: Option<String>,
}

/// Parses `?status=`. Errors: 422 for an unknown status.
pub fn status_filter(
    q: Result<Query<StatusQuery>, QueryRejection>,
) -> Result<Option<OrderStatus>, AppError> {
    match query(q)?.status.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => OrderStatus::from_name(&s)
            .map(Some)
            .ok_or_else(|| AppError::invalid("status", format!("unknown order status {s:?}"))),
    }
}

/// A list of orders as JSON `{orders: [...]}`.
pub async fn orders_json(
    state: &AppState,
    scope: OrderScope<'_>,
    status: Option<OrderStatus>,
) -> Result<Json<Value>, AppError> {
    let list = orders::list(state, scope, status).await?;
    let views = orders::views(state, &list).await?;
    Ok(Json(json!({"orders": views})))
}

/// The route listing the signed-in person's orders in `scope` (placed, or received as an
/// owner), optionally of one `?status=`.
fn order_list(scope: for<'a> fn(&'a str) -> OrderScope<'a>) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>,
              CurrentUser(user): CurrentUser,
              q: Result<Query<StatusQuery>, QueryRejection>| async move {
            orders_json(&state, scope(&user.account_id), status_filter(q)?).await
        },
    )
}

async fn place_order(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(request): ApiJson<NewOrder>,
) -> Result<(StatusCode, Json<orders::OrderView>), AppError> {
    let order = orders::place(&state, &user.account_id, &request).await?;
    Ok((
        StatusCode::CREATED,
        Json(orders::view(&state, &order).await?),
    ))
}

async fn get_order(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<orders::OrderView>, AppError> {
    let (order, _) = orders::load_for_person(state.db.pool(), &id, &user.account_id).await?;
    Ok(Json(orders::view(&state, &order).await?))
}

async fn customer_act(
    state: &AppState,
    account: &str,
    id: &str,
    action: OrderAction,
    reason: Option<&str>,
) -> Result<Json<orders::OrderView>, AppError> {
    let order = transitions::act(state, id, Actor::Customer(account), action, reason).await?;
    Ok(Json(orders::view(state, &order).await?))
}

/// The route of a customer's move that takes no body (cancel, accept delivery).
fn customer_move(action: OrderAction) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              CurrentUser(user): CurrentUser,
              Path(id): Path<String>| async move {
            customer_act(&state, &user.account_id, &id, action, None).await
        },
    )
}

/// `{reason}` of a revision request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionRequest {
    /// What to change.
    pub reason: String,
}

async fn request_revision(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RevisionRequest>,
) -> Result<Json<orders::OrderView>, AppError> {
    customer_act(
        &state,
        &user.account_id,
        &id,
        OrderAction::RequestRevision,
        Some(&body.reason),
    )
    .await
}

/// `{approve}` of the owner's revision decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionDecision {
    /// `true` approves (back to in progress), `false` declines (back to delivered).
    pub approve: bool,
}

async fn revision_decision(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RevisionDecision>,
) -> Result<Json<orders::OrderView>, AppError> {
    let action = if body.approve {
        OrderAction::ApproveRevision
    } else {
        OrderAction::DeclineRevision
    };
    let order = transitions::act(&state, &id, Actor::Owner(&user.account_id), action, None).await?;
    Ok(Json(orders::view(&state, &order).await?))
}

async fn review(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewReview>,
) -> Result<(StatusCode, Json<reviews::ReviewView>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(orders::review(&state, &user.account_id, &id, &body).await?),
    ))
}

async fn reply(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewReply>,
) -> Result<Json<reviews::ReviewView>, AppError> {
    Ok(Json(
        reviews::reply(&state, &user.account_id, &id, &body).await?,
    ))
}

async fn messages(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let (order, _) = orders::load_for_person(state.db.pool(), &id, &user.account_id).await?;
    let list = order_thread::messages(&state, &order).await?;
    Ok(Json(
        json!({"messages": list, "read_only": order.chat_read_only(state.clock.now_ms())}),
    ))
}

async fn post_message(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<(StatusCode, Json<MessageView>), AppError> {
    let (order, actor) = orders::load_for_person(state.db.pool(), &id, &user.account_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(order_thread::post(&state, &order, actor, &body.body).await?),
    ))
}
