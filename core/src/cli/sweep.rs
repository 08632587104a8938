//! `heepr sweep`: deletes what is past its retention period (for OS cron). How a table sweep
//! batches is `heepr-compliance`'s sweep; file stores are `privacy::retention`.

use anyhow::Context;
use heepr_compliance::sweep::{self, Outcome, SweepOptions};
use heepr_compliance::{Clock, Db, Policies, SystemClock};

use super::args::{GlobalArgs, SweepArgs};
use super::open;
use crate::privacy::retention;

/// Exit code when a rule was skipped because another sweeper holds it (EX_TEMPFAIL).
pub const EXIT_SKIPPED: u8 = 75;

/// Runs `heepr sweep`: every file-store rule, then every table rule (or only `--rule`);
/// returns 0 when all succeeded, 1 when a rule failed, [`EXIT_SKIPPED`] when one was
/// skipped.
///
/// Errors: those of [`open`]; an unknown rule.
pub async fn run(global: &GlobalArgs, args: &SweepArgs) -> anyhow::Result<u8> {
    let (db, policies) = open(global).await?;
    sweep(global, &db, &policies, args).await
}

async fn sweep(
    global: &GlobalArgs,
    db: &Db,
    policies: &Policies,
    args: &SweepArgs,
) -> anyhow::Result<u8> {
    let store_rules: Vec<String> = policies
        .retention
        .rules
        .iter()
        .filter(|(name, r)| {
            r.store.is_some() && args.rule.as_ref().is_none_or(|only| only == *name)
        })
        .map(|(n, _)| n.clone())
        .collect();
    for rule in &store_rules {
        let report = retention::sweep_store(
            policies,
            rule,
            &global.data_dir,
            &global.data_dir.join("backups"),
            SystemClock.now_ms(),
            args.dry_run,
        )
        .with_context(|| format!("sweeping files of rule {rule}"))?;
        if args.json {
            println!("{report}");
        } else {
            println!(
                "{rule}: {} — {} of {} files past {}",
                report["outcome"].as_str().unwrap_or(""),
                report["rows_affected"],
                report["rows_examined"],
                report["cutoff"].as_str().unwrap_or("")
            );
        }
    }
    let rules = match &args.rule {
        Some(rule) if store_rules.contains(rule) => Vec::new(),
        Some(rule) => vec![rule.clone()],
        None => sweep::sweepable_rules(policies),
    };
    let options = SweepOptions {
        dry_run: args.dry_run,
        batch_size: args.batch_size,
        ..SweepOptions::default()
    };
    let clock = SystemClock;
    let now = clock.now_ms();
    let mut code = 0;
    for rule in rules {
        let run = sweep::sweep_rule(db, policies, &clock, &rule, now, &options, retention::HOLDS)
            .await
            .with_context(|| format!("--rule {rule}"))?;
        if args.json {
            println!("{}", retention::run_json(&run));
        } else {
            let verb = if run.dry_run {
                "would delete"
            } else {
                "deleted"
            };
            println!(
                "{rule}: {} — {verb} {} of {} rows past {}",
                run.outcome.as_str(),
                run.rows_affected()
                    .max(if run.dry_run { run.rows_examined() } else { 0 }),
                run.rows_examined(),
                crate::platform::time::rfc3339(run.cutoff_ms)
            );
        }
        match run.outcome {
            Outcome::Failed => {
                eprintln!(
                    "heepr: sweep of rule {rule} failed: {}",
                    run.error.unwrap_or_default()
                );
                code = 1;
            }
            Outcome::Skipped => {
                eprintln!(
                    "heepr: rule {rule} skipped: {}",
                    run.error.unwrap_or_default()
                );
                if code == 0 {
                    code = EXIT_SKIPPED;
                }
            }
            Outcome::Succeeded => {}
        }
    }
    Ok(code)
}
