//! The HTTP surface: the JSON API ([`api`]), server-rendered pages ([`pages`]) and the admin
//! API ([`admin`]), each feature in its own file with its own `router()`, merged here with
//! the fallbacks and the layers every route gets ([`request_log`], CSRF,
//! [`security_headers`]), and
//! [`idempotency`] (`Idempotency-Key`) on the API's orders, chats and bearer routes. Shared
//! by all: [`extract`] (JSON bodies, the signed-in person) and [`client`] (client IP, user
//! agent). Not pages but served beside them: [`assets`] (the stylesheet, the icon) and
//! [`well_known`] (robots.txt, sitemap, security.txt).
//!
//! Handlers are adapters: they may use every module below them (`platform` to `runtime`),
//! never `cli`. Inside: `pages` may use `api`; `admin`, `api` and `pages` use `extract` and
//! `client`; nothing here uses `admin`.

pub mod admin;
pub mod api;
pub mod assets;
pub mod client;
pub mod extract;
pub mod idempotency;
pub mod pages;
pub mod request_log;
pub mod security_headers;
pub mod well_known;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Response, StatusCode};
use axum::routing::get;
use axum::{Json, middleware};
use serde_json::json;
use tower_http::csrf::{CsrfLayer, ProtectionError};

use crate::platform::db;
use crate::platform::error::{AppError, error_response};
use crate::platform::state::AppState;

/// The whole application: every route, fallbacks and layers.
///
/// CSRF: every state-changing request from a browser must be same-origin (`Sec-Fetch-Site`,
/// else `Origin` against the public URL or the Host); clients that send neither header
/// (scripts, curl) pass, as they carry no ambient browser credentials.
pub fn router(state: AppState) -> anyhow::Result<Router> {
    let csrf = CsrfLayer::new()
        .add_trusted_origin(&state.settings.public_url)
        .map_err(|e| anyhow::anyhow!("--public-url {}: {e}", state.settings.public_url))?
        .with_rejection_response(csrf_rejection);
    let idempotent = || middleware::from_fn_with_state(state.clone(), idempotency::honour);
    Ok(Router::new()
        .route("/healthz", get(healthz))
        .merge(api::accounts::router())
        .merge(api::password_reset::router())
        .merge(api::agents::router())
        .merge(api::orders::router().route_layer(idempotent()))
        .merge(api::chats::router().route_layer(idempotent()))
        .merge(api::files::router())
        .merge(api::agent_worker::router().route_layer(idempotent()))
        .merge(api::openapi::router())
        .merge(api::consents::router())
        .merge(assets::router())
        .merge(well_known::router())
        .merge(pages::landing::router())
        .merge(pages::site::router())
        .merge(pages::docs::router())
        .merge(pages::account::router())
        .merge(pages::email_change::router())
        .merge(pages::verification::router())
        .merge(pages::password_reset::router())
        .merge(pages::policies::router())
        .merge(pages::oauth::router())
        .merge(pages::browse::router())
        .merge(pages::orders::router())
        .merge(pages::owner::router())
        .merge(pages::privacy::router())
        .merge(admin::router(state.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(csrf)
        .layer(middleware::from_fn_with_state(state.clone(), pages::frame))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_log::record,
        ))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(security_headers::SecurityHeaders::new(&state.settings)),
            security_headers::apply,
        ))
        .with_state(state))
}

/// The API's JSON refusal, marked so `pages::frame` answers a page form with a page.
fn csrf_rejection(_error: ProtectionError) -> Response<Body> {
    let mut response = error_response(
        StatusCode::FORBIDDEN,
        "cross_origin_request",
        "cross-site request refused: submit the form from the heepr site itself".into(),
    );
    response.extensions_mut().insert(pages::CrossSiteRefusal);
    response
}

/// `{"status": "ok", "deferred_writes": {queued, dropped, failed, written}}`: the database
/// answers, and how the queue of request-log rows and last-seen times is doing (a growing
/// `dropped` means the database cannot keep up with the traffic).
async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    db::ping(state.db.pool()).await?;
    Ok(Json(
        json!({"status": "ok", "deferred_writes": state.deferred.stats()}),
    ))
}

async fn not_found(request: Request) -> axum::response::Response {
    let path = request.uri().path();
    if path.starts_with("/api/") || path.starts_with("/admin/api/") {
        let message = format!("no such endpoint: {} {}", request.method(), path);
        return error_response(StatusCode::NOT_FOUND, "not_found", message);
    }
    pages::not_found_page()
}

async fn method_not_allowed(request: Request) -> axum::response::Response {
    let message = format!(
        "{} is not allowed on {}",
        request.method(),
        request.uri().path()
    );
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        message,
    )
}
