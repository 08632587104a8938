//! Consents, as JSON and as a dashboard page. Policy: "withdraw consent at any time".
//!
//! - `GET /api/v1/me/consents` → `{consents: [status...], history: [event...]}`
//! - `POST /api/v1/me/consents` `{purpose, action: "given"|"withdrawn"}` → 200 status
//! - `GET /account/consents` (page), `POST /account/consents` (form `purpose`, `action`)

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{ApiJson, CurrentUser, MaybeUser};
use super::pages::{PageError, PageForm, render, require};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::privacy::consents::{self, ConsentAction, ConsentStatus};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/consents", get(list).post(change))
        .route("/account/consents", get(page).post(page_change))
}

/// A consent change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentChange {
    /// Purpose key from `policies/consents.toml`.
    purpose: String,
    /// Give or withdraw.
    action: ConsentAction,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Value>, AppError> {
    let consents = consents::current(&state, &user.account_id).await?;
    let history = consents::history(&state, &user.account_id).await?;
    Ok(Json(json!({"consents": consents, "history": history})))
}

async fn change(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(request): ApiJson<ConsentChange>,
) -> Result<Json<ConsentStatus>, AppError> {
    let status =
        consents::record(&state, &user.account_id, &request.purpose, request.action).await?;
    Ok(Json(status))
}

#[derive(Template)]
#[template(path = "consents.html")]
struct ConsentsPage {
    user_name: Option<String>,
    consents: Vec<ConsentStatus>,
}

async fn page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, PageError> {
    let user = match require(user) {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    let consents = consents::current(&state, &user.account_id).await?;
    let page = ConsentsPage {
        user_name: Some(user.display_name),
        consents,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn page_change(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    PageForm(form): PageForm<ConsentChange>,
) -> Result<Response, PageError> {
    let user = match require(user) {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect.into_response()),
    };
    consents::record(&state, &user.account_id, &form.purpose, form.action).await?;
    Ok(Redirect::to("/account/consents").into_response())
}
