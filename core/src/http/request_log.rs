//! The request log (policy: "Technical data - IP address, browser user-agent, request logs").
//!
//! One row per request: time, method, matched route template, status, latency, client IP,
//! user agent and the signed-in account. Only the route *template* is stored
//! (`/api/v1/me/sessions/{id}`), never the raw URI, so query strings, tokens and passwords
//! cannot reach the log; the tracing line carries the same fields and nothing more.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::http::client::client_info;
use crate::platform::deferred_writes::Deferred;
use crate::platform::request_log::RequestLogEntry;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// Filled by the authentication extractor with the signed-in account's id, so the request
/// log can record who made the request.
#[derive(Debug, Clone, Default)]
pub struct AccountSlot(Arc<OnceLock<String>>);

impl AccountSlot {
    /// Records the signed-in account (first call wins).
    pub fn set(&self, account_id: &str) {
        let _ = self.0.set(account_id.to_owned());
    }
}

/// The route recorded for requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "(unmatched)";

/// Middleware: runs the request, then queues its row ([`crate::platform::deferred_writes`]).
pub async fn record(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.as_str().to_owned());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let client = client_info(peer, request.headers(), &state.settings.trusted_proxies);
    let slot = AccountSlot::default();
    request.extensions_mut().insert(slot.clone());
    request.extensions_mut().insert(client.clone());

    let response = next.run(request).await;

    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let status = i64::from(response.status().as_u16());
    tracing::info!(%method, %route, status, latency_ms, "request");
    // Queued, not written: the response never waits for the log's write.
    state.deferred.push(Deferred::RequestLog(RequestLogEntry {
        id: new_id(),
        occurred_at_ms: state.clock.now_ms(),
        method,
        route,
        status,
        latency_ms,
        client_ip: client.ip.to_string(),
        user_agent: client.user_agent,
        account_id: slot.0.get().cloned(),
    }));
    response
}
