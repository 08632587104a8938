//! API keys of agents for the bearer API (policy: "API keys are stored as one-way hashes and
//! shown to you only once at issue"; "API key usage timestamps").
//!
//! A key reads `hpr_` + 40 hex characters (160 random bits) + 8 hex characters of checksum
//! (the first 4 bytes of SHA-256 of the random part), 52 characters in all. The checksum lets
//! a typo be refused without a database lookup and lets secret scanners recognise real keys.
//! Only the SHA-256 of the whole key is stored, with its first 12 characters for display.

use heepr_compliance::withdrawal_ledger;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::platform::deferred_writes::Deferred;
use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::time::rfc3339;
use crate::platform::tokens::{hash_secret, new_id};

/// Every key starts with this.
pub const KEY_PREFIX: &str = "hpr_";
/// Random bytes per key (160 bits).
const RANDOM_BYTES: usize = 20;
/// Characters of the key kept for display.
const DISPLAY_PREFIX_CHARS: usize = 12;

fn checksum(random_hex: &str) -> String {
    hex::encode(&Sha256::digest(random_hex.as_bytes())[..4])
}

/// A fresh key: `hpr_` + 40 hex random + 8 hex checksum.
pub fn generate_key() -> String {
    let mut bytes = [0u8; RANDOM_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let random = hex::encode(bytes);
    format!("{KEY_PREFIX}{random}{}", checksum(&random))
}

/// Whether `key` has the shape of a heepr key and its checksum matches.
pub fn is_well_formed(key: &str) -> bool {
    let Some(rest) = key.strip_prefix(KEY_PREFIX) else {
        return false;
    };
    if rest.len() != RANDOM_BYTES * 2 + 8 || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let (random, sum) = rest.split_at(RANDOM_BYTES * 2);
    checksum(random) == sum
}

/// A key as listed to its owner (never the key itself).
#[derive(Debug, Clone, Serialize)]
pub struct KeySummary {
    /// Key id.
    pub id: String,
    /// First characters of the key, e.g. `hpr_3fa9c01b`.
    pub prefix: String,
    /// When issued (RFC 3339).
    pub created_at: String,
    /// When last used on the bearer API (RFC 3339), if ever.
    pub last_used_at: Option<String>,
    /// When revoked (RFC 3339), if revoked.
    pub revoked_at: Option<String>,
}

/// A key just issued: `key` is shown once and never again.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedKey {
    /// The listing fields.
    #[serde(flatten)]
    pub summary: KeySummary,
    /// The full key; store it now, heepr keeps only its hash.
    pub key: String,
}

/// Issues a key for `agent_id` (the caller has checked ownership).
pub async fn issue(state: &AppState, agent_id: &str) -> Result<IssuedKey, AppError> {
    let now = state.clock.now_ms();
    let key = generate_key();
    let id = new_id();
    let prefix: String = key.chars().take(DISPLAY_PREFIX_CHARS).collect();
    sqlx::query(
        "INSERT INTO api_keys (id, agent_id, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(agent_id)
    .bind(&prefix)
    .bind(hash_secret(&key))
    .bind(now)
    .execute(state.db.pool())
    .await?;
    tracing::info!(agent_id, key_id = %id, "api key issued");
    Ok(IssuedKey {
        summary: KeySummary {
            id,
            prefix,
            created_at: rfc3339(now),
            last_used_at: None,
            revoked_at: None,
        },
        key,
    })
}

/// Whether `key` is a live (not revoked) key of `agent_id`: the page that shows a new
/// key once checks the key it was handed is really that agent's.
///
/// Errors: the database's.
pub async fn is_live_key_of(state: &AppState, agent_id: &str, key: &str) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE agent_id = $1 AND key_hash = $2 AND revoked_at IS NULL",
    )
    .bind(agent_id)
    .bind(hash_secret(key))
    .fetch_one(state.db.pool())
    .await?;
    Ok(n == 1)
}

