//! The in-process scheduler of `heepr serve`: runs each retention rule's sweep on its cron
//! schedule (see `policies/retention.toml`), in UTC unless `--schedule-time-zone` names a
//! zone. Can be turned off (`--no-scheduler`) when OS cron runs `heepr sweep` instead; the
//! sweeps' database leases make running both harmless.
//!
//! Schedules are read as local wall-clock times in the zone: a time that does not exist on
//! the day clocks spring forward runs at the first instant after the gap, and a time that
//! happens twice when clocks fall back runs once, at the first occurrence. So a daily job
//! runs once per local day across DST changes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use heepr_compliance::sweep::{self, SweepOptions};

use crate::platform::state::AppState;

/// The first fire time of `schedule` strictly after `after_ms` (Unix ms), reading the
/// schedule as wall-clock time in `tz`. `None` when the schedule never fires again.
pub fn next_fire(schedule: &cron::Schedule, tz: Tz, after_ms: i64) -> Option<i64> {
    let after = DateTime::<Utc>::from_timestamp_millis(after_ms)?;
    let local_after = after.with_timezone(&tz).naive_local();
    // Walk the schedule in naive local time (Utc stands in for "no zone"), map each
    // candidate into the zone, and take the first that lands after `after_ms`. The walk
    // starts two hours early (the largest DST shift) so that a repeated local hour is seen;
    // candidates before that window are skipped without limit on how many there are, so
    // schedules that fire every second work too.
    let window_start = local_after - chrono::Duration::hours(2);
    let naive_start = Utc.from_utc_datetime(&window_start);
    schedule
        .after(&naive_start)
        .take(20_000)
        .filter_map(|candidate| resolve_local(tz, candidate.naive_utc()))
        .find(|ms| *ms > after_ms)
}

fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<i64> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.timestamp_millis()),
        LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
        // In a spring-forward gap: run at the first valid instant after it.
        LocalResult::None => (1..=180)
            .map(|m| local + chrono::Duration::minutes(m))
            .find_map(|t| tz.from_local_datetime(&t).earliest())
            .map(|t| t.timestamp_millis()),
    }
}

/// How often orders past their deadline are refunded (issue 3: "refunded automatically when
/// the deadline passes with no delivery").
const REFUND_EVERY: Duration = Duration::from_secs(60);

/// Starts the scheduler loop and the deadline-refund loop; returns the scheduler's task.
pub fn spawn(state: AppState, tz: Tz) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // One task, so stopping the scheduler stops both loops.
        tokio::join!(refunds(state.clone()), run(state, tz));
    })
}

async fn refunds(state: AppState) {
    let mut tick = tokio::time::interval(REFUND_EVERY);
    loop {
        tick.tick().await;
        match crate::market::orders::deadlines::refund_missed_deadlines(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(refunded = n, "orders past their deadline refunded"),
            Err(err) => tracing::warn!("deadline refunds failed: {}", err.public_message()),
        }
    }
}

async fn run(state: AppState, tz: Tz) {
    let rules: Vec<(String, cron::Schedule)> = state
        .policies
        .retention
        .rules
        .iter()
        .filter(|(_, r)| r.has_period())
        .filter_map(|(name, r)| r.parsed_schedule.clone().map(|s| (name.clone(), s)))
        .collect();
    let policies = Arc::clone(&state.policies);
    let mut next: Vec<Option<i64>> = rules
        .iter()
        .map(|(_, s)| next_fire(s, tz, state.clock.now_ms()))
        .collect();
    loop {
        let Some(soonest) = next.iter().flatten().min().copied() else {
            tracing::info!("scheduler: no scheduled jobs");
            return;
        };
        let wait = u64::try_from(soonest - state.clock.now_ms()).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(wait.min(60_000))).await;
        let now = state.clock.now_ms();
        for (i, (rule, schedule)) in rules.iter().enumerate() {
            if next[i].is_some_and(|at| at <= now) {
                if policies
                    .retention
                    .rules
                    .get(rule)
                    .is_some_and(|r| r.store.is_some())
                {
                    scheduled_backup(&state, now).await;
                    next[i] = next_fire(schedule, tz, now);
                    continue;
                }
                let options = SweepOptions::default();
                match sweep::sweep_rule(
                    &state.db,
                    &policies,
                    state.clock.as_ref(),
                    rule,
                    now,
                    &options,
                    crate::retention::HOLDS,
                )
                .await
                {
                    Ok(run) => tracing::info!(
                        rule,
                        outcome = run.outcome.as_str(),
                        rows = run.rows_affected(),
                        "scheduled sweep"
                    ),
                    Err(err) => tracing::warn!(rule, "scheduled sweep failed: {err}"),
                }
                next[i] = next_fire(schedule, tz, now);
            }
        }
    }
}

