//! The site's static assets, embedded in the binary: the one stylesheet at
//! `/assets/site-{hash}.css` and the icon at `/favicon.svg` (and `/favicon.ico`, which
//! browsers ask for unprompted).
//!
//! The stylesheet's URL carries the first 16 hex digits of its SHA-256, so it is served with
//! `Cache-Control: public, max-age=31536000, immutable`: a changed stylesheet has a new URL,
//! and a browser never revalidates an old one. Every page links it through
//! [`stylesheet_url`]; pages carry no inline style, which lets the Content-Security-Policy
//! (`http::security_headers`) refuse inline styles and scripts.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::platform::state::AppState;

/// The stylesheet's text.
pub const STYLESHEET: &str = include_str!("../../assets/site.css");
/// The icon (SVG).
pub const ICON_SVG: &str = include_str!("../../assets/icon.svg");

/// A year: the longest `max-age` caches honour, for content whose URL changes with it.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

static STYLESHEET_NAME: LazyLock<String> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(STYLESHEET.as_bytes()));
    format!("site-{}.css", &digest[..16])
});

static STYLESHEET_URL: LazyLock<String> =
    LazyLock::new(|| format!("/assets/{}", STYLESHEET_NAME.as_str()));

/// The stylesheet's path, `/assets/site-{16 hex digits of its SHA-256}.css`.
pub fn stylesheet_url() -> &'static str {
    STYLESHEET_URL.as_str()
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/{name}", get(asset))
        .route("/favicon.svg", get(icon))
        .route("/favicon.ico", get(icon))
}

async fn asset(Path(name): Path<String>) -> Response {
    // Only the current hash is served: an old URL must not get new content cached for a year.
    if name != *STYLESHEET_NAME {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn icon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        ICON_SVG,
    )
        .into_response()
}
