//! Pages for orders and chats: my orders (as customer and as owner), an order with its
//! actions, messages and files, and a pre-sale thread with its offers. Every form posts and
//! redirects back; a refusal is shown as a page with the reason.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use serde::Deserialize;

use super::{Chrome, PageError, PageForm, render};
use crate::http::api::files::{attach_to_order, attach_to_thread};
use crate::http::extract::SignedIn;
use crate::identity::sessions::SessionUser;
use crate::market::chats::messages::MessageView;
use crate::market::chats::offers::{self, NewOffer, OfferCard};
use crate::market::chats::order_thread;
use crate::market::chats::presale::{self, ThreadScope, ThreadView};
use crate::market::files::FileView;
use crate::market::orders::choices::OrderChoices;
use crate::market::orders::{self, Actor, OrderAction, OrderScope, OrderView, transitions};
use crate::market::reviews::{self, NewReply, NewReview};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::human;
use crate::platform::unicode;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(orders_page))
        .route("/orders/{id}", get(order_page))
        .route("/orders/{id}/cancel", customer_move(OrderAction::Cancel))
        .route(
            "/orders/{id}/accept-delivery",
            customer_move(OrderAction::AcceptDelivery),
        )
        .route("/orders/{id}/request-revision", post(request_revision))
        .route("/orders/{id}/revision-decision", post(revision_decision))
        .route("/orders/{id}/review", post(review))
        .route("/reviews/{id}/reply", post(reply))
        .route("/orders/{id}/messages", post(order_message))
        .route(
            "/orders/{id}/files",
            post(order_files).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/threads/{id}", get(thread_page))
        .route("/threads/{id}/messages", post(thread_message))
        .route("/threads/{id}/offers", post(send_offer))
        .route(
            "/threads/{id}/files",
            post(thread_files).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/offers/{id}/accept", post(accept_offer))
        .route("/offers/{id}/decline", post(decline_offer))
}

fn to_order(id: &str) -> Response {
    Redirect::to(&format!("/orders/{id}")).into_response()
}

struct OrderRow {
    id: String,
    agent_name: String,
    customer_name: String,
    status_label: String,
    price_points: i64,
    deadline: String,
}

fn rows(list: Vec<orders::Order>) -> Vec<OrderRow> {
    list.into_iter()
        .map(|o| OrderRow {
            status_label: o.status.as_str().replace('_', " "),
            deadline: human(o.deadline_at),
            id: o.id,
            agent_name: o.agent_name,
            customer_name: o.customer_name,
            price_points: o.price_points,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "market_orders.html")]
struct OrdersPage {
    chrome: Chrome,
    placed: Vec<OrderRow>,
    received: Vec<OrderRow>,
    threads: Vec<ThreadView>,
}

async fn orders_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let mut threads: Vec<ThreadView> =
        presale::list(&state, ThreadScope::Customer(&user.account_id))
            .await?
            .iter()
            .map(presale::Thread::view)
            .collect();
    threads.extend(
        presale::list(&state, ThreadScope::Owner(&user.account_id))
            .await?
            .iter()
            .map(presale::Thread::view),
    );
    let page = OrdersPage {
        placed: rows(orders::list(&state, OrderScope::Customer(&user.account_id), None).await?),
        received: rows(orders::list(&state, OrderScope::Owner(&user.account_id), None).await?),
        threads,
        chrome: Chrome::signed_in(&user),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "market_order.html")]
struct OrderPage {
    chrome: Chrome,
    o: OrderView,
    status_label: String,
    choices: OrderChoices,
    answers: Vec<(String, String)>,
    is_customer: bool,
    is_owner: bool,
    base: String,
    messages: Vec<MessageView>,
    read_only: bool,
    files: Vec<FileView>,
}

async fn order_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (order, actor) = orders::load_for_person(state.db.pool(), &id, &user.account_id).await?;
    let view = orders::view(&state, &order).await?;
    let answers = view
        .answers
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let page = OrderPage {
        status_label: order.status.as_str().replace('_', " "),
        choices: OrderChoices::of(actor, order.status, view.review.is_some()),
        answers,
        is_customer: matches!(actor, Actor::Customer(_)),
        is_owner: matches!(actor, Actor::Owner(_)),
        base: format!("/orders/{id}"),
        messages: shown(order_thread::messages(&state, &order).await?),
        read_only: order.chat_read_only(state.clock.now_ms()),
        files: view.files.clone(),
        o: view,
        chrome: Chrome::signed_in(&user),
    };
    Ok(render(StatusCode::OK, &page))
}

async fn customer_action(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    action: OrderAction,
    reason: Option<&str>,
) -> Result<Response, PageError> {
    transitions::act(state, id, Actor::Customer(&user.account_id), action, reason).await?;
    Ok(to_order(id))
}

/// The route of a customer's move that takes no form (cancel, accept delivery).
fn customer_move(action: OrderAction) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>, SignedIn(user): SignedIn, Path(id): Path<String>| async move {
            customer_action(&state, &user, &id, action, None).await
        },
    )
}

