//! `heepr analytics`: computes the product-improvement analytics' due days, as `heepr
//! serve` does every 15 minutes (`privacy::analytics`), for OS cron beside `--no-scheduler`.

use super::args::{AnalyticsArgs, GlobalArgs};
use super::operator_state;
use crate::platform::time::rfc3339;
use crate::privacy::analytics::catch_up;

/// Runs `heepr analytics`; exit 0 when every due day was computed.
///
/// Errors: those of opening the database and policies; a failed day (the days before it
/// stay computed; the next run does the rest).
pub async fn run(global: &GlobalArgs, args: &AnalyticsArgs) -> anyhow::Result<u8> {
    let state = operator_state(global).await?;
    let done = catch_up::run(&state, state.clock.now_ms())
        .await
        .map_err(|e| anyhow::anyhow!("analytics: {}", e.public_message()))?;
    let days: Vec<String> = done
        .days
        .iter()
        .map(|d| rfc3339(*d)[..10].to_owned())
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "enabled": done.enabled,
                "days": days,
                "figures": done.figures,
                "suppressed": done.suppressed,
            })
        );
    } else if !done.enabled {
        println!("analytics: off (consents.toml has no [analytics])");
    } else {
        println!(
            "analytics: {} day(s) computed{}, {} figure(s) stored, {} left out (group below k)",
            days.len(),
            if days.is_empty() {
                String::new()
            } else {
                format!(" ({})", days.join(", "))
            },
            done.figures,
            done.suppressed
        );
    }
    Ok(0)
}
