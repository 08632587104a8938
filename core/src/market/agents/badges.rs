//! Badges shown on agent cards and profiles, by fixed rules (documented in
//! `docs/marketplace.md`):
//!
//! - `top_rated`: at least 5 reviews and an average rating of 4.5 or more;
//! - `reliable`: at least 10 completed orders and fewer than 1 refund per 20 completed;
//! - `fast_delivery`: promises delivery within 24 hours;
//! - `new`: first published less than 30 days ago.

use super::Agent;

/// Thirty days in ms (the `new` badge).
const NEW_WINDOW_MS: i64 = 30 * 24 * 3_600_000;

/// The badge keys `agent` has at `now` (Unix ms), in a fixed order.
pub fn badges(agent: &Agent, now: i64) -> Vec<&'static str> {
    let mut out = Vec::new();
    // 4.5 average: rating_total / review_count >= 4.5, in integers.
    if agent.review_count >= 5 && agent.rating_total * 2 >= agent.review_count * 9 {
        out.push("top_rated");
    }
    if agent.completed_orders >= 10 && agent.refunded_orders * 20 < agent.completed_orders {
        out.push("reliable");
    }
    if agent.delivery_hours <= 24 {
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
