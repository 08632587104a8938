//! Owner pages: the five-step wizard ("Connect your AI agent"), an agent's management page
//! with its API keys and the skill setup download.
//!
//! A new key is shown once, after a redirect (post/redirect/get): the POST issues it and
//! hands it to the agent's page in a short-lived cookie ([`NEW_KEY_COOKIE`]) that the page
//! reads and removes, so a reload neither issues a second key nor shows the first again.
//! The server never stores the key itself, only its hash.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};

use super::filters;
use super::form::{FormState, Submitted, answer};
use super::{Chrome, PageError, PageForm, render};
use crate::http::api::agents::skill_setup_response;
use crate::http::extract::SignedIn;
use crate::identity::api_keys::{self, KeySummary};
use crate::identity::sessions::SessionUser;
use crate::market::agents::order_form::{parse_lines, to_lines};
use crate::market::agents::wizard::{self, AgentChanges, NewAgent};
use crate::market::agents::{self, AgentStatus, CATEGORIES, OwnerAgent};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/owner/agents", get(agents_page).post(create))
        .route("/owner/agents/{id}", get(agent_page))
        .route(
            "/owner/agents/{id}/wizard/{step}",
            get(step_page).post(step_submit),
        )
        .route("/owner/agents/{id}/keys", post(issue_key))
        .route("/owner/agents/{id}/keys/{key_id}/revoke", post(revoke_key))
        .route("/owner/agents/{id}/skill-setup.tar.gz", get(skill_setup))
}

#[derive(Template)]
#[template(path = "owner_agents.html")]
struct AgentsPage {
    chrome: Chrome,
    agents: Vec<OwnerAgent>,
    /// The refused new agent's input and reason.
    fs: FormState,
}

async fn agents_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let page = agents_view(&state, &user, FormState::none()).await?;
    Ok(render(StatusCode::OK, &page))
}

async fn agents_view(
    state: &AppState,
    user: &SessionUser,
    fs: FormState,
) -> Result<AgentsPage, AppError> {
    let now = state.clock.now_ms();
    Ok(AgentsPage {
        agents: wizard::list_owned(state, &user.account_id)
            .await?
            .iter()
            .map(|a| a.owner_view(now))
            .collect(),
        chrome: Chrome::signed_in(user),
        fs,
    })
}

async fn create(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    PageForm(new): PageForm<NewAgent>,
) -> Result<Response, PageError> {
    let result = wizard::create(&state, &user.account_id, &new)
        .await
        .map(|agent| Redirect::to(&format!("/owner/agents/{}/wizard/2", agent.id)).into_response());
    let submitted = Submitted::button("create")
        .with("name", &new.name)
        .with("description", &new.description);
    answer(result, submitted, |fs| agents_view(&state, &user, fs)).await
}

#[derive(Template)]
#[template(path = "owner_wizard.html")]
struct WizardPage {
    chrome: Chrome,
    a: OwnerAgent,
    step: i64,
    categories: Vec<(&'static str, &'static str, bool)>,
    /// The step's fields: the agent's, or as typed when refused, with the reason.
    fs: FormState,
}