/// The `backups` rule's job: take today's backup, then rotate out those past 30 days.
async fn scheduled_backup(state: &AppState, now: i64) {
    let Some(url) = &state.settings.database_url else {
        return;
    };
    let dir = &state.settings.backup_dir;
    match heepr_compliance::backup::create(&state.db, url, dir, now).await {
        Ok(entry) => {
            tracing::info!(backup = %entry.id, bytes = entry.size_bytes, "scheduled backup")
        }
        Err(err) => tracing::warn!("scheduled backup failed: {err}"),
    }
    match crate::cli::rotate_backups(&state.policies, dir, now) {
        Ok(removed) => tracing::info!(removed = removed.len(), "backup rotation"),
        Err(err) => tracing::warn!("backup rotation failed: {err:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_millis())
            .unwrap_or_default()
    }

    fn fires(expr: &str, tz: Tz, from: &str, n: usize) -> Vec<String> {
        let Ok(schedule) = cron::Schedule::from_str(expr) else {
            return vec![];
        };
        let mut at = ms(from);
        let mut out = Vec::new();
        for _ in 0..n {
            let Some(next) = next_fire(&schedule, tz, at) else {
                break;
            };
            out.push(
                DateTime::<Utc>::from_timestamp_millis(next)
                    .map(|t| t.with_timezone(&tz).to_rfc3339())
                    .unwrap_or_default(),
            );
            at = next;
        }
        out
    }

    #[test]
    fn daily_job_runs_once_per_day_across_spring_forward() {
        // Europe/Berlin skips 02:00–03:00 on 2026-03-29.
        let got = fires(
            "0 30 2 * * *",
            chrono_tz::Europe::Berlin,
            "2026-03-27T12:00:00Z",
            4,
        );
        assert_eq!(
            got,
            vec![
                "2026-03-28T02:30:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-30T02:30:00+02:00",
                "2026-03-31T02:30:00+02:00",
            ]
        );
    }

    #[test]
    fn daily_job_runs_once_per_day_across_fall_back() {
        // Europe/Berlin repeats 02:00–03:00 on 2026-10-25.
        let got = fires(
            "0 30 2 * * *",
            chrono_tz::Europe::Berlin,
            "2026-10-23T12:00:00Z",
            4,
        );
        assert_eq!(
            got,
            vec![
                "2026-10-24T02:30:00+02:00",
                "2026-10-25T02:30:00+02:00",
                "2026-10-26T02:30:00+01:00",
                "2026-10-27T02:30:00+01:00",
            ]
        );
    }

    #[test]
    fn frequent_schedules_fire() {
        let every_minute = fires("0 * * * * *", chrono_tz::UTC, "2026-11-29T07:00:30Z", 2);
        assert_eq!(
            every_minute,
            vec!["2026-11-29T07:01:00+00:00", "2026-11-29T07:02:00+00:00"]
        );
        let every_second = fires(
            "* * * * * *",
            chrono_tz::Europe::Berlin,
            "2026-11-29T07:00:30Z",
            1,
        );
        assert_eq!(every_second, vec!["2026-11-29T08:00:31+01:00"]);
    }

    #[test]
    fn utc_is_plain() {
        let got = fires("0 0 3 * * *", chrono_tz::UTC, "2026-11-29T07:00:00Z", 2);
        assert_eq!(
            got,
            vec!["2026-11-30T03:00:00+00:00", "2026-12-01T03:00:00+00:00"]
        );
    }
}
