//! Pages for verifying one's email address (`identity::accounts::verification`):
//! `GET/POST /account/verify` (whether the address is verified, and a button that sends a
//! new link; a refused resend shows the page again with the reason), and
//! `GET/POST /account/verify/{token}` (the link from the email shows a button; the account
//! is verified on the button, so a mail scanner opening the link changes nothing; then a
//! redirect to `/account/verified`, so a reload repeats nothing).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::form::{FormState, Submitted, answer};
use super::{Chrome, PageError, render};
use crate::http::extract::SignedIn;
use crate::identity::accounts::verification::{self, LinkState};
use crate::identity::sessions::SessionUser;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::human;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/verify", get(status).post(resend))
        .route("/account/verified", get(verified))
        .route(
            "/account/verify/{token}",
            get(confirm_form).post(confirm_submit),
        )
}

#[derive(Template)]
#[template(path = "account_verify.html")]
struct StatusPage {
    chrome: Chrome,
    email: String,
    verified: bool,
    /// Until when the last link works, when one still does.
    link_until: Option<String>,
    bonus: i64,
    fs: FormState,
}

async fn status_page(
    state: &AppState,
    user: &SessionUser,
    fs: FormState,
) -> Result<StatusPage, AppError> {
    let pending = verification::pending_for(state, &user.account_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let bonus =
        verification::bonus_for(&mut conn, state, &user.account_id, state.clock.now_ms()).await?;
    Ok(StatusPage {
        chrome: Chrome::signed_in(user),
        email: user.email.clone(),
        verified: pending.is_none(),
        link_until: pending.flatten().map(human),
        bonus,
        fs,
    })
}

async fn status(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let page = status_page(&state, &user, FormState::none()).await?;
    Ok(render(StatusCode::OK, &page))
}

async fn resend(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let result = verification::resend(&state, &user.account_id)
        .await
        .map(|_| Redirect::to("/account/verify").into_response());
    answer(result, Submitted::button("resend"), |fs| {
        status_page(&state, &user, fs)
    })
    .await
}

#[derive(Template)]
#[template(path = "account_verify_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    token: String,
    done: bool,
    /// The link no longer works: why, instead of a button that would fail.
    dead: Option<&'static str>,
}

async fn confirm_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let (status, dead) = match verification::link_state(&state, &token).await? {
        LinkState::Usable => (StatusCode::OK, None),
        LinkState::Expired => (
            StatusCode::GONE,
            Some("This link has expired (a link works for 48 hours)."),
        ),
        LinkState::Unknown => (
            StatusCode::NOT_FOUND,
            Some("This link was used already, or a newer link replaced it."),
        ),
    };
    let page = ConfirmPage {
        chrome: Chrome::visitor(),
        token,
        done: false,
        dead,
    };
    Ok(render(status, &page))
}

async fn confirm_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    verification::verify(&state, &token).await?;
    Ok(Redirect::to("/account/verified").into_response())
}

async fn verified() -> Response {
    let page = ConfirmPage {
        chrome: Chrome::visitor(),
        token: String::new(),
        done: true,
        dead: None,
    };
    render(StatusCode::OK, &page)
}
