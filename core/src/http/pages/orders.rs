//! Pages for orders and chats: my orders (as customer and as owner), an order with its
//! actions, messages and files, and a pre-sale thread with its offers. Every form posts and
//! redirects back; a refusal shows the same page again with the input kept and the reason
//! next to the form ([`super::form`]).

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use serde::{Deserialize, Serialize};

use super::filters;
use super::form::{FormState, Submitted, answer};
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
use crate::market::orders::status::OrderStatus;
use crate::market::orders::{self, Actor, OrderAction, OrderScope, OrderView, transitions};
use crate::market::reviews::{self, NewReply, NewReview};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::{human, human_relative};
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
    /// Where the price stands, as the ledger shows it (held, paid out or refunded).
    escrow: String,
    /// The deadline in words: `in 3 hours (2 Dec 2026, 20:15 UTC)`.
    deadline: String,
    choices: OrderChoices,
    answers: Vec<AnswerRow>,
    /// Whether files may still be added (not once the order has ended).
    uploads_open: bool,
    is_customer: bool,
    is_owner: bool,
    base: String,
    messages: Vec<MessageView>,
    read_only: bool,
    files: Vec<FileView>,
    /// A refused form's input and reason.
    fs: FormState,
}

async fn order_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let page = order_view(&state, &user, &id, FormState::none()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The order page as `user` sees it, with `fs` (a refused form) shown.
async fn order_view(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    fs: FormState,
) -> Result<OrderPage, AppError> {
    let (order, actor) = orders::load_for_person(state.db.pool(), id, &user.account_id).await?;
    let view = orders::view(state, &order).await?;
    let held = crate::ledger::escrow_balance(state.db.pool(), id).await?;
    Ok(OrderPage {
        escrow: escrow_text(order.status, view.price_points, held),
        deadline: human_relative(order.deadline_at, state.clock.now_ms()),
        answers: answer_rows(&view.answers, &view.files),
        uploads_open: !order.status.is_terminal(),
        status_label: order.status.as_str().replace('_', " "),
        choices: OrderChoices::of(actor, order.status, view.review.is_some()),
        is_customer: matches!(actor, Actor::Customer(_)),
        is_owner: matches!(actor, Actor::Owner(_)),
        base: format!("/orders/{id}"),
        messages: shown(order_thread::messages(state, &order).await?),
        read_only: order.chat_read_only(state.clock.now_ms()),
        files: view.files.clone(),
        o: view,
        chrome: Chrome::signed_in(user),
        fs,
    })
}

/// One answer of the brief: a file answer shows the file's name with its download link
/// (the answer itself holds the file's id).
struct AnswerRow {
    field: String,
    text: String,
    download: Option<String>,
}

fn answer_rows(answers: &serde_json::Value, files: &[FileView]) -> Vec<AnswerRow> {
    let Some(map) = answers.as_object() else {
        return Vec::new();
    };
    map.iter()
        .map(|(field, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            match files.iter().find(|f| f.id == text) {
                Some(file) => AnswerRow {
                    field: field.clone(),
                    text: file.name.clone(),
                    download: Some(format!("/api/v1/files/{}", file.id)),
                },
                None => AnswerRow {
                    field: field.clone(),
                    text,
                    download: None,
                },
            }
        })
        .collect()
}

/// Where an order's price stands: held while the escrow holds it; once the escrow is empty,
/// paid out (completed) or back with the customer (cancelled, refunded).
fn escrow_text(status: OrderStatus, price: i64, held: i64) -> String {
    match status {
        _ if held > 0 => format!("{held} points in escrow until settled"),
        OrderStatus::Completed => format!("{price} points paid to the owner (settled)"),
        OrderStatus::Cancelled | OrderStatus::Refunded => {
            format!("{price} points refunded to the customer")
        }
        _ => format!("{price} points in escrow until settled"),
    }
}

/// `result` of a form on order `id`, or the order page with `submitted` refused.
async fn on_order(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    result: Result<Response, AppError>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    answer(result, submitted, |fs| order_view(state, user, id, fs)).await
}

async fn customer_action(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    action: OrderAction,
    reason: Option<&str>,
) -> Result<Response, AppError> {
    transitions::act(state, id, Actor::Customer(&user.account_id), action, reason).await?;
    Ok(to_order(id))
}

/// The route of a customer's move that takes no form (cancel, accept delivery); a refusal
/// is shown at the top of the page's `action` form.
fn customer_move(action: OrderAction) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>, SignedIn(user): SignedIn, Path(id): Path<String>| async move {
            let result = customer_action(&state, &user, &id, action, None).await;
            on_order(&state, &user, &id, result, Submitted::button("action")).await
        },
    )
}

#[derive(Debug, Deserialize, Serialize)]
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
    let result = customer_action(
        &state,
        &user,
        &id,
        OrderAction::RequestRevision,
        Some(&form.reason),
    )
    .await;
    on_order(&state, &user, &id, result, Submitted::of("revision", &form)).await
}

