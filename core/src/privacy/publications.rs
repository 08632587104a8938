//! Snapshots of published policy versions (`policy_publications`): the text of a version as
//! it read, figures included, when `heepr policy publish` published it. Old versions are
//! served from their snapshot, so a later change to `retention.toml` changes the current
//! policy's page but never rewrites what an earlier version said.

use heepr_compliance::published::{self, Block, PolicyVersion};
use heepr_compliance::{Db, Policies};
use sqlx::Row;

use crate::platform::error::AppError;
use crate::platform::tokens::new_id;

/// The name the privacy policy is recorded under (`policy_publications.policy`,
/// `policy_notices.policy`).
pub const PRIVACY_POLICY: &str = "privacy";
/// The name the terms of service are recorded under (`policy_publications.policy`).
pub const TERMS: &str = "terms";
/// The name the acceptable use policy is recorded under (`policy_publications.policy`).
pub const ACCEPTABLE_USE: &str = "acceptable_use";

/// Records the snapshot of the privacy policy version in force, if not yet recorded, so
/// that every version that was ever served stays readable as it was (called by `heepr
/// serve` at start-up; `heepr policy publish` records the version it publishes). Returns
/// whether it recorded one.
///
/// Errors: database failures; a policy text that does not render (500).
pub async fn record_current(db: &Db, policies: &Policies, now: i64) -> Result<bool, AppError> {
    let Some(current) = policies.privacy_policy.current() else {
        return Ok(false);
    };
    let blocks = published::render(current, &policies.facts())
        .map_err(|reason| AppError::Internal(anyhow::anyhow!("privacy policy: {reason}")))?;
    record(db, PRIVACY_POLICY, current, &blocks, now).await
}

/// Records the snapshots of the terms and the acceptable use policy versions in force, as
/// [`record_current`] does for the privacy policy (called by `heepr serve` at start-up), so
/// the version a member accepted stays readable as it was. Returns how many it recorded.
///
/// Errors: database failures; a text that does not render (500).
pub async fn record_current_terms(
    db: &Db,
    policies: &Policies,
    now: i64,
) -> Result<usize, AppError> {
    let mut recorded = 0;
    for (name, document) in [
        (TERMS, &policies.terms),
        (ACCEPTABLE_USE, &policies.acceptable_use),
    ] {
        let Some(current) = document.current() else {
            continue;
        };
        let blocks = published::render(current, &policies.facts())
            .map_err(|reason| AppError::Internal(anyhow::anyhow!("{name}: {reason}")))?;
        recorded += usize::from(record(db, name, current, &blocks, now).await?);
    }
    Ok(recorded)
}

/// Records `version` of `policy` rendered as `blocks`, unless it was published before (the
/// first publication's snapshot is kept). Returns whether this call recorded it.
///
/// Errors: database failures.
pub async fn record(
    db: &Db,
    policy: &str,
    version: &PolicyVersion,
    blocks: &[Block],
    now: i64,
) -> Result<bool, AppError> {
    let blocks_json = serde_json::to_string(blocks).map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO policy_publications (id, policy, version, effective, material, blocks_json, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (policy, version) DO NOTHING",
    )
    .bind(new_id())
    .bind(policy)
    .bind(&version.version)
    .bind(&version.effective)
    .bind(i64::from(version.material))
    .bind(blocks_json)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(inserted.rows_affected() == 1)
}

/// The snapshot of `version` of `policy`, if it was published.
///
/// Errors: database failures; a snapshot that is not valid JSON blocks (500).
pub async fn snapshot(
    db: &Db,
    policy: &str,
    version: &str,
) -> Result<Option<Vec<Block>>, AppError> {
    let row = sqlx::query(
        "SELECT blocks_json FROM policy_publications WHERE policy = $1 AND version = $2",
    )
    .bind(policy)
    .bind(version)
    .fetch_optional(db.pool())
    .await?;
    match row {
        Some(row) => {
            let json: String = row.try_get("blocks_json")?;
            let blocks = serde_json::from_str(&json).map_err(|e| AppError::Internal(e.into()))?;
            Ok(Some(blocks))
        }
        None => Ok(None),
    }
}
