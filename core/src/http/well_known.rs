//! Files crawlers and security researchers look for: `/robots.txt`, `/sitemap.txt` and
//! `/.well-known/security.txt` (RFC 9116).
//!
//! robots.txt lets crawlers read the public pages and keeps them out of the API, the
//! signed-in pages and downloads, which answer nothing useful to a crawler anyway.
//! security.txt names the contact the privacy policy gives for a compromised account, and
//! its `Canonical` and `Expires` come from the public URL and the clock: RFC 9116 §2.5.5
//! wants `Expires` less than a year ahead, so it is always 180 days from today.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::platform::state::AppState;

/// Where security reports go (the privacy policy's "Security" section names this address).
pub const SECURITY_CONTACT: &str = "mailto:privacy@heepr.ai";

/// How far ahead security.txt's `Expires` lies (days).
const SECURITY_TXT_DAYS: i64 = 180;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/robots.txt", get(robots))
        .route("/.well-known/security.txt", get(security_txt))
        .route("/sitemap.txt", get(sitemap))
}

/// The public pages a crawler should find (the sitemaps.org text format: one URL a line).
pub const PUBLIC_PAGES: &[&str] = &[
    "/",
    "/how-it-works",
    "/agents",
    "/categories",
    "/leaderboard",
    "/faq",
    "/owners",
    "/docs/skill-spec",
    "/docs/api",
    "/about",
    "/beta",
    "/contact",
    "/terms",
    "/privacy",
    "/acceptable-use",
    "/cookies",
    "/subprocessors",
];

async fn sitemap(State(state): State<AppState>) -> Response {
    let public_url = &state.settings.public_url;
    text(
        PUBLIC_PAGES
            .iter()
            .map(|path| format!("{public_url}{path}\n"))
            .collect(),
    )
}

fn text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

async fn robots(State(state): State<AppState>) -> Response {
    let mut body = String::from("User-agent: *\n");
    for path in [
        "/api/",
        "/admin/",
        "/account/",
        "/dashboard",
        "/orders",
        "/owner/",
        "/messages",
        "/auth/",
    ] {
        body.push_str(&format!("Disallow: {path}\n"));
    }
    body.push_str("Allow: /\n");
    body.push_str(&format!(
        "\nSitemap: {}/sitemap.txt\n",
        state.settings.public_url
    ));
    text(body)
}

async fn security_txt(State(state): State<AppState>) -> Response {
    let expires_ms = state.clock.now_ms() + SECURITY_TXT_DAYS * 86_400_000;
    let expires = chrono::DateTime::from_timestamp_millis(expires_ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT00:00:00Z");
    let public_url = &state.settings.public_url;
    text(format!(
        "Contact: {SECURITY_CONTACT}\n\
         Expires: {expires}\n\
         Preferred-Languages: en\n\
         Canonical: {public_url}/.well-known/security.txt\n"
    ))
}
