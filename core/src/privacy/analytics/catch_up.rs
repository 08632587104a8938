//! Which analytics days are due, and running them: every UTC day of the last
//! [`CATCH_UP_DAYS`] that has ended and has no `analytics_days` row yet, oldest first. Run
//! by `heepr serve` every [`EVERY_MS`] and by `heepr analytics` for cron; a run killed
//! midway leaves whole days only, and the next run computes the rest.

use std::collections::HashSet;

use super::day::{self, DayOutcome};
use super::{DAY_MS, day_start};
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// How far back a run looks for days not yet computed (days): a server down for a month
/// still fills the gap, and a fresh install does not compute years of history at once.
pub const CATCH_UP_DAYS: i64 = 30;

/// How often `heepr serve` looks for due days (ms).
pub const EVERY_MS: u64 = 15 * 60 * 1000;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// The days computed (their first instants, Unix ms), oldest first.
    pub days: Vec<i64>,
    /// Figures stored, summed over those days.
    pub figures: usize,
    /// Figures left out for groups below k, summed.
    pub suppressed: usize,
    /// False when `consents.toml` has no `[analytics]` (nothing runs).
    pub enabled: bool,
}

/// Computes every due day at `now` (Unix ms).
///
/// Errors: the database's; days computed before the error stay stored.
pub async fn run(state: &AppState, now: i64) -> Result<CatchUp, AppError> {
    let Some(rule) = state.policies.consent_purposes.analytics.clone() else {
        return Ok(CatchUp::default());
    };
    let today = day_start(now);
    let first = today - CATCH_UP_DAYS * DAY_MS;
    let done: HashSet<i64> =
        sqlx::query_scalar("SELECT day_start FROM analytics_days WHERE day_start >= $1")
            .bind(first)
            .fetch_all(state.db.pool())
            .await?
            .into_iter()
            .collect();
    let mut report = CatchUp {
        enabled: true,
        ..CatchUp::default()
    };
    let mut day = first;
    while day < today {
        if !done.contains(&day) {
            let DayOutcome {
                figures,
                suppressed,
                written,
                ..
            } = day::compute(state, &rule, day, now).await?;
            if written {
                report.days.push(day);
                report.figures += figures;
                report.suppressed += suppressed;
            }
        }
        day += DAY_MS;
    }
    Ok(report)
}
