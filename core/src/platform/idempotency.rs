//! The store of idempotency keys (`idempotency_keys`): the `Idempotency-Key` a caller sends
//! on a JSON API write, kept as SHA-256 of caller and key with the first request's answer,
//! so a retry gets that answer instead of a second action. The HTTP side (what a request
//! with a key goes through) is `http::idempotency`.
//!
//! A key is reserved ([`claim`]) before the action runs, in its own committed statement, and
//! then [`complete`]d with the answer. Whatever happens between the two (a crash, a panic),
//! the row never goes back to "free": a retry finds it running or interrupted and the
//! action is not repeated. Keys last as long as the retention rule `idempotency_keys` says
//! (24 hours); an older key counts as new, and the sweep deletes it.

use sqlx::Row;

use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::{hash_secret, new_id};

/// The retention rule bounding how long a key is replayed and kept.
pub const RETENTION_RULE: &str = "idempotency_keys";

heepr_compliance::stored_state! {
    /// Where a key's first request stands (`idempotency_keys.state`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum KeyState: "idempotency key state" {
        /// The first request is being served.
        Running = "running",
        /// Its answer is stored and replayed.
        Done = "done",
        /// It ended without a stored answer: whether its action took place is unknown.
        Interrupted = "interrupted",
    }
}

/// Who sent a key: keys are per caller, so two callers' equal keys never meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// A signed-in account (session cookie), by id.
    Account(&'a str),
    /// An agent worker (bearer key): the agent and its owner, the data subject.
    Agent {
        /// The agent's id.
        agent_id: &'a str,
        /// The owner's account id.
        owner_id: &'a str,
    },
}

impl<'a> Caller<'a> {
    /// The account the stored answer belongs to (what erasure and export look up).
    pub fn subject(self) -> &'a str {
        match self {
            Caller::Account(id) | Caller::Agent { owner_id: id, .. } => id,
        }
    }

    /// The stored hash of `key` sent by this caller: SHA-256 (hex) of the caller and the
    /// key, so the key itself is never stored.
    pub fn key_hash(self, key: &str) -> String {
        match self {
            Caller::Account(id) => hash_secret(&format!("account:{id}\n{key}")),
            Caller::Agent { agent_id, .. } => hash_secret(&format!("agent:{agent_id}\n{key}")),
        }
    }
}

/// The answer stored for a key, replayed to retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// SHA-256 (hex) of the first request's method, path and body.
    pub fingerprint: String,
    /// Bytes in the first request's body.
    pub body_bytes: i64,
    /// The HTTP status.
    pub status: u16,
    /// Headers replayed with it (name, value), e.g. `content-type`.
    pub headers: Vec<(String, String)>,
    /// The body (the API's answers are JSON text).
    pub body: String,
}

/// What [`claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free and is now reserved by this request (row id): run the action, then
    /// [`complete`] or [`release`] the row.
    Reserved(String),
    /// Another request with this key is being served.
    Running,
    /// A request with this key ended without an answer; its outcome is unknown.
    Interrupted,
    /// A request with this key was answered.
    Done(StoredAnswer),
}

/// Reserves `key_hash` for `subject`'s request served by process `instance`, or says who has
/// it. A key older than the retention period counts as new. A running row of another
/// `instance` is reported [`Claim::Interrupted`] (that process ended mid-request).
///
/// Errors: a database error (500).
pub async fn claim(
    state: &AppState,
    key_hash: &str,
    subject: &str,
    instance: &str,
) -> Result<Claim, AppError> {
    let now = state.clock.now_ms();
    let cutoff = state
        .policies
        .retention
        .rules
        .get(RETENTION_RULE)
        .and_then(|rule| rule.cutoff_ms(now))
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "retention rule idempotency_keys has no period"
            ))
        })?;
    // A sweep may delete the row between the insert and the read: a few rounds settle it.
    for _ in 0..3 {
        sqlx::query("DELETE FROM idempotency_keys WHERE key_hash = $1 AND created_at < $2")
            .bind(key_hash)
            .bind(cutoff)
            .execute(state.db.pool())
            .await?;
        let id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (id, key_hash, account_id, state, instance, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_hash) DO NOTHING",
        )
        .bind(&id)
        .bind(key_hash)
        .bind(subject)
        .bind(KeyState::Running.as_str())
        .bind(instance)
        .bind(now)
        .execute(state.db.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(Claim::Reserved(id));
        }
        if let Some(found) = existing(state, key_hash, instance).await? {
            return Ok(found);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "an idempotency key kept vanishing while it was claimed"
    )))
}