#[derive(Debug, Deserialize, Serialize)]
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
    let result = transitions::act(&state, &id, Actor::Owner(&user.account_id), action, None)
        .await
        .map(|_| to_order(&id));
    on_order(&state, &user, &id, result, Submitted::button("action")).await
}

#[derive(Debug, Deserialize, Serialize)]
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
    let result = async {
        let rating = form
            .rating
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("rating", "rate from 1 to 5 stars"))?;
        let review = NewReview {
            rating,
            body: form.body.clone(),
        };
        orders::review(&state, &user.account_id, &id, &review).await?;
        Ok(to_order(&id))
    }
    .await;
    on_order(&state, &user, &id, result, Submitted::of("review", &form)).await
}

#[derive(Debug, Deserialize)]
struct BackTo {
    order: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
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
    let reply = NewReply {
        body: form.body.clone(),
    };
    let result = reviews::reply(&state, &user.account_id, &id, &reply).await;
    match (result, back.order) {
        (Ok(_), Some(order)) => Ok(to_order(&order)),
        (Ok(_), None) => Ok(Redirect::to("/orders").into_response()),
        (Err(err), Some(order)) => {
            let submitted = Submitted::of("reply", &form);
            on_order(&state, &user, &order, Err(err), submitted).await
        }
        (Err(err), None) => Err(err.into()),
    }
}

async fn order_message(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    PageForm(form): PageForm<BodyForm>,
) -> Result<Response, PageError> {
    let (order, actor) = orders::load_for_person(state.db.pool(), &id, &user.account_id).await?;
    let result = order_thread::post(&state, &order, actor, &form.body)
        .await
        .map(|_| to_order(&id));
    on_order(&state, &user, &id, result, Submitted::of("message", &form)).await
}

async fn order_files(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let result = attach_to_order(&state, &user.account_id, &id, multipart)
        .await
        .map(|_| to_order(&id));
    on_order(&state, &user, &id, result, Submitted::button("upload")).await
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
    /// Files may always be added to an open thread.
    uploads_open: bool,
    files: Vec<FileView>,
    /// A refused form's input and reason.
    fs: FormState,
}

async fn thread_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let page = thread_view(&state, &user, &id, FormState::none()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The thread page as `user` sees it, with `fs` (a refused form) shown.
async fn thread_view(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    fs: FormState,
) -> Result<ThreadPage, AppError> {
    let (thread, actor) = presale::load_for_person(state, id, &user.account_id).await?;
    Ok(ThreadPage {
        is_customer: matches!(actor, Actor::Customer(_)),
        offers: offers::cards(offers::for_thread(state, &thread).await?, actor),
        base: format!("/threads/{id}"),
        messages: shown(presale::messages(state, &thread).await?),
        read_only: false,
        uploads_open: true,
        files: presale::thread_files(state, &thread).await?,
        t: thread.view(),
        chrome: Chrome::signed_in(user),
        fs,
    })
}

/// `result` of a form on thread `id`, or the thread page with `submitted` refused.
async fn on_thread(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    result: Result<Response, AppError>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    answer(result, submitted, |fs| thread_view(state, user, id, fs)).await
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
    let result = presale::post(&state, &thread, actor, &form.body)
        .await
        .map(|_| to_thread(&id));
    on_thread(&state, &user, &id, result, Submitted::of("message", &form)).await
}

#[derive(Debug, Deserialize, Serialize)]
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
    let result = async {
        let offer = NewOffer {
            scope: form.scope.clone(),
            price_points: int("price_points", &form.price_points)?,
            delivery_hours: int("delivery_hours", &form.delivery_hours)?,
            expires_in_hours: int("expires_in_hours", &form.expires_in_hours)?,
        };
        offers::send(&state, &thread, &offer).await?;
        Ok(to_thread(&id))
    }
    .await;
    on_thread(&state, &user, &id, result, Submitted::of("offer", &form)).await
}

async fn thread_files(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let result = attach_to_thread(&state, &user.account_id, &id, multipart)
        .await
        .map(|_| to_thread(&id));
    on_thread(&state, &user, &id, result, Submitted::button("upload")).await
}

async fn decide(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    accept: bool,
) -> Result<Response, PageError> {
    let err = match offers::decide(state, &user.account_id, id, accept).await {
        Ok((_, Some(order))) => return Ok(to_order(&order.id)),
        Ok((offer, None)) => return Ok(to_thread(&offer.thread_id)),
        Err(err) => err,
    };
    // The refusal is shown on the offer's card, so the page is that offer's thread.
    let Some(thread_id) = offers::thread_of(state, &user.account_id, id).await? else {
        return Err(err.into());
    };
    let submitted = Submitted::button("decide").with("offer", id);
    on_thread(state, user, &thread_id, Err(err), submitted).await
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
