//! The stored analytics read back for staff: computed days, newest first, each with its
//! figures. Only what [`super::day`] stored is read, so nothing below k can appear.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

use super::{DAY_MS, Metric, day_start};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// The most days one report covers.
pub const MAX_DAYS: i64 = 400;

/// One stored figure.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Figure {
    /// Agent category key.
    pub category: String,
    /// What it measures.
    pub metric: Metric,
    /// The count, or the mean in minutes.
    pub value: i64,
    /// Distinct customers behind it (at least k).
    pub customers: i64,
    /// Distinct owners behind it (at least k).
    pub owners: i64,
}

/// One computed day.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Day {
    /// Its first instant (Unix ms, UTC).
    pub day_start: i64,
    /// When it was computed (Unix ms).
    pub computed_at: i64,
    /// Members who could be counted then.
    pub members_included: i64,
    /// Figures left out for groups below k.
    pub figures_suppressed: i64,
    /// The stored figures, by category then metric.
    pub figures: Vec<Figure>,
}

/// The computed days among the `days` UTC days before `now` (Unix ms), newest first;
/// `days` is clamped to 1..=[`MAX_DAYS`].
///
/// Errors: the database's.
pub async fn recent(state: &AppState, days: i64, now: i64) -> Result<Vec<Day>, AppError> {
    let from = day_start(now) - days.clamp(1, MAX_DAYS) * DAY_MS;
    let mut out: BTreeMap<i64, Day> = BTreeMap::new();
    for row in sqlx::query(
        "SELECT day_start, computed_at, members_included, figures_suppressed \
         FROM analytics_days WHERE day_start >= $1",
    )
    .bind(from)
    .fetch_all(state.db.pool())
    .await?
    {
        let start: i64 = row.try_get("day_start")?;
        out.insert(
            start,
            Day {
                day_start: start,
                computed_at: row.try_get("computed_at")?,
                members_included: row.try_get("members_included")?,
                figures_suppressed: row.try_get("figures_suppressed")?,
                figures: Vec::new(),
            },
        );
    }
    for row in sqlx::query(
        "SELECT day_start, category, metric, value, customers, owners FROM analytics_figures \
         WHERE day_start >= $1 ORDER BY day_start, category, metric",
    )
    .bind(from)
    .fetch_all(state.db.pool())
    .await?
    {
        let start: i64 = row.try_get("day_start")?;
        if let Some(day) = out.get_mut(&start) {
            day.figures.push(Figure {
                category: row.try_get("category")?,
                metric: row.try_get("metric")?,
                value: row.try_get("value")?,
                customers: row.try_get("customers")?,
                owners: row.try_get("owners")?,
            });
        }
    }
    Ok(out.into_values().rev().collect())
}
