//! Dates on screen: the API's RFC 3339 strings and Unix milliseconds shown as UTC dates,
//! how urgent a due date is, and the due date an extension would give (the server's rule:
//! 30 days after receipt plus 30 days per extension month).

use chrono::{DateTime, Utc};

use crate::api::Request;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 24 * 3_600_000;

/// Requests due within this many days are shown amber.
pub const SOON_DAYS: i64 = 7;

/// How pressing a request's deadline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Open and past due (red).
    Overdue,
    /// Open and due within [`SOON_DAYS`] days (amber).
    Soon,
    /// Open with time left.
    Normal,
    /// Completed or rejected.
    Closed,
}

/// The urgency of `r` at `now_ms`; the server's `overdue` flag wins over the local clock.
pub fn urgency(r: &Request, now_ms: i64) -> Urgency {
    if !r.status.is_open() {
        Urgency::Closed
    } else if r.overdue || r.due_at_ms < now_ms {
        Urgency::Overdue
    } else if r.due_at_ms - now_ms <= SOON_DAYS * DAY_MS {
        Urgency::Soon
    } else {
        Urgency::Normal
    }
}

/// `2026-07-01` from an RFC 3339 string (the string itself if it does not parse).
pub fn day(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|d| d.with_timezone(&Utc).format("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// `2026-07-01 14:03` (UTC) from Unix ms.
pub fn minute_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// An age in words from a duration in ms: `3d`, `5h`, `12m`.
pub fn age(ms: i64) -> String {
    let ms = ms.max(0);
    if ms >= DAY_MS {
        format!("{}d", ms / DAY_MS)
    } else if ms >= 3_600_000 {
        format!("{}h", ms / 3_600_000)
    } else {
        format!("{}m", ms / 60_000)
    }
}

/// Days to the original due date, and days one extension month adds (the server's rule:
/// exactly 30 each, whatever the calendar month's length).
pub const PERIOD_DAYS: i64 = 30;

/// The due date (`2026-09-01`) request `r` would get if extended by `months` more, or
/// `None` if its receipt date does not parse.
pub fn extended_due(r: &Request, months: u32) -> Option<String> {
    let received = DateTime::parse_from_rfc3339(&r.received_at)
        .ok()?
        .with_timezone(&Utc);
    let periods = 1 + r.extended_months.max(0) + i64::from(months);
    let due = received.timestamp_millis() + periods * PERIOD_DAYS * DAY_MS;
    DateTime::<Utc>::from_timestamp_millis(due).map(|d| d.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Status;

    #[test]
    fn extension_adds_thirty_days_per_month_from_receipt() {
        let r = Request {
            received_at: "2026-01-31T10:00:00.000Z".into(),
            ..Request::default()
        };
        assert_eq!(extended_due(&r, 0).as_deref(), Some("2026-03-02"));
        assert_eq!(extended_due(&r, 1).as_deref(), Some("2026-04-01"));
        let r = Request {
            extended_months: 1,
            ..r
        };
        assert_eq!(extended_due(&r, 1).as_deref(), Some("2026-05-01"));
    }

    #[test]
    fn urgency_colours() {
        let now = 1_780_272_000_000;
        let open = |due: i64| Request {
            status: Status::InProgress,
            due_at_ms: due,
            ..Request::default()
        };
        assert_eq!(urgency(&open(now - 1), now), Urgency::Overdue);
        assert_eq!(urgency(&open(now + 3 * DAY_MS), now), Urgency::Soon);
        assert_eq!(urgency(&open(now + 20 * DAY_MS), now), Urgency::Normal);
        let done = Request {
            status: Status::Completed,
            ..open(now - 1)
        };
        assert_eq!(urgency(&done, now), Urgency::Closed);
    }
}
