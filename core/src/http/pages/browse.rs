//! Pages for customers: browse with filters, categories, leaderboard, an agent's profile with
//! its order form (multipart, so file fields work without JavaScript), and opening a
//! pre-sale chat.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::filters;
use super::form::{FormState, Submitted, answer};
use super::{Chrome, PageError, render};
use crate::http::api::files::read_parts;
use crate::http::extract::{MaybeUser, SignedIn};
use crate::identity::sessions::SessionUser;
use crate::market::agents::browse::{self, BrowseQuery, CategoryCount};
use crate::market::agents::order_form::FieldType;
use crate::market::agents::{self, CATEGORIES, PublicAgent};
use crate::market::chats::presale;
use crate::market::files::{self, Purpose, Target};
use crate::market::orders::{self, NewOrder};
use crate::market::reviews::{self, ReviewView};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agents", get(browse_page))
        .route("/categories", get(categories_page))
        .route("/leaderboard", get(leaderboard_page))
        .route("/agents/{id}", get(agent_page))
        .route(
            "/agents/{id}/order",
            post(order_submit).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/agents/{id}/chat", post(chat_open))
}

/// Query-string encoding of one value (for pager links).
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The browse form as typed: every field text, so empty inputs are simply "no filter".
#[derive(Debug, Default, Deserialize, Serialize)]
struct BrowseForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    online: String,
    #[serde(default)]
    min_rating: String,
    #[serde(default)]
    min_price: String,
    #[serde(default)]
    max_price: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: String,
}

fn num<T: std::str::FromStr>(field: &'static str, s: &str) -> Result<Option<T>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| AppError::invalid(field, format!("{field} must be a number")))
}

#[derive(Template)]
#[template(path = "market_browse.html")]
struct BrowsePage {
    chrome: Chrome,
    q: String,
    online: bool,
    min_rating: String,
    min_price: String,
    max_price: String,
    sorts: Vec<(&'static str, bool)>,
    categories: Vec<(&'static str, &'static str, bool)>,
    agents: Vec<PublicAgent>,
    total: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
    /// A refused filter's reason (the input is in the fields above).
    fs: FormState,
}

/// The filter `text` as a number: `None` when empty; when not a number, `None` too (the
/// page shows the rest of the filter's results) and the refusal is kept in `refusal`.
fn filter_num<T: std::str::FromStr>(
    field: &'static str,
    text: &str,
    refusal: &mut Option<AppError>,
) -> Option<T> {
    num(field, text).unwrap_or_else(|err| {
        refusal.get_or_insert(err);
        None
    })
}

async fn browse_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(form): Query<BrowseForm>,
) -> Result<Response, PageError> {
    let mut refusal = None;
    let query = BrowseQuery {
        category: Some(form.category.clone()).filter(|c| !c.is_empty()),
        min_rating: filter_num("min_rating", &form.min_rating, &mut refusal),
        online: Some(form.online == "true"),
        min_price: filter_num("min_price", &form.min_price, &mut refusal),
        max_price: filter_num("max_price", &form.max_price, &mut refusal),
        q: Some(form.q.clone()),
        sort: Some(form.sort.clone()).filter(|s| !s.is_empty()),
        page: filter_num("page", &form.page, &mut refusal),
    };
    let result = match browse::browse(&state, &query).await {
        Err(err) if refusal.is_none() && super::form::shown_on_form(&err) => {
            refusal = Some(err);
            browse::browse(&state, &BrowseQuery::default()).await?
        }
        other => other?,
    };
    let (status, fs) = match &refusal {
        Some(err) => (
            err.status(),
            FormState::refused(Submitted::of("filter", &form), err),
        ),
        None => (StatusCode::OK, FormState::none()),
    };
    let base = format!(
        "/agents?q={}&category={}&online={}&min_rating={}&min_price={}&max_price={}&sort={}",
        enc(&form.q),
        enc(&form.category),
        enc(&form.online),
        enc(&form.min_rating),
        enc(&form.min_price),
        enc(&form.max_price),
        enc(&form.sort)
    );
    let page = result.page;
    let page_view = BrowsePage {
        chrome: Chrome::of(user.as_ref()),
        online: form.online == "true",
        sorts: ["rating", "price", "newest", "popularity"]
            .into_iter()
            .map(|s| (s, s == form.sort || (form.sort.is_empty() && s == "rating")))
            .collect(),
        categories: CATEGORIES
            .iter()
            .map(|(k, l)| (*k, *l, *k == form.category))
            .collect(),
        prev_link: (page > 1).then(|| format!("{base}&page={}", page - 1)),
        next_link: (page * result.per_page < result.total)
            .then(|| format!("{base}&page={}", page + 1)),
        total: result.total,
        agents: result.agents,
        q: form.q,
        min_rating: form.min_rating,
        min_price: form.min_price,
        max_price: form.max_price,
        fs,
    };
    Ok(render(status, &page_view))
}

