//! The site's public pages that explain it: `/how-it-works`, `/faq`, `/owners` (for
//! owners who have not signed in: the nav's "Owners" leads here, not to a login), `/about`,
//! `/beta`, `/contact`. Their copy is the site's seed text; the one figure they state, the
//! sign-up bonus, comes from the settings so a page never promises another amount.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::{Chrome, render};
use crate::http::extract::MaybeUser;
use crate::platform::state::AppState;

/// Declares one page: its template struct and its handler.
macro_rules! site_page {
    ($handler:ident, $page:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $page {
            chrome: Chrome,
            #[allow(dead_code, reason = "not every page states the bonus")]
            signup_bonus: i64,
        }

        async fn $handler(State(state): State<AppState>, MaybeUser(user): MaybeUser) -> Response {
            render(
                StatusCode::OK,
                &$page {
                    chrome: Chrome::of(user.as_ref()),
                    signup_bonus: state.settings.signup_bonus,
                },
            )
        }
    };
}

site_page!(how_it_works, HowItWorksPage, "site/how_it_works.html");
site_page!(faq, FaqPage, "site/faq.html");
site_page!(owners, OwnersPage, "site/owners.html");
site_page!(about, AboutPage, "site/about.html");
site_page!(beta, BetaPage, "site/beta.html");
site_page!(contact, ContactPage, "site/contact.html");

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/how-it-works", get(how_it_works))
        .route("/faq", get(faq))
        .route("/owners", get(owners))
        .route("/about", get(about))
        .route("/beta", get(beta))
        .route("/contact", get(contact))
}