#[derive(Debug, Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn request_revision(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    PageForm(form): PageForm<ReasonForm>,
) -> Result<Response, PageError> {
    customer_action(
        &state,
        &user,
        &id,
        OrderAction::RequestRevision,
        Some(&form.reason),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    approve: String,
}

async fn revision_decision(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    let action = if form.approve == "true" {
        OrderAction::ApproveRevision
    } else {
        OrderAction::DeclineRevision
    };
    transitions::act(&state, &id, Actor::Owner(&user.account_id), action, None).await?;
    Ok(to_order(&id))
}

#[derive(Debug, Deserialize)]
struct ReviewForm {
    rating: String,
    #[serde(default)]
    body: String,
}

async fn review(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    PageForm(form): PageForm<ReviewForm>,
) -> Result<Response, PageError> {
    let rating = form
        .rating
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("rating", "rate from 1 to 5 stars"))?;
    orders::review(
        &state,
        &user.account_id,
        &id,
        &NewReview {
            rating,
            body: form.body,
        },
    )
    .await?;
    Ok(to_order(&id))
}

#[derive(Debug, Deserialize)]
struct BackTo {
    order: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BodyForm {
    #[serde(default)]
    body: String,
}

async fn reply(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    Query(back): Query<BackTo>,
    PageForm(form): PageForm<BodyForm>,
) -> Result<Response, PageError> {
    reviews::reply(&state, &user.account_id, &id, &NewReply { body: form.body }).await?;
    Ok(match back.order {
        Some(order) => to_order(&order),
        None => Redirect::to("/orders").into_response(),
    })
}

async fn order_message(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    PageForm(form): PageForm<BodyForm>,
) -> Result<Response, PageError> {
    let (order, actor) = orders::load_for_person(state.db.pool(), &id, &user.account_id).await?;
    order_thread::post(&state, &order, actor, &form.body).await?;
    Ok(to_order(&id))
}

async fn order_files(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    attach_to_order(&state, &user.account_id, &id, multipart).await?;
    Ok(to_order(&id))
}

#[derive(Template)]
#[template(path = "market_thread.html")]
struct ThreadPage {
    chrome: Chrome,
    t: ThreadView,
    is_customer: bool,
    offers: Vec<OfferCard>,
    base: String,
    messages: Vec<MessageView>,
    read_only: bool,
    files: Vec<FileView>,
}

async fn thread_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (thread, actor) = presale::load_for_person(&state, &id, &user.account_id).await?;
    let page = ThreadPage {
        is_customer: matches!(actor, Actor::Customer(_)),
        offers: offers::cards(offers::for_thread(&state, &thread).await?, actor),
        base: format!("/threads/{id}"),
        messages: shown(presale::messages(&state, &thread).await?),
        read_only: false,
        files: presale::thread_files(&state, &thread).await?,
        t: thread.view(),
        chrome: Chrome::signed_in(&user),
    };
    Ok(render(StatusCode::OK, &page))
}

fn to_thread(id: &str) -> Response {
    Redirect::to(&format!("/threads/{id}")).into_response()
}

async fn thread_message(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    PageForm(form): PageForm<BodyForm>,
) -> Result<Response, PageError> {
    let (thread, actor) = presale::load_for_person(&state, &id, &user.account_id).await?;
    presale::post(&state, &thread, actor, &form.body).await?;
    Ok(to_thread(&id))
}

#[derive(Debug, Deserialize)]
struct OfferForm {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    price_points: String,
    #[serde(default)]
    delivery_hours: String,
    #[serde(default)]
    expires_in_hours: String,
}

async fn send_offer(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    PageForm(form): PageForm<OfferForm>,
) -> Result<Response, PageError> {
    let thread = presale::load_for(&state, &id, Actor::Owner(&user.account_id)).await?;
    let int = |field: &'static str, v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid(field, format!("{field} must be a whole number")))
    };
    let offer = NewOffer {
        scope: form.scope,
        price_points: int("price_points", &form.price_points)?,
        delivery_hours: int("delivery_hours", &form.delivery_hours)?,
        expires_in_hours: int("expires_in_hours", &form.expires_in_hours)?,
    };
    offers::send(&state, &thread, &offer).await?;
    Ok(to_thread(&id))
}

async fn thread_files(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    attach_to_thread(&state, &user.account_id, &id, multipart).await?;
    Ok(to_thread(&id))
}

async fn decide(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    accept: bool,
) -> Result<Response, PageError> {
    let (offer, order) = offers::decide(state, &user.account_id, id, accept).await?;
    Ok(match order {
        Some(order) => to_order(&order.id),
        None => to_thread(&offer.thread_id),
    })
}

async fn accept_offer(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    decide(&state, &user, &id, true).await
}

async fn decline_offer(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    decide(&state, &user, &id, false).await
}

/// Messages as a page shows them: any script kept, bidirectional controls escaped so a
/// message cannot reorder what is shown around it (names written before the name rule too).
fn shown(messages: Vec<MessageView>) -> Vec<MessageView> {
    messages
        .into_iter()
        .map(|m| MessageView {
            body: unicode::escape_bidi(&m.body).into_owned(),
            author_name: unicode::escape_bidi(&m.author_name).into_owned(),
            ..m
        })
        .collect()
}