#[derive(Template)]
#[template(path = "market_categories.html")]
struct CategoriesPage {
    chrome: Chrome,
    categories: Vec<CategoryCount>,
}

async fn categories_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, PageError> {
    let page = CategoriesPage {
        chrome: Chrome::of(user.as_ref()),
        categories: browse::categories(&state).await?,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "market_leaderboard.html")]
struct LeaderboardPage {
    chrome: Chrome,
    agents: Vec<PublicAgent>,
}

async fn leaderboard_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, PageError> {
    let page = LeaderboardPage {
        chrome: Chrome::of(user.as_ref()),
        agents: browse::leaderboard(&state).await?,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "market_agent.html")]
struct AgentPage {
    chrome: Chrome,
    a: PublicAgent,
    is_owner: bool,
    reviews: Vec<ReviewView>,
    /// The refused order form's answers and reason.
    fs: FormState,
}

async fn agent_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let page = agent_view(&state, user.as_ref(), &id, FormState::none()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The agent's public page for `user`, with `fs` (a refused order form) shown.
async fn agent_view(
    state: &AppState,
    user: Option<&SessionUser>,
    id: &str,
    fs: FormState,
) -> Result<AgentPage, AppError> {
    let agent = agents::load_published(state.db.pool(), id).await?;
    Ok(AgentPage {
        is_owner: user.is_some_and(|u| u.account_id == agent.owner_id),
        chrome: Chrome::of(user),
        a: agent.public_view(state.clock.now_ms()),
        reviews: reviews::for_agent(state, id, 50).await?,
        fs,
    })
}

async fn order_submit(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let agent = agents::load_published(state.db.pool(), &id).await?;
    let parts = match read_parts(&state, multipart).await {
        Ok(parts) => parts,
        Err(err) => {
            let page = |fs| agent_view(&state, Some(&user), &id, fs);
            return super::form::reshow(err, Submitted::button("order"), page).await;
        }
    };
    // Every answer as typed, to show again if the order is refused (a chosen file cannot
    // be: browsers never pre-fill file inputs).
    let submitted = agent
        .order_form
        .iter()
        .fold(Submitted::button("order"), |s, field| {
            let typed = parts.text.get(&field.name).map_or("", String::as_str);
            s.with(&field.name, typed)
        });
    let result = place_from_parts(&state, &user, &agent, &parts).await;
    answer(result, submitted, |fs| {
        agent_view(&state, Some(&user), &id, fs)
    })
    .await
}

/// Places the order of `user` with `agent` from the order form's multipart `parts`: file
/// fields are stored as briefs first, numbers read as numbers.
async fn place_from_parts(
    state: &AppState,
    user: &SessionUser,
    agent: &agents::Agent,
    parts: &crate::http::api::files::Parts,
) -> Result<Response, AppError> {
    let mut answers = Map::new();
    for field in &agent.order_form {
        let value = match field.field_type {
            FieldType::File => {
                let Some(i) = parts.file_fields.iter().position(|f| f == &field.name) else {
                    continue;
                };
                let moved = files::store(state, &parts.files[i..=i]).await?;
                let mut tx = state.db.begin_write().await?;
                let stored = files::record(
                    &mut tx,
                    state,
                    &user.account_id,
                    Target::Unattached,
                    Purpose::Brief,
                    &moved,
                )
                .await?;
                tx.commit().await?;
                stored.first().map(|f| Value::String(f.id.clone()))
            }
            FieldType::Number => parts
                .text
                .get(&field.name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                        .unwrap_or_else(|| Value::String(v.clone()))
                }),
            _ => parts
                .text
                .get(&field.name)
                .map(|v| Value::String(v.clone())),
        };
        if let Some(value) = value {
            answers.insert(field.name.clone(), value);
        }
    }
    let order = orders::place(
        state,
        &user.account_id,
        &NewOrder {
            agent_id: agent.id.clone(),
            answers: Value::Object(answers),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/orders/{}", order.id)).into_response())
}

async fn chat_open(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let result = presale::open(&state, &user.account_id, &id)
        .await
        .map(|thread| Redirect::to(&format!("/threads/{}", thread.id)).into_response());
    answer(result, Submitted::button("chat"), |fs| {
        agent_view(&state, Some(&user), &id, fs)
    })
    .await
}
