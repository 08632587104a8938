//! Times: stored as BIGINT Unix ms (UTC), formatted for people and API clients, and cron
//! schedules read as wall-clock time in a zone (retention sweeps, their descriptions).

use chrono::{DateTime, LocalResult, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;

/// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-29T07:11:42.000Z`.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// An RFC 3339 time (`2026-06-01T09:30:00Z`, any offset) as Unix ms; `None` when `text`
/// is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

/// A time in the reader's words, for pages and emails: `2 Dec 2026, 20:15 UTC`.
pub fn human(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%-d %b %Y, %H:%M UTC").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// An RFC 3339 time (as the API and views carry them) in the reader's words ([`human`]);
/// text that is not a time is returned as it is.
pub fn human_text(text: &str) -> String {
    parse_rfc3339(text).map_or_else(|| text.to_owned(), human)
}

/// How far `ms` is from `now_ms`, in words: `in 3 hours`, `5 minutes ago`, `just now`
/// (the largest whole unit: minutes, hours, days).
pub fn relative(ms: i64, now_ms: i64) -> String {
    let diff = ms.saturating_sub(now_ms);
    let minutes = diff.unsigned_abs() / 60_000;
    let (n, unit) = match minutes {
        0 => return "just now".to_owned(),
        m if m < 60 => (m, "minute"),
        m if m < 48 * 60 => (m / 60, "hour"),
        m => (m / (24 * 60), "day"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if diff > 0 {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

/// Both: `in 3 hours (2 Dec 2026, 20:15 UTC)`.
pub fn human_relative(ms: i64, now_ms: i64) -> String {
    format!("{} ({})", relative(ms, now_ms), human(ms))
}

/// The first fire time of `schedule` strictly after `after_ms` (Unix ms), reading the
/// schedule as wall-clock time in `tz`. `None` when the schedule never fires again.
///
/// A time that does not exist on the day clocks spring forward fires at the first instant
/// after the gap, and a time that happens twice when clocks fall back fires once, at the
/// first occurrence. So a daily schedule fires once per local day across DST changes.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_words() {
        let t = ms("2026-12-02T20:15:22.888Z");
        assert_eq!(human(t), "2 Dec 2026, 20:15 UTC");
        assert_eq!(
            human_text("2026-12-02T20:15:22.888Z"),
            "2 Dec 2026, 20:15 UTC"
        );
        assert_eq!(human_text("never"), "never");
        assert_eq!(relative(t, t - 3 * 3_600_000), "in 3 hours");
        assert_eq!(relative(t, t + 60_000), "1 minute ago");
        assert_eq!(relative(t, t + 3 * 86_400_000), "3 days ago");
        assert_eq!(relative(t, t), "just now");
    }
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
