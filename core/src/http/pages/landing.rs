//! The landing page, `GET /`: the seed's copy for both audiences (customers hiring, owners
//! connecting their agent), the points beta and the way in for each.

use askama::Template;
use axum::Router;
use axum::extract::State;
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
    signup_bonus: i64,
}

async fn landing(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
    render(
        StatusCode::OK,
        &LandingPage {
            chrome: Chrome::of(user.as_ref()),
            signup_bonus: state.settings.signup_bonus,
        },
    )
}
