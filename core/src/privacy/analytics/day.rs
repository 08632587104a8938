//! One UTC day of analytics computed and stored. The day's orders are read in pages of
//! [`PAGE`] by id (short reads, no snapshot held across them), aggregated in memory per
//! (category, metric) with the distinct customers and owners behind each figure, then the
//! figures with at least k of each are written in one short transaction with the day's
//! `analytics_days` row. That row is inserted first: a day computed by another server
//! meanwhile is left as it is, and a crash leaves the whole day or none of it.

use std::collections::{BTreeMap, HashSet};

use heepr_compliance::consent_purposes::AnalyticsRule;
use sqlx::Row;

use super::{DAY_MS, Metric, members};
use crate::market::orders::status::OrderStatus;
use crate::platform::error::AppError;
use crate::platform::state::AppState;

/// Orders read per query.
const PAGE: i64 = 2_000;

/// What computing a day did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayOutcome {
    /// Figures stored.
    pub figures: usize,
    /// Figures left out for groups below k.
    pub suppressed: usize,
    /// Members who could be counted.
    pub members_included: usize,
    /// False when the day had been computed already (nothing written).
    pub written: bool,
}

/// One figure being summed: the value's parts and the people behind it.
#[derive(Default)]
struct Tally {
    sum: i64,
    count: i64,
    customers: HashSet<String>,
    owners: HashSet<String>,
}

impl Tally {
    fn add(&mut self, value: i64, customer: &str, owner: &str) {
        self.sum += value;
        self.count += 1;
        self.customers.insert(customer.to_owned());
        self.owners.insert(owner.to_owned());
    }

    fn value(&self, metric: Metric) -> i64 {
        match metric {
            Metric::MeanDeliveryMinutes if self.count > 0 => {
                (self.sum + self.count / 2) / self.count
            }
            _ => self.sum,
        }
    }
}

type Tallies = BTreeMap<(String, Metric), Tally>;

/// Computes and stores the UTC day starting at `day_start` (Unix ms, a multiple of
/// [`DAY_MS`]) under `rule`, at `now` (Unix ms).
///
/// Errors: the database's (nothing is stored then; the next run computes the day again).
pub async fn compute(
    state: &AppState,
    rule: &AnalyticsRule,
    day_start: i64,
    now: i64,
) -> Result<DayOutcome, AppError> {
    let countable = members::countable(state, rule).await?;
    let tallies = tally_orders(state, &countable, day_start).await?;
    let k = usize::try_from(rule.min_group_size).unwrap_or(usize::MAX);
    let (kept, suppressed): (Vec<_>, Vec<_>) = tallies
        .iter()
        .partition(|(_, t)| t.customers.len() >= k && t.owners.len() >= k);
    let mut tx = state.db.begin_write().await?;
    let claimed = sqlx::query(
        "INSERT INTO analytics_days (day_start, computed_at, members_included, figures_suppressed) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (day_start) DO NOTHING",
    )
    .bind(day_start)
    .bind(now)
    .bind(i64::try_from(countable.len()).unwrap_or(i64::MAX))
    .bind(i64::try_from(suppressed.len()).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(DayOutcome::default());
    }
    for ((category, metric), tally) in &kept {
        sqlx::query(
            "INSERT INTO analytics_figures (day_start, category, metric, value, customers, owners) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(day_start)
        .bind(category)
        .bind(metric.as_str())
        .bind(tally.value(*metric))
        .bind(i64::try_from(tally.customers.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(tally.owners.len()).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(DayOutcome {
        figures: kept.len(),
        suppressed: suppressed.len(),
        members_included: countable.len(),
        written: true,
    })
}

/// Sums the day's orders whose customer and owner are both countable.
async fn tally_orders(
    state: &AppState,
    countable: &HashSet<String>,
    day_start: i64,
) -> Result<Tallies, AppError> {
    let day_end = day_start + DAY_MS;
    let in_day = |t: Option<i64>| t.is_some_and(|t| t >= day_start && t < day_end);
    let mut tallies = Tallies::new();
    let mut after = String::new();
    loop {
        let rows = sqlx::query(
            "SELECT o.id, o.customer_id, a.owner_id, a.category, o.status, o.created_at, \
             o.delivered_at, o.closed_at FROM orders o JOIN agents a ON a.id = o.agent_id \
             WHERE o.id > $1 AND ((o.created_at >= $2 AND o.created_at < $3) \
               OR (o.delivered_at >= $2 AND o.delivered_at < $3) \
               OR (o.closed_at >= $2 AND o.closed_at < $3)) \
             ORDER BY o.id LIMIT $4",
        )
        .bind(&after)
        .bind(day_start)
        .bind(day_end)
        .bind(PAGE)
        .fetch_all(state.db.pool())
        .await?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == PAGE;
        for row in rows {
            after = row.try_get("id")?;
            let customer: String = row.try_get("customer_id")?;
            let owner: String = row.try_get("owner_id")?;
            if !(countable.contains(&customer) && countable.contains(&owner)) {
                continue;
            }
            let category: String = row.try_get("category")?;
            let status: OrderStatus = row.try_get("status")?;
            let created: i64 = row.try_get("created_at")?;
            let delivered: Option<i64> = row.try_get("delivered_at")?;
            let closed: Option<i64> = row.try_get("closed_at")?;
            let mut add = |metric: Metric, value: i64| {
                tallies
                    .entry((category.clone(), metric))
                    .or_default()
                    .add(value, &customer, &owner);
            };
            if in_day(Some(created)) {
                add(Metric::OrdersPlaced, 1);
            }
            if in_day(closed) && status == OrderStatus::Completed {
                add(Metric::OrdersCompleted, 1);
            }
            if in_day(closed) && status == OrderStatus::Refunded {
                add(Metric::OrdersRefunded, 1);
            }
            if let Some(at) = delivered.filter(|t| in_day(Some(*t))) {
                add(Metric::MeanDeliveryMinutes, (at - created) / 60_000);
            }
        }
        if !full {
            return Ok(tallies);
        }
    }
}
