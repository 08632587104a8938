//! JSON API for accounts and sessions under `/api/v1`, authenticated by the session cookie.
//!
//! - `POST /api/v1/accounts` `{display_name, email, password, age_16_or_over, accept_terms}`
//!   → 201 profile (`accept_terms: true` accepts the terms in force; else 422 `accept_terms`)
//! - `POST /api/v1/sessions` `{email, password}` → 200 `{session, account}` + cookie
//! - `DELETE /api/v1/sessions/current` → 204, cookie removed
//! - `GET /api/v1/me` → profile; `PATCH /api/v1/me` `{display_name}` → the corrected profile
//! - `GET /api/v1/me/ledger?limit=N` → balance and entries
//! - `PUT /api/v1/me/password` `{current_password, new_password}` → 200 `{ended_sessions}`
//! - `POST /api/v1/me/email` `{new_email, password}` → 202 `{pending_email, expires_at}`: a
//!   confirmation link goes to the new address (the change happens when it is used), a
//!   notice to the current one
//! - `POST /api/v1/me/email/verification` → 202 `{sent_to, expires_at}`: a new verification
//!   link (409 `already_verified`; 429 past the resend limit)
//! - `GET /api/v1/me/sessions`; `DELETE /api/v1/me/sessions/{id}` → 204

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;

use crate::http::client::Client;
use crate::http::extract::{ApiJson, CurrentUser, RequestAccount};
use crate::identity::accounts::email_change::{self, EmailChangeRequest, PendingChange};
use crate::identity::accounts::login::{LoginRequest, log_in};
use crate::identity::accounts::password_change::{PasswordChangeRequest, change_password};
use crate::identity::accounts::rename::{ProfileChange, change_display_name};
use crate::identity::accounts::signup::{SignupOutcome, SignupRequest, SignupSent, sign_up};
use crate::identity::accounts::verification::{self, SentLink};
use crate::identity::accounts::{self, Profile};
use crate::identity::sessions;
use crate::ledger;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", post(create_account))
        .route("/api/v1/sessions", post(create_session))
        .route("/api/v1/sessions/current", delete(end_current_session))
        .route("/api/v1/me", get(me).patch(update_me))
        .route("/api/v1/me/ledger", get(my_ledger))
        .route("/api/v1/me/password", put(update_password))
        .route("/api/v1/me/email", post(change_email))
        .route("/api/v1/me/email/verification", post(resend_verification))
        .route("/api/v1/me/sessions", get(my_sessions))
        .route("/api/v1/me/sessions/{id}", delete(end_session))
}

async fn create_account(
    State(state): State<AppState>,
    Client(client): Client,
    account: RequestAccount,
    ApiJson(request): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<SignupSent>), AppError> {
    let (sent, outcome) = sign_up(&state, &request, client.ip).await?;
    if let SignupOutcome::Created(id) = &outcome {
        account.set(id);
    }
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

async fn resend_verification(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<(StatusCode, Json<SentLink>), AppError> {
    let sent = verification::resend(&state, &user.account_id).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

async fn create_session(
    State(state): State<AppState>,
    Client(client): Client,
    account: RequestAccount,
    jar: CookieJar,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, AppError> {
    let (session, user) = log_in(&state, &request, &client).await?;
    account.set(&user.account_id);
    let profile = accounts::profile(&state, &user.account_id).await?;
    let body = json!({
        "session": {"id": session.id, "expires_at": rfc3339(session.expires_at)},
        "account": profile,
    });
    let jar = jar.add(sessions::session_cookie(&state.settings, session.token));
    Ok((jar, Json(body)).into_response())
}

async fn end_current_session(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    jar: CookieJar,
) -> Result<Response, AppError> {
    sessions::end(&state, &user.account_id, &user.session_id).await?;
    let jar = jar.add(sessions::removal_cookie(&state.settings));
    Ok((StatusCode::NO_CONTENT, jar).into_response())
}

async fn me(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Profile>, AppError> {
    Ok(Json(accounts::profile(&state, &user.account_id).await?))
}

async fn update_me(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(change): ApiJson<ProfileChange>,
) -> Result<Json<Profile>, AppError> {
    Ok(Json(
        change_display_name(&state, &user.account_id, &change).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct LedgerQuery {
    limit: Option<i64>,
}

/// Most entries one ledger page returns.
const MAX_LEDGER_PAGE: i64 = 500;

async fn my_ledger(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    query: Result<Query<LedgerQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LEDGER_PAGE).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_LEDGER_PAGE}"),
        ));
    }
    let balance = ledger::balance(state.db.pool(), &user.account_id).await?;
    let entries = ledger::entries(state.db.pool(), &user.account_id, limit).await?;
    Ok(Json(json!({"points_balance": balance, "entries": entries})))
}

async fn update_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Client(client): Client,
    ApiJson(request): ApiJson<PasswordChangeRequest>,
) -> Result<Json<serde_json::Value>, AppError> {
    let ended = change_password(&state, &user, &request, client.ip).await?;
    Ok(Json(json!({"ended_sessions": ended})))
}

async fn change_email(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Client(client): Client,
    ApiJson(request): ApiJson<EmailChangeRequest>,
) -> Result<(StatusCode, Json<PendingChange>), AppError> {
    let pending = email_change::ask(&state, &user, &request, client.ip).await?;
    Ok((StatusCode::ACCEPTED, Json(pending)))
}

async fn my_sessions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<serde_json::Value>, AppError> {
    let list = sessions::list(&state, &user).await?;
    Ok(Json(json!({"sessions": list})))
}

async fn end_session(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    sessions::end(&state, &user.account_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
