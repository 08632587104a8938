//! Pages for changing one's own email address (`identity::accounts::email_change`):
//! `GET/POST /account/email` (the form: new address and password; then "check your new
//! address"), and `GET/POST /account/email/confirm/{token}` (the link from the email shows
//! the new address and a button; the change happens on the button, so a mail scanner
//! opening the link changes nothing).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::form::{FormState, Submitted, answer};
use super::{Chrome, PageError, PageForm, render};
use crate::http::client::Client;
use crate::http::extract::SignedIn;
use crate::identity::accounts::email_change::{self, EmailChangeRequest};
use crate::identity::sessions::SessionUser;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::human;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/email", get(form).post(submit))
        .route(
            "/account/email/confirm/{token}",
            get(confirm_form).post(confirm_submit),
        )
}

#[derive(Template)]
#[template(path = "account_email.html")]
struct EmailPage {
    chrome: Chrome,
    current: String,
    /// The pending new address and until when its link works.
    pending: Option<(String, String)>,
    fs: FormState,
}

/// The page, with form `email` in state `fs`.
async fn page(state: &AppState, user: &SessionUser, fs: FormState) -> Result<EmailPage, AppError> {
    let pending = email_change::pending_for(state, &user.account_id)
        .await?
        .map(|(email, until)| (email, human(until)));
    Ok(EmailPage {
        chrome: Chrome::signed_in(user),
        current: user.email.clone(),
        pending,
        fs,
    })
}

async fn form(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let page = page(&state, &user, FormState::none()).await?;
    Ok(render(StatusCode::OK, &page))
}

async fn submit(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Client(client): Client,
    PageForm(request): PageForm<EmailChangeRequest>,
) -> Result<Response, PageError> {
    let result = email_change::ask(&state, &user, &request, client.ip)
        .await
        .map(|_| Redirect::to("/account/email").into_response());
    // The address typed is kept; the password is never echoed.
    let submitted = Submitted::button("email")
        .with("new_email", &request.new_email)
        .with("password", "");
    answer(result, submitted, |fs| page(&state, &user, fs)).await
}

#[derive(Template)]
#[template(path = "account_email_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    new_email: String,
    token: String,
    done: bool,
}

async fn confirm_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let new_email = email_change::pending(&state, &token).await?;
    let page = ConfirmPage {
        chrome: Chrome::visitor(),
        new_email,
        token,
        done: false,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn confirm_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let new_email = email_change::pending(&state, &token).await?;
    email_change::confirm(&state, &token).await?;
    let page = ConfirmPage {
        chrome: Chrome::visitor(),
        new_email,
        token: String::new(),
        done: true,
    };
    Ok(render(StatusCode::OK, &page))
}
