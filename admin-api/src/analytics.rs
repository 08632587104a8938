//! The product-improvement analytics as staff read them (`GET /analytics?days=`): daily
//! aggregate figures per agent category over consenting members only, none describing
//! fewer than `min_group_size` customers or owners.

use serde::{Deserialize, Serialize};

/// `GET /analytics`: the computed days, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsReport {
    /// k: the fewest distinct customers and owners any figure stands for
    /// (`policies/consents.toml`, `[analytics]`); 0 when analytics are off.
    pub min_group_size: u32,
    /// The consent purpose a member must have given to be counted.
    pub purpose: String,
    /// The computed days, newest first.
    pub days: Vec<AnalyticsDay>,
}

/// One computed UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsDay {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// When it was computed (RFC 3339).
    pub computed_at: String,
    /// Members who could be counted then (consenting, not restricted, not objecting).
    pub members_included: i64,
    /// Figures left out because fewer than k customers or owners stood behind them.
    pub figures_suppressed: i64,
    /// The figures, by category then metric.
    pub figures: Vec<AnalyticsFigure>,
}

/// One figure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsFigure {
    /// Agent category key.
    pub category: String,
    /// `orders_placed`, `orders_completed`, `orders_refunded` (counts) or
    /// `mean_delivery_minutes` (minutes from placement to delivery).
    pub metric: String,
    /// The count or the mean.
    pub value: i64,
    /// Distinct customers behind it (at least k).
    pub customers: i64,
    /// Distinct owners behind it (at least k).
    pub owners: i64,
}

/// `GET /analytics` query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsQuery {
    /// How many days back from today (1–400, default 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
}
