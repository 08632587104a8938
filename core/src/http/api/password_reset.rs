//! The password reset API (`identity::accounts::password_reset`), public:
//!
//! - `POST /api/v1/password-resets` `{email}` → 202 `{message}`, the same answer whether or
//!   not an account uses the address (422 `email` only for something that is not an
//!   address)
//! - `POST /api/v1/password-resets/{token}` `{new_password}` → 204: the password is set,
//!   every session of the account ended; 404 for an unknown or used link, 410 for an
//!   expired one, 422 `new_password`

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};

use crate::http::extract::ApiJson;
use crate::identity::accounts::password_reset::{self, NewPassword, ResetAsk};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// What every reset request is answered, whoever the address belongs to.
pub const SENT_MESSAGE: &str = "if an account uses this address, we sent it a link to set a new password (it works for an hour)";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/password-resets", post(ask))
        .route("/api/v1/password-resets/{token}", post(set))
}

async fn ask(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetAsk>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    password_reset::request(&state, &body.email).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"message": SENT_MESSAGE}))))
}

async fn set(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<StatusCode, AppError> {
    password_reset::reset(&state, &token, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
