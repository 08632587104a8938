//! The request log's store (`request_log`; policy: "Technical data - IP address, browser
//! user-agent, request logs"). The HTTP layer decides what a request's row holds (only the
//! route template, never the raw URI) and queues it ([`super::deferred_writes`]); this
//! module only writes rows, many per statement.

use sqlx::{Any, Transaction};

use crate::platform::db::MAX_BIND_PARAMS;

/// One request, as the log keeps it.
#[derive(Debug, Clone)]
pub struct RequestLogEntry {
    /// The row's id (UUIDv7, drawn when the request finished).
    pub id: String,
    /// When the request finished (Unix ms).
    pub occurred_at_ms: i64,
    /// HTTP method.
    pub method: String,
    /// The matched route template (`/api/v1/me/sessions/{id}`), never the raw URI.
    pub route: String,
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

/// Bound parameters per row.
const COLUMNS: usize = 9;

/// Inserts `entries` inside `tx`, as few multi-row statements as the bind limit allows.
/// A row naming an account that is not `active_status` (closed: being or been erased) is
/// left out, decided by the statement itself, so a row queued before an erasure and
/// written after it cannot tie the erased person to a request again. Returns how many rows
/// were inserted.
///
/// Errors: the database's.
pub async fn append_batch(
    tx: &mut Transaction<'static, Any>,
    entries: &[RequestLogEntry],
    active_status: &str,
) -> Result<u64, sqlx::Error> {
    let mut inserted = 0;
    for chunk in entries.chunks((MAX_BIND_PARAMS - 1) / COLUMNS) {
        // VALUES columns are named column1..column9 on SQLite and PostgreSQL alike.
        let mut sql = String::from(
            "INSERT INTO request_log (id, occurred_at, method, route, status, latency_ms, client_ip, user_agent, account_id) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9 FROM (VALUES ",
        );
        for i in 0..chunk.len() {
            let base = 2 + i * COLUMNS;
            if i > 0 {
                sql.push_str(", ");
            }
            let params: Vec<String> = (base..base + COLUMNS).map(|n| format!("${n}")).collect();
            sql.push('(');
            sql.push_str(&params.join(", "));
            sql.push(')');
        }
        sql.push_str(
            ") AS v WHERE v.column9 IS NULL OR EXISTS \
             (SELECT 1 FROM accounts a WHERE a.id = v.column9 AND a.status = $1)",
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(active_status.to_owned());
        for e in chunk {
            query = query
                .bind(e.id.clone())
                .bind(e.occurred_at_ms)
                .bind(e.method.clone())
                .bind(e.route.clone())
                .bind(e.status)
                .bind(e.latency_ms)
                .bind(e.client_ip.clone())
                .bind(e.user_agent.clone())
                .bind(e.account_id.clone());
        }
        inserted += query.execute(&mut **tx).await?.rows_affected();
    }
    Ok(inserted)
}
