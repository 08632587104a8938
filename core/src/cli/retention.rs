//! `heepr retention rules`: every retention rule with its period, schedule and next run.

use heepr_compliance::{Clock, SystemClock};

use super::args::{GlobalArgs, RetentionCommand};
use super::load_policies;
use crate::privacy::retention;

/// Runs `heepr retention ...`.
///
/// Errors: invalid policies.
pub fn run(global: &GlobalArgs, command: &RetentionCommand) -> anyhow::Result<u8> {
    let RetentionCommand::Rules { time_zone, json } = command;
    let policies = load_policies(&global.policies)?;
    let rules = retention::describe_rules(&policies, *time_zone, SystemClock.now_ms());
    if *json {
        println!("{}", serde_json::to_string_pretty(&rules)?);
    } else {
        for r in &rules {
            println!(
                "{:<18} {:<16} {:<16} next {:<26} {}",
                r.rule,
                r.period,
                r.schedule.as_deref().unwrap_or("-"),
                r.next_run.as_deref().unwrap_or("-"),
                r.description
            );
        }
    }
    Ok(0)
}
