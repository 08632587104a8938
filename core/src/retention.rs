//! Retention in the service: where legal holds live for sweeps, and the `heepr sweep` and
//! `heepr retention rules` commands' output.

use chrono_tz::Tz;
use heepr_compliance::Policies;
use heepr_compliance::sweep::{HoldSource, RuleRun};
use serde_json::json;

use crate::scheduler::next_fire;

/// Where sweeps look for legal holds: a row whose subject has an active hold is skipped
/// (policy and issue: "retention skips held data").
pub const HOLDS: Option<&HoldSource> = Some(&HoldSource {
    table: "legal_holds",
    subject_column: "account_id",
    active_condition: "h.lifted_at IS NULL",
});

/// One line per rule: name, period, schedule, next run, description.
pub fn describe_rules(policies: &Policies, tz: Tz, now_ms: i64) -> Vec<serde_json::Value> {
    policies
        .retention
        .rules
        .iter()
        .map(|(name, rule)| {
            let next = rule
                .parsed_schedule
                .as_ref()
                .and_then(|s| next_fire(s, tz, now_ms))
                .map(crate::time::rfc3339);
            let tables: Vec<&String> = policies
                .data_map
                .tables
                .iter()
                .filter(|(_, t)| &t.retention == name)
                .map(|(n, _)| n)
                .collect();
            json!({
                "rule": name,
                "period": rule.period_text(),
                "schedule": rule.schedule,
                "next_run": next,
                "tables": tables,
                "store": rule.store.map(|_| "backups"),
                "description": rule.description,
            })
        })
        .collect()
}

/// A run as JSON for `heepr sweep --json`.
pub fn run_json(run: &RuleRun) -> serde_json::Value {
    json!({
        "rule": run.rule,
        "run_id": run.run_id,
        "dry_run": run.dry_run,
        "cutoff": crate::time::rfc3339(run.cutoff_ms),
        "outcome": run.outcome.as_str(),
        "error": run.error,
        "rows_examined": run.rows_examined(),
        "rows_affected": run.rows_affected(),
        "tables": run.tables,
    })
}
