//! Pages for setting a new password from a mailed link (`identity::accounts::password_reset`):
//! `GET/POST /account/password/forgot` (the address; then the same "check your email" for
//! any address, so the page tells nobody who has an account) and
//! `GET/POST /account/password/reset/{token}` (the link's form; a used or expired link says
//! so instead; on success, to the login page).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::form::{FormState, Submitted, answer};
use super::{Chrome, PageError, PageForm, render};
use crate::identity::accounts::password_reset::{self, NewPassword, ResetAsk};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/password/forgot", get(ask_form).post(ask_submit))
        .route(
            "/account/password/reset/{token}",
            get(reset_form).post(reset_submit),
        )
}

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    /// The address a link was asked for, once asked.
    sent_to: Option<String>,
    fs: FormState,
}

async fn ask_form() -> Response {
    let page = ForgotPage {
        chrome: Chrome::visitor(),
        sent_to: None,
        fs: FormState::none(),
    };
    render(StatusCode::OK, &page)
}

async fn ask_submit(
    State(state): State<AppState>,
    PageForm(body): PageForm<ResetAsk>,
) -> Result<Response, PageError> {
    let result = password_reset::request(&state, &body.email)
        .await
        .map(|()| {
            let page = ForgotPage {
                chrome: Chrome::visitor(),
                sent_to: Some(body.email.trim().to_owned()),
                fs: FormState::none(),
            };
            render(StatusCode::OK, &page)
        });
    let submitted = Submitted::button("forgot").with("email", &body.email);
    answer(result, submitted, |fs| async move {
        Ok::<_, AppError>(ForgotPage {
            chrome: Chrome::visitor(),
            sent_to: None,
            fs,
        })
    })
    .await
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    chrome: Chrome,
    token: String,
    /// The account's address (empty when the link no longer works, or the form is shown
    /// again after an error).
    email: String,
    /// The link no longer works: why, instead of the form.
    dead: Option<String>,
    fs: FormState,
}

async fn reset_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let (status, email, dead) = match password_reset::check_link(&state, &token).await {
        Ok(email) => (StatusCode::OK, email, None),
        Err(AppError::Gone(why)) => (StatusCode::GONE, String::new(), Some(why)),
        Err(AppError::NotFound(_)) => (
            StatusCode::NOT_FOUND,
            String::new(),
            Some("This link was used already, or a newer link replaced it".to_owned()),
        ),
        Err(other) => return Err(other.into()),
    };
    let page = ResetPage {
        chrome: Chrome::visitor(),
        token,
        email,
        dead,
        fs: FormState::none(),
    };
    Ok(render(status, &page))
}

async fn reset_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PageForm(body): PageForm<NewPassword>,
) -> Result<Response, PageError> {
    let result = password_reset::reset(&state, &token, &body.new_password)
        .await
        .map(|_| Redirect::to("/login?notice=password_set").into_response());
    // The password typed is never echoed back.
    let submitted = Submitted::button("reset").with("new_password", "");
    answer(result, submitted, |fs| async move {
        let email = password_reset::check_link(&state, &token)
            .await
            .unwrap_or_default();
        Ok::<_, AppError>(ResetPage {
            chrome: Chrome::visitor(),
            token: token.clone(),
            email,
            dead: None,
            fs,
        })
    })
    .await
}
