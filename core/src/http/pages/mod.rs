//! Server-rendered pages for customers and owners, one file per feature with its own
//! `router()`: [`landing`], [`account`] (sign-up, login, dashboard, password, sessions,
//! consents), [`email_change`] (changing one's email address), [`browse`], [`orders`] (orders and chats), [`owner`] (an owner's agents),
//! [`policies`], [`privacy`] (the subject's requests), [`oauth`] (sign-in providers),
//! [`site`] (how it works, FAQ, owners, about, beta, contact), [`docs`] (the agent skill
//! spec and the API reference). Plain
//! HTML forms, no JavaScript needed: every form posts, and the answer is a redirect (303) or
//! the same page with a message.
//!
//! This module holds what every page shares: the page frame ([`Chrome`]), reading a form,
//! showing an error as a page, rendering and the 404 page. A page for signed-in people takes
//! `http::extract::SignedIn`, which sends visitors to the login page. Pages may use
//! `http::api` (multipart uploads, downloads), never the reverse.

pub mod account;
pub mod browse;
pub mod docs;
pub mod email_change;
pub mod landing;
pub mod oauth;
pub mod orders;
pub mod owner;
pub mod policies;
pub mod privacy;
pub mod site;

use askama::Template;
use axum::extract::Form;
use axum::extract::FromRequest;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::identity::sessions::SessionUser;
use crate::platform::error::AppError;

/// A form body; a malformed one becomes a page saying so (400).
#[derive(Debug, FromRequest)]
#[from_request(via(Form), rejection(PageError))]
pub struct PageForm<T>(pub T);

/// An error shown as a page.
#[derive(Debug)]
pub struct PageError(AppError);

impl From<FormRejection> for PageError {
    fn from(rejection: FormRejection) -> Self {
        PageError(AppError::BadRequest(format!(
            "the form could not be read: {}",
            rejection.body_text()
        )))
    }
}

impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        PageError(err)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let heading = if status.is_server_error() {
            "Something went wrong"
        } else {
            "That did not work"
        };
        let mut response = render(
            status,
            &MessagePage {
                chrome: Chrome::visitor(),
                heading,
                message: self.0.public_message(),
            },
        );
        // A page answering 429 says when to come back, as the API does.
        if let AppError::TooManyRequests { retry_after_secs } = self.0 {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        response
    }
}

/// `response` with a `Retry-After` when `err` is a 429, so a page form refused by a limit
/// says when to come back, as the API does.
pub fn with_retry_after(mut response: Response, err: &AppError) -> Response {
    if let AppError::TooManyRequests { retry_after_secs } = err {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(*retry_after_secs),
        );
    }
    response
}

/// Renders `page` with `status`; a template failure becomes a 500.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => AppError::Internal(err.into()).into_response(),
    }
}

/// The 404 page.
pub fn not_found_page() -> Response {
    render(
        StatusCode::NOT_FOUND,
        &MessagePage {
            chrome: Chrome::visitor(),
            heading: "Page not found",
            message: "There is no page at this address.".into(),
        },
    )
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
}

/// What every page's frame (`base.html`) shows around its content: the header's signed-in
/// person, which decides the navigation (orders, dashboard and log out for a signed-in
/// person; log in and sign up for a visitor). There is no CSRF token to carry: state-changing
/// requests are checked by origin (`http::router`).
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// The signed-in person's display name; `None` for a visitor.
    pub user_name: Option<String>,
}

impl Chrome {
    /// The frame for a visitor (nobody signed in, or a page that must not say who is).
    pub fn visitor() -> Chrome {
        Chrome::default()
    }

    /// The frame for `user`.
    pub fn signed_in(user: &SessionUser) -> Chrome {
        Chrome {
            user_name: Some(user.display_name.clone()),
        }
    }

    /// The frame for whoever is signed in, if anyone.
    pub fn of(user: Option<&SessionUser>) -> Chrome {
        user.map_or_else(Chrome::visitor, Chrome::signed_in)
    }

    /// The stylesheet's content-hashed URL (`http::assets`).
    pub fn stylesheet(&self) -> &'static str {
        crate::http::assets::stylesheet_url()
    }
}
