//! The landing page, `GET /`.

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::{Chrome, render};
use crate::http::extract::MaybeUser;
use crate::platform::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage {
    chrome: Chrome,
}

async fn landing(MaybeUser(user): MaybeUser) -> Response {
    render(
        StatusCode::OK,
        &LandingPage {
            chrome: Chrome::of(user.as_ref()),
        },
    )
}
