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

use super::{Chrome, PageError, PageForm, render, with_retry_after};
use crate::http::client::Client;
use crate::http::extract::SignedIn;
use crate::identity::accounts::email_change::{self, EmailChangeRequest};
use crate::identity::sessions::SessionUser;
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
    typed: String,
    error: Option<String>,
    error_field: &'static str,
}

async fn page(state: &AppState, user: &SessionUser, typed: String) -> Result<EmailPage, PageError> {
    let pending = email_change::pending_for(state, &user.account_id)
        .await?
        .map(|(email, until)| (email, human(until)));
    Ok(EmailPage {
        chrome: Chrome::signed_in(user),
        current: user.email.clone(),
        pending,
        typed,
        error: None,
        error_field: "",
    })
}

async fn form(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    let page = page(&state, &user, String::new()).await?;
    Ok(render(StatusCode::OK, &page))
}

async fn submit(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Client(client): Client,
    PageForm(request): PageForm<EmailChangeRequest>,
) -> Result<Response, PageError> {
    match email_change::ask(&state, &user, &request, client.ip).await {
        Ok(_) => Ok(Redirect::to("/account/email?notice=sent").into_response()),
        Err(err) if err.status().is_client_error() => {
            let mut shown = page(&state, &user, request.new_email.clone()).await?;
            shown.error = Some(err.public_message());
            shown.error_field = err.field().unwrap_or("");
            Ok(with_retry_after(render(err.status(), &shown), &err))
        }
        Err(err) => Err(err.into()),
    }
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