async fn existing(
    state: &AppState,
    key_hash: &str,
    instance: &str,
) -> Result<Option<Claim>, AppError> {
    let row = sqlx::query(
        "SELECT state, instance, fingerprint, body_bytes, status, headers, body \
         FROM idempotency_keys WHERE key_hash = $1",
    )
    .bind(key_hash)
    .fetch_optional(state.db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let key_state: KeyState = row.try_get("state")?;
    Ok(Some(match key_state {
        KeyState::Running if row.try_get::<String, _>("instance")? == instance => Claim::Running,
        KeyState::Running | KeyState::Interrupted => Claim::Interrupted,
        KeyState::Done => {
            let headers: String = row
                .try_get::<Option<String>, _>("headers")?
                .unwrap_or_default();
            let status: i64 = row.try_get::<Option<i64>, _>("status")?.unwrap_or(500);
            Claim::Done(StoredAnswer {
                fingerprint: row
                    .try_get::<Option<String>, _>("fingerprint")?
                    .unwrap_or_default(),
                body_bytes: row.try_get::<Option<i64>, _>("body_bytes")?.unwrap_or(0),
                status: u16::try_from(status).unwrap_or(500),
                headers: serde_json::from_str(&headers).unwrap_or_default(),
                body: row
                    .try_get::<Option<String>, _>("body")?
                    .unwrap_or_default(),
            })
        }
    }))
}

/// Stores the answer of the request holding row `id` (reserved by [`claim`]).
///
/// Errors: a database error (500).
pub async fn complete(state: &AppState, id: &str, answer: &StoredAnswer) -> Result<(), AppError> {
    let headers = serde_json::to_string(&answer.headers)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding stored headers: {e}")))?;
    sqlx::query(
        "UPDATE idempotency_keys SET state = $2, fingerprint = $3, body_bytes = $4, status = $5, \
         headers = $6, body = $7, completed_at = $8 WHERE id = $1 AND state = $9",
    )
    .bind(id)
    .bind(KeyState::Done.as_str())
    .bind(&answer.fingerprint)
    .bind(answer.body_bytes)
    .bind(i64::from(answer.status))
    .bind(headers)
    .bind(&answer.body)
    .bind(state.clock.now_ms())
    .bind(KeyState::Running.as_str())
    .execute(state.db.pool())
    .await?;
    Ok(())
}

/// Frees row `id` again: its request was not served (the body never arrived whole), so no
/// action took place and a retry may run.
///
/// Errors: a database error (500).
pub async fn release(state: &AppState, id: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM idempotency_keys WHERE id = $1 AND state = $2")
        .bind(id)
        .bind(KeyState::Running.as_str())
        .execute(state.db.pool())
        .await?;
    Ok(())
}

/// Marks row `id` interrupted: its request ended without an answer to store (a panic, an
/// unreadable answer), so whether its action happened is unknown and no retry may run it.
///
/// Errors: a database error (500).
pub async fn interrupt(state: &AppState, id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE idempotency_keys SET state = $2 WHERE id = $1 AND state = $3")
        .bind(id)
        .bind(KeyState::Interrupted.as_str())
        .bind(KeyState::Running.as_str())
        .execute(state.db.pool())
        .await?;
    Ok(())
}
