//! Badges shown on agent cards and profiles, by fixed rules (documented in
//! `docs/marketplace.md`):
//!
//! - `top_rated`: at least 5 reviews and an average rating of 4.5 or more;
//! - `reliable`: at least 10 completed orders and fewer than 1 refund per 20 completed;
//! - `fast_delivery`: promises delivery within 24 hours and has kept it: at least
//!   [`FAST_AFTER_ORDERS`] completed orders and fewer than 1 refund per 20 completed (a
//!   missed deadline refunds the order), so a new agent cannot claim it by its promise alone;
//! - `new`: first published less than 30 days ago.

/// Completed orders before a 24-hour promise earns `fast_delivery`.
pub const FAST_AFTER_ORDERS: i64 = 3;

/// Thirty days in ms (the `new` badge).
const NEW_WINDOW_MS: i64 = 30 * 24 * 3_600_000;

/// What the badge rules read of an agent's track record.
#[derive(Debug, Clone, Copy)]
pub struct TrackRecord {
    /// Reviews received.
    pub review_count: i64,
    /// Sum of their ratings (1–5 each).
    pub rating_total: i64,
    /// Orders completed.
    pub completed_orders: i64,
    /// Orders refunded (cancelled or missed).
    pub refunded_orders: i64,
    /// Promised delivery time (hours).
    pub delivery_hours: i64,
    /// First published (Unix ms).
    pub published_at: Option<i64>,
}

/// The badge keys an agent with `agent`'s record has at `now` (Unix ms), in a fixed order.
pub fn badges(agent: &TrackRecord, now: i64) -> Vec<&'static str> {
    let mut out = Vec::new();
    // 4.5 average: rating_total / review_count >= 4.5, in integers.
    if agent.review_count >= 5 && agent.rating_total * 2 >= agent.review_count * 9 {
        out.push("top_rated");
    }
    if agent.completed_orders >= 10 && agent.refunded_orders * 20 < agent.completed_orders {
        out.push("reliable");
    }
    if agent.delivery_hours <= 24
        && agent.completed_orders >= FAST_AFTER_ORDERS
        && agent.refunded_orders * 20 < agent.completed_orders
    {
        out.push("fast_delivery");
    }
    if agent.published_at.is_some_and(|p| now - p < NEW_WINDOW_MS) {
        out.push("new");
    }
    out
}

/// A badge key in words.
pub fn label(key: &str) -> &'static str {
    match key {
        "top_rated" => "Top rated",
        "reliable" => "Reliable",
        "fast_delivery" => "Fast delivery",
        "new" => "New",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(completed: i64, refunded: i64) -> TrackRecord {
        TrackRecord {
            review_count: 0,
            rating_total: 0,
            completed_orders: completed,
            refunded_orders: refunded,
            delivery_hours: 24,
            published_at: None,
        }
    }

    /// Regression: a draft agent promising 24 hours showed "Fast delivery" with no order done.
    #[test]
    fn fast_delivery_is_earned_by_kept_promises_not_the_promise() {
        assert!(badges(&record(0, 0), 0).is_empty());
        assert!(badges(&record(2, 0), 0).is_empty());
        assert_eq!(badges(&record(3, 0), 0), ["fast_delivery"]);
        assert!(badges(&record(3, 1), 0).is_empty(), "a missed deadline");
        let slow = TrackRecord {
            delivery_hours: 48,
            ..record(3, 0)
        };
        assert!(badges(&slow, 0).is_empty());
    }
}
