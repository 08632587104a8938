//! The product-improvement analytics (policy: "Improve the product (aggregate,
//! de-identified analytics)"): daily figures per agent category (orders placed, completed
//! and refunded, mean delivery time), shown to staff (`GET /admin/api/v1/analytics`).
//!
//! Consent governs it, and a withdrawal stops it at once: a member's orders are counted only
//! while they consent to the purpose `policies/consents.toml` names in `[analytics]` (under
//! its current wording), are not restricted (Art. 18) and do not object (Art. 21,
//! [`crate::privacy::objections`]). An order is counted only when both its customer and the
//! agent's owner may be (an order is about both). Consent is read when a day is computed,
//! so a member who withdraws is in no figure computed afterwards.
//!
//! De-identified by construction: a figure is stored only when at least k distinct
//! customers and k distinct owners stand behind it (k = `min_group_size`); smaller groups
//! are dropped and counted (`figures_suppressed`), never stored. No totals across
//! categories are published: a total minus the shown categories would give away a dropped
//! group's figure. The stored figures are not personal data (`data_map.toml`'s
//! `analytics_figures`, with the reasoning) and are kept 25 months (`retention.toml`,
//! `analytics`).
//!
//! - [`members`]: who may be counted; [`day`]: one day computed and stored;
//!   [`catch_up`]: which days are due, run by `heepr serve` and `heepr analytics`;
//!   [`report`]: the stored figures read back for staff.

pub mod catch_up;
pub mod day;
pub mod members;
pub mod report;

use serde::Serialize;

heepr_compliance::stored_state! {
    /// What a figure measures (`analytics_figures.metric`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Metric: "analytics metric" {
        /// Orders placed that day.
        OrdersPlaced = "orders_placed",
        /// Orders completed (delivery accepted) that day.
        OrdersCompleted = "orders_completed",
        /// Orders refunded that day.
        OrdersRefunded = "orders_refunded",
        /// Mean minutes from placement to delivery, over orders delivered that day.
        MeanDeliveryMinutes = "mean_delivery_minutes",
    }
}

/// One day in ms: days are UTC days starting at a multiple of this.
pub const DAY_MS: i64 = 86_400_000;

/// The first instant (Unix ms) of the UTC day holding `ms`.
pub fn day_start(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}