/// The keys of `agent_id`, newest first.
pub async fn list(state: &AppState, agent_id: &str) -> Result<Vec<KeySummary>, AppError> {
    let rows = sqlx::query(
        "SELECT id, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE agent_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(agent_id)
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(KeySummary {
                id: r.try_get("id")?,
                prefix: r.try_get("prefix")?,
                created_at: rfc3339(r.try_get("created_at")?),
                last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(rfc3339),
                revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(rfc3339),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Revokes key `key_id` of `agent_id` (idempotent: a revoked key stays revoked at its first
/// revocation time).
///
/// Errors: 404 when the agent has no such key.
pub async fn revoke(state: &AppState, agent_id: &str, key_id: &str) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let held: Option<String> =
        sqlx::query_scalar("SELECT id FROM api_keys WHERE id = $1 AND agent_id = $2")
            .bind(key_id)
            .bind(agent_id)
            .fetch_optional(state.db.pool())
            .await?;
    if held.is_none() {
        return Err(AppError::NotFound("api key"));
    }
    // Before the update, so a restore from an older backup cannot bring the key back
    // (withdrawal_ledger's module doc says why this order).
    let entry = withdrawal_ledger::Withdrawal::ApiKeyRevoked {
        key_id: key_id.to_owned(),
        at: now,
    };
    withdrawal_ledger::append(&state.settings.data_dir, &entry)
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("withdrawal ledger")))?;
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND agent_id = $3",
    )
    .bind(now)
    .bind(key_id)
    .bind(agent_id)
    .execute(state.db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("api key"));
    }
    tracing::info!(agent_id, key_id, "api key revoked");
    Ok(())
}

/// Revokes every active key of every agent `owner_id` owns (each as [`revoke`] does, the
/// withdrawal ledger first); returns how many.
///
/// Errors: the database's; the withdrawal ledger's (500).
pub async fn revoke_all_of_owner(state: &AppState, owner_id: &str) -> Result<usize, AppError> {
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT k.agent_id, k.id FROM api_keys k JOIN agents a ON a.id = k.agent_id \
         WHERE a.owner_id = $1 AND k.revoked_at IS NULL",
    )
    .bind(owner_id)
    .fetch_all(state.db.pool())
    .await?;
    for (agent_id, key_id) in &keys {
        revoke(state, agent_id, key_id).await?;
    }
    Ok(keys.len())
}

/// The agent a presented key acts for.
#[derive(Debug, Clone)]
pub struct KeyHolder {
    /// The key's id.
    pub key_id: String,
    /// The agent.
    pub agent_id: String,
    /// The agent's owner (the account messages and offers are attributed to).
    pub owner_id: String,
}

/// Checks a presented key (one read through the unique index on `key_hash`) and queues
/// the record of its use (`last_used_at`).
///
/// Errors: 401 for a malformed, unknown or revoked key, or one whose owner's account is closed.
pub async fn authenticate(state: &AppState, key: &str) -> Result<KeyHolder, AppError> {
    if !is_well_formed(key) {
        return Err(AppError::Unauthenticated);
    }
    let row = sqlx::query(
        "SELECT k.id, k.agent_id, a.owner_id FROM api_keys k \
         JOIN agents a ON a.id = k.agent_id JOIN accounts o ON o.id = a.owner_id \
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND o.status = $2",
    )
    .bind(hash_secret(key))
    .bind(crate::identity::account_status::AccountStatus::Active.as_str())
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::Unauthenticated)?;
    let holder = KeyHolder {
        key_id: row.try_get("id")?,
        agent_id: row.try_get("agent_id")?,
        owner_id: row.try_get("owner_id")?,
    };
    // The use is recorded off the request's path (it may land a moment later).
    state.deferred.push(Deferred::KeyUsed {
        key_id: holder.key_id.clone(),
        at_ms: state.clock.now_ms(),
    });
    Ok(holder)
}

/// Writes queued key uses (key id, Unix ms) inside `tx`. Returns how many keys changed.
///
/// Errors: the database's.
pub async fn record_used(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    used: &[(String, i64)],
) -> Result<u64, sqlx::Error> {
    crate::platform::db::set_times_by_id(tx, "api_keys", "last_used_at", used).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_recognisable_and_checksummed() {
        let key = generate_key();
        assert!(key.starts_with("hpr_"));
        assert_eq!(key.len(), 4 + 40 + 8);
        assert!(is_well_formed(&key));
        let mut typo = key.clone().into_bytes();
        typo[10] = if typo[10] == b'0' { b'1' } else { b'0' };
        assert!(!is_well_formed(
            &String::from_utf8(typo).unwrap_or_default()
        ));
        assert!(!is_well_formed("hpr_short"));
        assert_ne!(key, generate_key());
    }
}
