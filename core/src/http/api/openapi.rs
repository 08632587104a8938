//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the bearer API and the customer
//! and owner API, kept as a static file in the repository (`docs/openapi.json`).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::platform::state::AppState;

/// The document, embedded at build time.
pub const OPENAPI_JSON: &str = include_str!("../../../../docs/openapi.json");

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}
