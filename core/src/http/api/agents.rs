//! JSON API for agents: browsing (anyone) and the owner's agents and keys (session).
//!
//! - `GET /api/v1/agents?category=&min_rating=&online=&min_price=&max_price=&q=&sort=&page=`
//! - `GET /api/v1/agents/{id}` → agent with its newest reviews
//! - `GET /api/v1/categories`; `GET /api/v1/leaderboard`
//! - `GET|POST /api/v1/my/agents`; `GET|PATCH /api/v1/my/agents/{id}`;
//!   `POST /api/v1/my/agents/{id}/publish`; `GET /api/v1/my/agents/{id}/skill-setup.tar.gz`
//! - `GET|POST /api/v1/my/agents/{id}/keys`; `DELETE /api/v1/my/agents/{id}/keys/{key_id}`
//! - `GET /api/v1/my/agents/{id}/events` → the agent's newest 100 events

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use crate::http::extract::{ApiJson, CurrentUser};
use crate::identity::api_keys;
use crate::market::agents::browse::{self, BrowseQuery};
use crate::market::agents::wizard::{self, AgentChanges, NewAgent};
use crate::market::agents::{self, skill_setup};
use crate::market::reviews;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agents", get(list_agents))
        .route("/api/v1/agents/{id}", get(agent_profile))
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/leaderboard", get(leaderboard))
        .route("/api/v1/my/agents", get(my_agents).post(create_agent))
        .route("/api/v1/my/agents/{id}", get(my_agent).patch(update_agent))
        .route("/api/v1/my/agents/{id}/publish", post(publish_agent))
        .route(
            "/api/v1/my/agents/{id}/skill-setup.tar.gz",
            get(skill_setup_bundle),
        )
        .route(
            "/api/v1/my/agents/{id}/keys",
            get(list_keys).post(issue_key),
        )
        .route("/api/v1/my/agents/{id}/keys/{key_id}", delete(revoke_key))
        .route("/api/v1/my/agents/{id}/events", get(agent_events))
}

/// Reads a query string, turning a malformed one into 422 with the reason.
pub fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    q.map(|Query(v)| v)
        .map_err(|e| AppError::invalid("query", e.body_text()))
}

async fn list_agents(
    State(state): State<AppState>,
    q: Result<Query<BrowseQuery>, QueryRejection>,
) -> Result<Json<browse::BrowsePage>, AppError> {
    Ok(Json(browse::browse(&state, &query(q)?).await?))
}

async fn agent_profile(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let agent = agents::load_published(state.db.pool(), &id).await?;
    let reviews = reviews::for_agent(&state, &id, 50).await?;
    let mut body = serde_json::to_value(agent.public_view(state.clock.now_ms()))
        .map_err(|e| AppError::Internal(e.into()))?;
    body["reviews"] = json!(reviews);
    Ok(Json(body))
}

async fn categories(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    Ok(Json(
        json!({"categories": browse::categories(&state).await?}),
    ))
}

async fn leaderboard(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    Ok(Json(json!({"agents": browse::leaderboard(&state).await?})))
}

async fn my_agents(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Value>, AppError> {
    let now = state.clock.now_ms();
    let list: Vec<_> = wizard::list_owned(&state, &user.account_id)
        .await?
        .iter()
        .map(|a| a.owner_view(now))
        .collect();
    Ok(Json(json!({"agents": list})))
}

async fn create_agent(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(new): ApiJson<NewAgent>,
) -> Result<(StatusCode, Json<agents::OwnerAgent>), AppError> {
    let agent = wizard::create(&state, &user.account_id, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(agent.owner_view(state.clock.now_ms())),
    ))
}

async fn my_agent(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<agents::OwnerAgent>, AppError> {
    let agent = agents::load_owned(state.db.pool(), &id, &user.account_id).await?;
    Ok(Json(agent.owner_view(state.clock.now_ms())))
}

async fn update_agent(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    ApiJson(changes): ApiJson<AgentChanges>,
) -> Result<Json<agents::OwnerAgent>, AppError> {
    let agent = wizard::update(&state, &user.account_id, &id, &changes).await?;
    Ok(Json(agent.owner_view(state.clock.now_ms())))
}

async fn publish_agent(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<agents::OwnerAgent>, AppError> {
    let agent = wizard::publish(&state, &user.account_id, &id).await?;
    Ok(Json(agent.owner_view(state.clock.now_ms())))
}

/// The skill setup bundle as a download (shared with the pages).
pub async fn skill_setup_response(
    state: &AppState,
    owner_id: &str,
    id: &str,
) -> Result<Response, AppError> {
    let agent = agents::load_owned(state.db.pool(), id, owner_id).await?;
    if agent.status != agents::AgentStatus::Published {
        return Err(AppError::Conflict {
            code: "not_published",
            message: "publish the agent first: the skill setup is generated at publishing".into(),
        });
    }
    let bytes = skill_setup::bundle(&agent, &state.settings.public_url)?;
    let name = format!("heepr-skill-{}.tar.gz", agent.id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn skill_setup_bundle(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    skill_setup_response(&state, &user.account_id, &id).await
}

async fn list_keys(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    agents::load_owned(state.db.pool(), &id, &user.account_id).await?;
    Ok(Json(json!({"keys": api_keys::list(&state, &id).await?})))
}

async fn issue_key(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<api_keys::IssuedKey>), AppError> {
    agents::load_owned(state.db.pool(), &id, &user.account_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(api_keys::issue(&state, &id).await?),
    ))
}

async fn agent_events(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    agents::load_owned(state.db.pool(), &id, &user.account_id).await?;
    Ok(Json(
        json!({"events": agents::events::recent(&state, &id, 100).await?}),
    ))
}

async fn revoke_key(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    agents::load_owned(state.db.pool(), &id, &user.account_id).await?;
    api_keys::revoke(&state, &id, &key_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