async fn step_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path((id, step)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let page = step_view(&state, &user, &id, step, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Wizard step `step` of agent `id`, showing the agent's stored values, or `refused` (the
/// step's input and why it was refused).
async fn step_view(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    step: i64,
    refused: Option<FormState>,
) -> Result<WizardPage, AppError> {
    if !(1..=5).contains(&step) {
        return Err(AppError::NotFound("wizard step"));
    }
    let agent = agents::load_owned(state.db.pool(), id, &user.account_id).await?;
    let fs = refused.unwrap_or_else(|| FormState::filled(Submitted::of("step", &stored(&agent))));
    let chosen = fs.value("step", "category").to_owned();
    Ok(WizardPage {
        categories: CATEGORIES
            .iter()
            .map(|(k, l)| (*k, *l, *k == chosen))
            .collect(),
        a: agent.owner_view(state.clock.now_ms()),
        step,
        chrome: Chrome::signed_in(user),
        fs,
    })
}

/// The wizard's fields as the agent has them stored, written as the form takes them.
fn stored(agent: &agents::Agent) -> StepForm {
    StepForm {
        name: Some(agent.name.clone()),
        description: Some(agent.description.clone()),
        category: Some(agent.category.clone()),
        tags: Some(agent.tags.join(", ")),
        skills: Some(agent.skills.join("\n")),
        private_notes: Some(agent.private_notes.clone()),
        price_points: Some(agent.price_points.to_string()),
        delivery_hours: Some(agent.delivery_hours.to_string()),
        revision_limit: Some(agent.revision_limit.to_string()),
        order_form: Some(to_lines(&agent.order_form)),
        publish: None,
    }
}

/// Every wizard field as typed (each step sends its own).
#[derive(Debug, Default, Deserialize, Serialize)]
struct StepForm {
    name: Option<String>,
    description: Option<String>,
    category: Option<String>,
    tags: Option<String>,
    skills: Option<String>,
    private_notes: Option<String>,
    price_points: Option<String>,
    delivery_hours: Option<String>,
    revision_limit: Option<String>,
    order_form: Option<String>,
    publish: Option<String>,
}

fn int(field: &'static str, v: Option<&String>) -> Result<Option<i64>, AppError> {
    v.map(|v| {
        v.trim()
            .parse()
            .map_err(|_| AppError::invalid(field, format!("{field} must be a whole number")))
    })
    .transpose()
}

async fn step_submit(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path((id, step)): Path<(String, i64)>,
    PageForm(form): PageForm<StepForm>,
) -> Result<Response, PageError> {
    let result = save_step(&state, &user, &id, step, &form).await;
    // Only the fields this step sent: a refusal on another step's field shows at the top.
    let submitted = Submitted::of("step", &form);
    answer(result, submitted, |fs| {
        step_view(&state, &user, &id, step, Some(fs))
    })
    .await
}

/// Saves wizard step `step` (or publishes, from step 5); the answer is the next step.
async fn save_step(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    step: i64,
    form: &StepForm,
) -> Result<Response, AppError> {
    if form.publish.is_some() {
        wizard::publish(state, &user.account_id, id).await?;
        return Ok(Redirect::to(&format!("/owner/agents/{id}")).into_response());
    }
    let split = |v: &Option<String>, sep: char| {
        v.as_ref().map(|t| {
            t.split(sep)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    };
    let changes = AgentChanges {
        name: form.name.clone(),
        description: form.description.clone(),
        category: form.category.clone(),
        tags: split(&form.tags, ','),
        skills: split(&form.skills, '\n'),
        private_notes: form.private_notes.clone(),
        price_points: int("price_points", form.price_points.as_ref())?,
        delivery_hours: int("delivery_hours", form.delivery_hours.as_ref())?,
        revision_limit: int("revision_limit", form.revision_limit.as_ref())?,
        order_form: form.order_form.as_deref().map(parse_lines).transpose()?,
        wizard_step: Some((step + 1).min(5)),
    };
    wizard::update(state, &user.account_id, id, &changes).await?;
    Ok(Redirect::to(&format!("/owner/agents/{id}/wizard/{}", (step + 1).min(5))).into_response())
}

#[derive(Template)]
#[template(path = "owner_agent.html")]
struct AgentPage {
    chrome: Chrome,
    a: OwnerAgent,
    published: bool,
    keys: Vec<KeySummary>,
    new_key: Option<String>,
    events: Vec<agents::events::EventView>,
}

/// Carries a key just issued from the POST that issued it to the page that shows it once.
pub const NEW_KEY_COOKIE: &str = "heepr_new_key";

/// The cookie holding `key` for agent `agent_id`'s page: only that page's path, never
/// readable by script, not sent cross-site, gone after five minutes if never shown.
fn new_key_cookie(state: &AppState, agent_id: &str, key: String) -> Cookie<'static> {
    Cookie::build((NEW_KEY_COOKIE, key))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path(format!("/owner/agents/{agent_id}"))
        .secure(state.settings.is_https())
        .max_age(cookie::time::Duration::minutes(5))
        .build()
}

async fn manage_page(
    state: &AppState,
    user: SessionUser,
    id: &str,
    new_key: Option<String>,
) -> Result<Response, PageError> {
    let agent = agents::load_owned(state.db.pool(), id, &user.account_id).await?;
    let page = AgentPage {
        published: agent.status == AgentStatus::Published,
        a: agent.owner_view(state.clock.now_ms()),
        keys: api_keys::list(state, id).await?,
        new_key,
        events: agents::events::recent(state, id, 20).await?,
        chrome: Chrome::signed_in(&user),
    };
    let mut response = render(StatusCode::OK, &page);
    // The page may carry a key shown once: never cache it.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn agent_page(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    agents::load_owned(state.db.pool(), &id, &user.account_id).await?;
    let handed = jar.get(NEW_KEY_COOKIE).map(|c| c.value().to_owned());
    let Some(key) = handed else {
        return manage_page(&state, user, &id, None).await;
    };
    // Shown only when it is a live key of this agent; removed either way, so once.
    let shown = api_keys::is_live_key_of(&state, &id, &key)
        .await?
        .then_some(key);
    let mut removal = new_key_cookie(&state, &id, String::new());
    removal.make_removal();
    let page = manage_page(&state, user, &id, shown).await?;
    Ok((jar.add(removal), page).into_response())
}

async fn issue_key(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    agents::load_owned(state.db.pool(), &id, &user.account_id).await?;
    let issued = api_keys::issue(&state, &id).await?;
    let jar = jar.add(new_key_cookie(&state, &id, issued.key));
    Ok((jar, Redirect::to(&format!("/owner/agents/{id}"))).into_response())
}

async fn revoke_key(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    agents::load_owned(state.db.pool(), &id, &user.account_id).await?;
    api_keys::revoke(&state, &id, &key_id).await?;
    Ok(Redirect::to(&format!("/owner/agents/{id}")).into_response())
}

async fn skill_setup(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    Ok(skill_setup_response(&state, &user.account_id, &id).await?)
}
