//! `heepr sweep`: deletes what is past its retention period (for OS cron). How a table sweep
//! batches is `heepr-compliance`'s sweep; file stores are `privacy::retention`.

use heepr_compliance::sweep::{self, Outcome, RuleRun, SweepOptions};
use heepr_compliance::{Clock, Db, Policies, SystemClock};

use super::args::{GlobalArgs, SweepArgs};
use super::open;
use crate::privacy::retention;

/// Exit code when a rule was skipped because another sweeper holds it (EX_TEMPFAIL).
pub const EXIT_SKIPPED: u8 = 75;

/// Runs `heepr sweep`: every file-store rule, then every table rule (or only `--rule`).
/// Each rule runs on its own: one that fails is reported (a JSON object with
/// `"outcome": "failed"` and the cause under `--json`), recorded in `retention_runs` and the
/// audit trail, and the others still run. Returns, after all ran, 1 when a rule failed,
/// [`EXIT_SKIPPED`] when one was skipped (another sweeper holds it), else 0.
///
/// Errors: those of [`open`]; an unknown `--rule`.
pub async fn run(global: &GlobalArgs, args: &SweepArgs) -> anyhow::Result<u8> {
    let (db, policies) = open(global).await?;
    if let Some(rule) = &args.rule
        && !policies.retention.rules.contains_key(rule)
    {
        anyhow::bail!("--rule {rule}: no retention rule named {rule:?}");
    }
    let mut code = Exit::default();
    sweep_stores(global, &db, &policies, args, &mut code).await;
    sweep_accounts(global, &policies, args, &mut code).await;
    sweep_tables(&db, &policies, &global.data_dir, args, &mut code).await;
    Ok(code.0)
}

/// The exit code so far: a failure outranks a skip.
#[derive(Default)]
struct Exit(u8);

impl Exit {
    fn note(&mut self, outcome: Outcome, rule: &str, error: Option<&str>) {
        match outcome {
            Outcome::Failed => {
                eprintln!(
                    "heepr: sweep of rule {rule} failed: {}",
                    error.unwrap_or_default()
                );
                self.0 = 1;
            }
            Outcome::Skipped => {
                eprintln!("heepr: rule {rule} skipped: {}", error.unwrap_or_default());
                if self.0 == 0 {
                    self.0 = EXIT_SKIPPED;
                }
            }
            Outcome::Succeeded => {}
        }
    }
}

async fn sweep_stores(
    global: &GlobalArgs,
    db: &Db,
    policies: &Policies,
    args: &SweepArgs,
    code: &mut Exit,
) {
    let store_rules = policies.retention.rules.iter().filter(|(name, r)| {
        r.store.is_some() && args.rule.as_ref().is_none_or(|only| only == *name)
    });
    let backup_dir = global.backup_dir();
    for (rule, _) in store_rules {
        let started = SystemClock.now_ms();
        let (outcome, report) = retention::run_store_rule(
            db,
            policies,
            rule,
            (&global.data_dir, &backup_dir),
            started,
            args.dry_run,
        )
        .await;
        if args.json {
            println!("{report}");
        } else {
            let (verb, count) = match args.dry_run {
                true => ("would delete", &report["rows_examined"]),
                false => ("deleted", &report["rows_affected"]),
            };
            println!(
                "{rule}: {} — {verb} {count} of {} files past {}",
                report["outcome"].as_str().unwrap_or(""),
                report["rows_examined"],
                report["cutoff"].as_str().unwrap_or("")
            );
        }
        code.note(outcome, rule, report["error"].as_str());
    }
}

/// Runs every accounts rule (`accounts = "unverified"`): erases the accounts past its
/// period, with the service's own erasure (an operator state of this process).
async fn sweep_accounts(
    global: &GlobalArgs,
    policies: &Policies,
    args: &SweepArgs,
    code: &mut Exit,
) {
    let rules: Vec<&String> = policies
        .retention
        .rules
        .iter()
        .filter(|(name, r)| {
            r.accounts.is_some() && args.rule.as_ref().is_none_or(|only| only == *name)
        })
        .map(|(name, _)| name)
        .collect();
    if rules.is_empty() {
        return;
    }
    let state = match super::operator_state(global).await {
        Ok(state) => state,
        Err(err) => {
            for rule in rules {
                code.note(Outcome::Failed, rule, Some(&format!("{err:#}")));
            }
            return;
        }
    };
    for rule in rules {
        let holder = crate::privacy::jobs::process_holder();
        let (outcome, report) =
            retention::run_accounts_rule(&state, rule, SystemClock.now_ms(), args.dry_run, holder)
                .await;
        if args.json {
            println!("{report}");
        } else {
            let verb = if args.dry_run {
                "would erase"
            } else {
                "erased"
            };
            println!(
                "{rule}: {} — {verb} {} of {} accounts signed up before {} and never confirmed ({} wait: legal hold, open request or busy)",
                outcome.as_str(),
                if args.dry_run {
                    &report["would_erase"]
                } else {
                    &report["rows_affected"]
                },
                report["rows_examined"],
                report["cutoff"].as_str().unwrap_or(""),
                report["waiting"]
            );
        }
        code.note(outcome, rule, report["error"].as_str());
    }
}

async fn sweep_tables(
    db: &Db,
    policies: &Policies,
    data_dir: &std::path::Path,
    args: &SweepArgs,
    code: &mut Exit,
) {
    let rules = match &args.rule {
        Some(rule)
            if policies
                .retention
                .rules
                .get(rule)
                .is_some_and(|r| !r.governs_tables()) =>
        {
            Vec::new()
        }
        Some(rule) => vec![rule.clone()],
        None => sweep::sweepable_rules(policies),
    };
    let options = SweepOptions {
        dry_run: args.dry_run,
        batch_size: args.batch_size,
        data_dir: Some(data_dir.to_path_buf()),
        ..SweepOptions::default()
    };
    let clock = SystemClock;
    let now = clock.now_ms();
    for rule in rules {
        let run =
            match sweep::sweep_rule(db, policies, &clock, &rule, now, &options, retention::HOLDS)
                .await
            {
                Ok(run) => run,
                Err(err) => RuleRun {
                    rule: rule.clone(),
                    run_id: None,
                    dry_run: args.dry_run,
                    cutoff_ms: now,
                    tables: Vec::new(),
                    outcome: Outcome::Failed,
                    error: Some(heepr_compliance::base::error_chain::with_causes(&err)),
                },
            };
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
        code.note(run.outcome, &rule, run.error.as_deref());
    }
}
