//! Server-rendered pages for customers and owners, one file per feature with its own
//! `router()`: [`landing`], [`account`] (sign-up, login, dashboard, password, sessions,
//! consents), [`email_change`] (changing one's email address), [`verification`] (verifying it at sign-up), [`password_reset`] (a new password from a mailed link), [`browse`], [`orders`] (orders and chats), [`owner`] (an owner's agents),
//! [`policies`], [`privacy`] (the subject's requests), [`oauth`] (sign-in providers),
//! [`site`] (how it works, FAQ, owners, about, beta, contact), [`docs`] (the agent skill
//! spec and the API reference). Plain
//! HTML forms, no JavaScript needed: every form posts, and the answer is a redirect (303) or
//! the same page with the input kept and the refusal next to its field.
//!
//! This module holds what every page shares: the page frame ([`Chrome`]), reading a form,
//! showing an error as a page framed for whoever is signed in ([`frame`]), rendering and
//! the 404 page; [`form`] re-shows a refused form with its input and the reason. A page for signed-in people takes
//! `http::extract::SignedIn`, which sends visitors to the login page. Pages may use
//! `http::api` (multipart uploads, downloads), never the reverse.

pub mod account;
pub mod browse;
pub mod docs;
pub mod email_change;
pub mod filters;
pub mod form;
pub mod landing;
pub mod oauth;
pub mod orders;
pub mod owner;
pub mod password_reset;
pub mod policies;
pub mod privacy;
pub mod site;
pub mod verification;

use askama::Template;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;

use crate::identity::sessions::{self, SessionUser};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

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
        let response = error_page(status, heading, self.0.public_message());
        with_retry_after(response, &self.0)
    }
}

/// An error page still to be framed: [`frame`] renders it with the header of whoever is
/// signed in (the handler that failed may not have read the session).
#[derive(Debug, Clone)]
struct ErrorPage {
    heading: &'static str,
    message: String,
}

/// A bare `status` answer carrying an [`ErrorPage`] for [`frame`] to render.
fn error_page(status: StatusCode, heading: &'static str, message: String) -> Response {
    let mut response = status.into_response();
    response
        .extensions_mut()
        .insert(ErrorPage { heading, message });
    response
}

/// Marks the CSRF layer's refusal, so [`frame`] answers a page form's with a page (the
/// API keeps its JSON body).
#[derive(Debug, Clone, Copy)]
pub struct CrossSiteRefusal;

/// Middleware around every route (outside the CSRF layer): renders error pages with the
/// signed-in person's header, and turns a CSRF refusal of a page form into a page saying
/// what to do.
pub async fn frame(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_api = path.starts_with("/api/") || path.starts_with("/admin/api/");
    let token = CookieJar::from_headers(request.headers())
        .get(sessions::cookie_name(&state.settings))
        .map(|c| c.value().to_owned());
    let response = next.run(request).await;
    let page = if let Some(page) = response.extensions().get::<ErrorPage>() {
        page.clone()
    } else if response.extensions().get::<CrossSiteRefusal>().is_some() && !is_api {
        ErrorPage {
            heading: "This form was refused",
            message: "Your browser said this form was sent from another site, so heepr did \
                      not act on it and nothing was changed. If you filled it in on heepr: \
                      go back, reload the page and send the form again."
                .into(),
        }
    } else {
        return response;
    };
    let user = match token {
        Some(token) => sessions::authenticate(&state, &token).await.ok().flatten(),
        None => None,
    };
    let html = MessagePage {
        chrome: Chrome::of(user.as_ref()),
        heading: page.heading,
        message: page.message.clone(),
    }
    .render()
    .unwrap_or_else(|_| format!("{}: {}", page.heading, page.message));
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(html))
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

/// The 404 page (framed by [`frame`]).
pub fn not_found_page() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.".into(),
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
