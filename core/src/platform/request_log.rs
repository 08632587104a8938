//! The request log's store (`request_log`; policy: "Technical data - IP address, browser
//! user-agent, request logs"). The HTTP layer decides what a request's row holds (only the
//! route template, never the raw URI); this module only writes it.

use sqlx::AnyPool;

use crate::platform::tokens::new_id;

/// One request, as the log keeps it.
#[derive(Debug, Clone)]
pub struct RequestLogEntry<'a> {
    /// When the request finished (Unix ms).
    pub occurred_at_ms: i64,
    /// HTTP method.
    pub method: &'a str,
    /// The matched route template (`/api/v1/me/sessions/{id}`), never the raw URI.
    pub route: &'a str,
    /// HTTP status answered.
    pub status: i64,
    /// Time to answer (ms).
    pub latency_ms: i64,
    /// The client's IP address.
    pub client_ip: String,
    /// The client's user agent, if it sent one.
    pub user_agent: Option<String>,
    /// The signed-in account, if any.
    pub account_id: Option<String>,
}

/// Appends `entry` to the request log.
///
/// Errors: the database's.
pub async fn append(pool: &AnyPool, entry: RequestLogEntry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO request_log (id, occurred_at, method, route, status, latency_ms, client_ip, user_agent, account_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(entry.occurred_at_ms)
    .bind(entry.method)
    .bind(entry.route)
    .bind(entry.status)
    .bind(entry.latency_ms)
    .bind(entry.client_ip)
    .bind(entry.user_agent)
    .bind(entry.account_id)
    .execute(pool)
    .await?;
    Ok(())
}
