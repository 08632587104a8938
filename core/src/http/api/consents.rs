//! Consents as JSON (the page is `pages::account`). Policy: "withdraw consent at any time".
//!
//! - `GET /api/v1/me/consents` → `{consents: [status...], history: [event...]}`
//! - `POST /api/v1/me/consents` `{purpose, action: "given"|"withdrawn"}` → 200 status

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::http::extract::{ApiJson, CurrentUser};
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::privacy::consents::{self, ConsentChange, ConsentStatus};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/me/consents", get(list).post(change))
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
