//! The `heepr` subcommands: what each does once flags are parsed. Errors carry the bad
//! value and the cause, and become a non-zero exit in `main`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use heepr_compliance::sweep::{self, Outcome, SweepOptions};
use heepr_compliance::{Clock, Db, Policies, SystemClock};
use heepr_compliance::{backup, schema};

use crate::config::{
    AuditCommand, BackupArgs, BackupCommand, Cli, Command, DsrCommand, GlobalArgs, PolicyCommand,
    RetentionCommand, RopaArgs, ServeArgs, Settings, StaffCommand, SweepArgs,
};
use crate::state::AppState;
use crate::{db, demo_data, notices, retention};

/// Logs to stderr; `RUST_LOG` overrides the default `info`.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the parsed command; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Serve(args) => serve(&cli.global, &args).await.map(|()| 0),
        Command::Migrate => {
            let (_db, _) = open(&cli.global).await?;
            println!("migrations applied ({})", db_label(&cli.global));
            Ok(0)
        }
        Command::DemoData(args) => {
            let (db, _) = open(&cli.global).await?;
            let report = demo_data::generate(&db, args.accounts, args.seed).await?;
            println!("{report}");
            let market_accounts = &report.account_ids[..report
                .account_ids
                .len()
                .min(demo_data::MARKETPLACE_ACCOUNTS)];
            if market_accounts.len() >= 4 {
                let market =
                    crate::demo_marketplace::generate_marketplace(&db, args.seed, market_accounts)
                        .await?;
                let files = crate::demo_marketplace::write_files(
                    &cli.global.data_dir,
                    args.seed,
                    market_accounts.len(),
                )?;
                println!(
                    "{market}; {files} demo files written under {}",
                    cli.global.data_dir.join("files").display()
                );
            }
            Ok(0)
        }
        Command::Sweep(args) => {
            let (db, policies) = open(&cli.global).await?;
            sweep(&cli.global, &db, &policies, &args).await
        }
        Command::Backup(args) => backup(&cli.global, &args).await,
        Command::Retention(RetentionCommand::Rules { time_zone, json }) => {
            let policies = load_policies(&cli.global.policies)?;
            let rules = retention::describe_rules(&policies, time_zone, SystemClock.now_ms());
            if json {
                println!("{}", serde_json::to_string_pretty(&rules)?);
            } else {
                for r in &rules {
                    println!(
                        "{:<18} {:<16} {:<16} next {:<26} {}",
                        r["rule"].as_str().unwrap_or(""),
                        r["period"].as_str().unwrap_or(""),
                        r["schedule"].as_str().unwrap_or("-"),
                        r["next_run"].as_str().unwrap_or("-"),
                        r["description"].as_str().unwrap_or("")
                    );
                }
            }
            Ok(0)
        }
        Command::Ropa(args) => {
            let policies = load_policies(&cli.global.policies)?;
            let written = write_ropa(&policies, &args)?;
            println!("record of processing written: {written}");
            Ok(0)
        }
        Command::Policy(PolicyCommand::Publish(args)) => {
            let (db, policies) = open(&cli.global).await?;
            let limits = notices::BatchLimits {
                batch_size: args.batch_size,
                max_batches: None,
            };
            let report = notices::publish(
                &db,
                &policies,
                &heepr_compliance::SystemClock,
                &args.public_url,
                &args.version,
                limits,
            )
            .await?;
            println!("{report}");
            Ok(0)
        }
        Command::Dsr(cmd) => dsr(&cli.global, cmd).await.map(|()| 0),
        Command::BenchSweep(args) => crate::bench_sweep::run(&cli.global.policies, &args)
            .await
            .map(|()| 0),
        Command::BenchExport(args) => crate::bench::run(&cli.global.policies, &args)
            .await
            .map(|()| 0),
        Command::Staff(StaffCommand::Create { email, role }) => {
            let (db, _) = open(&cli.global).await?;
            let now = chrono::Utc::now().timestamp_millis();
            let (member, token) = crate::staff::create(&db, &email, role, now)
                .await
                .map_err(|e| anyhow::anyhow!("staff create: {}", e.public_message()))?;
            println!(
                "staff account {} ({}) created, role {}",
                member.id, member.email, member.role
            );
            println!("admin API token (shown once, store it now): {token}");
            Ok(0)
        }
        Command::Audit(AuditCommand::Verify) => {
            let (db, _) = open(&cli.global).await?;
            let v = heepr_compliance::audit::verify(db.pool()).await?;
            match v.first_broken {
                None => {
                    println!("audit chain OK: {} entries verified", v.entries);
                    Ok(0)
                }
                Some(b) => bail!(
                    "audit chain BROKEN at entry {}: {} ({} entries before it verified)",
                    b.seq,
                    b.reason,
                    v.entries
                ),
            }
        }
    }
}

/// The service state for an operator command (system clock, default settings on the
/// global data dir; emails wait in the outbox for `heepr serve`).
async fn operator_state(global: &GlobalArgs) -> anyhow::Result<AppState> {
    let (db, policies) = open(global).await?;
    let public_url =
        std::env::var("HEEPR_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_string());
    let settings = Settings::with_defaults(global.data_dir.clone(), public_url);
    AppState::new(db, settings, policies, Arc::new(SystemClock))
}

fn app_err(context: &str) -> impl FnOnce(crate::error::AppError) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("{context}: {}", e.public_message())
}

async fn subject_by_email(state: &AppState, email: &str) -> anyhow::Result<String> {
    crate::privacy::intake::account_by_email(state, email)
        .await
        .map_err(app_err("--email"))?
        .with_context(|| format!("--email {email}: no active account has this email"))
}

/// How long the CLI waits for a job a running server claimed: 200 ms steps (30 minutes).
const CLI_WAIT_STEPS: u32 = 9_000;

/// Records a verified request of `kind` for `account_id` from the CLI, runs its job now, and
/// returns it once completed.
///
/// Errors: the request did not complete (its status and reason).
async fn run_cli_request(
    state: &AppState,
    account_id: &str,
    kind: heepr_compliance::dsr::RequestKind,
) -> anyhow::Result<crate::privacy::Dsr> {
    use crate::privacy::intake::{Channel, NewRequest};
    let new = NewRequest {
        account_id,
        kind,
        channel: Channel::Cli,
        details: None,
        actor: "cli",
        verified: true,
        run_job_now: true,
    };
    let dsr = crate::privacy::intake::create(state, &new)
        .await
        .map_err(app_err("recording the request"))?;
    let ran = crate::privacy::jobs::run_request(state, &dsr.id)
        .await
        .map_err(app_err("running the job"))?;
    let mut done = crate::privacy::get(state.db.pool(), &dsr.id, state.clock.now_ms())
        .await
        .map_err(app_err("reading the request"))?;
    if !ran {
        // A running `heepr serve` claimed the job first: wait for it (bounded).
        for _ in 0..CLI_WAIT_STEPS {
            if done.status != heepr_compliance::dsr::RequestStatus::InProgress {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            done = crate::privacy::get(state.db.pool(), &dsr.id, state.clock.now_ms())
                .await
                .map_err(app_err("reading the request"))?;
        }
    }
    if done.status != heepr_compliance::dsr::RequestStatus::Completed {
        bail!(
            "request {} is {}: {}",
            done.id,
            done.status,
            done.status_reason.unwrap_or_default()
        );
    }
    Ok(done)
}

async fn dsr(global: &GlobalArgs, cmd: DsrCommand) -> anyhow::Result<()> {
    use heepr_compliance::dsr::{RequestKind, RequestStatus};
    let state = operator_state(global).await?;
    let now = state.clock.now_ms();
    match cmd {
        DsrCommand::List { status, json } => {
            let status = status
                .map(|s| s.parse::<RequestStatus>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("--status: {e}"))?;
            let filter = crate::privacy::DsrFilter {
                status,
                ..Default::default()
            };
            let list = crate::privacy::list(state.db.pool(), &filter, now)
                .await
                .map_err(app_err("listing requests"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!(
                    "{:<36}  {:<18}  {:<21}  {:<24}  overdue",
                    "id", "kind", "status", "due"
                );
                for r in list {
                    println!(
                        "{:<36}  {:<18}  {:<21}  {:<24}  {}",
                        r.id,
                        r.kind.as_str(),
                        r.status.as_str(),
                        r.due_at,
                        if r.overdue { "yes" } else { "" }
                    );
                }
            }
            Ok(())
        }
        DsrCommand::Show { id } => {
            let dsr = crate::privacy::get(state.db.pool(), &id, now)
                .await
                .map_err(app_err("dsr show"))?;
            let subject = crate::privacy::summary::subject_summary(&state, &dsr.account_id, false)
                .await
                .map_err(app_err("dsr show"))?;
            let timeline = heepr_compliance::audit::list(
                state.db.pool(),
                &heepr_compliance::audit::AuditFilter {
                    request_id: Some(id.clone()),
                    limit: Some(500),
                    ..Default::default()
                },
            )
            .await?;
            let out = serde_json::json!({"request": dsr, "subject": subject, "timeline": timeline});
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        DsrCommand::Export { email, out } => {
            let account_id = subject_by_email(&state, &email).await?;
            let done = run_cli_request(&state, &account_id, RequestKind::Access).await?;
            let path = global
                .data_dir
                .join(crate::privacy::EXPORTS_DIR)
                .join(format!("{}.tar.gz", done.id));
            match out {
                Some(out) => {
                    std::fs::copy(&path, &out)
                        .with_context(|| format!("--out {}: cannot write", out.display()))?;
                    println!("{}", out.display());
                }
                None => println!("{}", path.display()),
            }
            Ok(())
        }
        DsrCommand::Erase {
            email,
            preview,
            yes,
        } => {
            let account_id = subject_by_email(&state, &email).await?;
            if preview || !yes {
                let counts = heepr_compliance::erasure::preview(
                    state.db.pool(),
                    &state.policies.data_map,
                    &account_id,
                )
                .await?;
                println!(
                    "{:<20}  {:<7}  {:>7}  {:>7}  {:>7}  {:>13}  {:>8}  {:>7}",
                    "table",
                    "rule",
                    "rows",
                    "deleted",
                    "nulled",
                    "pseudonymised",
                    "redacted",
                    "kept"
                );
                for (t, c) in counts {
                    println!(
                        "{:<20}  {:<7}  {:>7}  {:>7}  {:>7}  {:>13}  {:>8}  {:>7}",
                        t,
                        c.erasure,
                        c.rows,
                        c.deleted,
                        c.nulled,
                        c.pseudonymised,
                        c.redacted,
                        c.kept
                    );
                }
                return Ok(());
            }
            let done = run_cli_request(&state, &account_id, RequestKind::Erasure).await?;
            println!("account {account_id} erased (request {})", done.id);
            Ok(())
        }
    }
}

async fn backup(global: &GlobalArgs, args: &BackupArgs) -> anyhow::Result<u8> {
    let dir = args
        .backup_dir
        .clone()
        .unwrap_or_else(|| global.data_dir.join("backups"));
    let url = global.resolved_database_url();
    let now = SystemClock.now_ms();
    match &args.command {
        BackupCommand::Create => {
            let (db, _) = open(global).await?;
            let entry = backup::create(&db, &url, &dir, now).await?;
            println!(
                "backup {} written: {} ({} bytes, sha256 {})",
                entry.id,
                dir.join(&entry.file).display(),
                entry.size_bytes,
                entry.sha256
            );
        }
        BackupCommand::List { json } => {
            let catalog = backup::listing(&dir, now)?;
            for warning in &catalog.warnings {
                tracing::warn!("backups: {warning}");
            }
            if *json {
                println!("{}", serde_json::to_string_pretty(&catalog)?);
            } else if catalog.backups.is_empty() {
                println!("no backups in {}", dir.display());
            } else {
                for warning in &catalog.warnings {
                    println!("WARNING: {warning}");
                }
                for b in &catalog.backups {
                    let age_days = (now - b.created_at_ms) / heepr_compliance::clock::DAY_MS;
                    let verified = if !dir.join(&b.file).exists() {
                        "FILE MISSING".to_string()
                    } else {
                        b.verified_at_ms.map_or_else(
                            || "not verified".to_string(),
                            |t| format!("verified {}", crate::time::rfc3339(t)),
                        )
                    };
                    println!(
                        "{}  {}  {age_days:>3} days  {:>12} bytes  schema {}  {}  sha256 {}",
                        b.id,
                        crate::time::rfc3339(b.created_at_ms),
                        b.size_bytes,
                        b.schema_version,
                        verified,
                        b.sha256
                    );
                }
            }
        }
        BackupCommand::Verify { id } => {
            let entry = backup::verify(&dir, id, &url, now).await?;
            println!(
                "backup {} verified: checksum matches, test restore holds schema version {}",
                entry.id, entry.schema_version
            );
        }
        BackupCommand::Restore { id } => {
            let (db, _) = open(global).await?;
            let running = crate::jobs::running_servers(&db, now).await?;
            db.close().await;
            if running > 0 {
                bail!(
                    "a heepr server is running on this database ({running} seen in the last {} s): stop it before restoring backup {id}",
                    crate::jobs::PRESENCE_TTL_MS / 1000
                );
            }
            let known = db::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
            let backend =
                heepr_compliance::Backend::from_url(&url).context("unsupported database URL")?;
            let entry = backup::restore(&dir, id, &url, backend, known).await?;
            let (db, policies) = open(global).await?;
            let replayed = crate::restore::after_restore(
                &db,
                &policies,
                &global.data_dir,
                entry.created_at_ms,
            )
            .await?;
            println!(
                "restored backup {} taken {}; re-applied {replayed} erasures recorded since",
                entry.id,
                crate::time::rfc3339(entry.created_at_ms)
            );
        }
        BackupCommand::Rotate => {
            let policies = load_policies(&global.policies)?;
            let removed = rotate_backups(&policies, &dir, now)?;
            println!("rotation removed {} backups", removed.len());
        }
    }
    Ok(0)
}

/// Deletes backups past the `backups` rule's period.
///
/// Errors: no `backups` rule with a period, or the catalog cannot be changed.
pub fn rotate_backups(
    policies: &Policies,
    dir: &Path,
    now_ms: i64,
) -> anyhow::Result<Vec<backup::BackupEntry>> {
    let rule = policies
        .retention
        .rules
        .values()
        .find(|r| r.store == Some(heepr_compliance::retention::Store::Backups))
        .context("retention.toml has no rule with store = \"backups\"")?;
    let cutoff = rule
        .cutoff_ms(now_ms)
        .context("the backups rule has no period")?;
    Ok(backup::rotate(dir, cutoff)?)
}

/// Exit code when a rule was skipped because another sweeper holds it (EX_TEMPFAIL).
pub const EXIT_SKIPPED: u8 = 75;

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
                crate::time::rfc3339(run.cutoff_ms)
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

/// Writes `ropa.md` and `ropa.json` into `args.out` (each built under a temp name, then
/// renamed); returns the paths written.
///
/// Errors: the directory cannot be created or written.
pub fn write_ropa(policies: &Policies, args: &RopaArgs) -> anyhow::Result<String> {
    let record = heepr_compliance::ropa::Ropa::build(policies);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("--out {}: cannot create the directory", args.out.display()))?;
    let json = serde_json::to_string_pretty(&record)?;
    let md = record.to_markdown();
    let mut written = Vec::new();
    for (name, body) in [("ropa.md", md), ("ropa.json", json)] {
        let path = args.out.join(name);
        let tmp = args.out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, body)
            .with_context(|| format!("--out {}: cannot write {name}", args.out.display()))?;
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("--out {}: cannot write {name}", args.out.display()))?;
        written.push(path.display().to_string());
    }
    Ok(written.join(", "))
}

fn db_label(global: &GlobalArgs) -> String {
    match &global.database_url {
        Some(url) => heepr_compliance::db::redact_url(url),
        None => global.data_dir.join("heepr.db").display().to_string(),
    }
}

/// Loads and validates the policies, creates the data dir, opens and migrates the database,
/// and checks the data map classifies the migrated schema exactly.
///
/// Errors: a policy problem (file, key, reason), an unusable data dir or database URL, a
/// failed migration, or a schema the data map does not match.
pub async fn open(global: &GlobalArgs) -> anyhow::Result<(Db, Policies)> {
    let policies = load_policies(&global.policies)?;
    std::fs::create_dir_all(&global.data_dir).with_context(|| {
        format!(
            "--data-dir {}: cannot create the directory",
            global.data_dir.display()
        )
    })?;
    restrict_to_owner(&global.data_dir)?;
    let db = db::open_and_migrate(&global.resolved_database_url()).await?;
    let columns = schema::read_columns(&db)
        .await
        .context("reading the schema back")?;
    let mismatches = schema::compare(&policies.data_map, &columns);
    if !mismatches.is_empty() {
        let list: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
        bail!(
            "{}: the data map does not match the database schema:\n  {}",
            global
                .policies
                .join(heepr_compliance::policies::DATA_MAP_FILE)
                .display(),
            list.join("\n  ")
        );
    }
    Ok((db, policies))
}

/// Makes `dir` readable by its owner only: it holds the database, emails, uploads and
/// backups, all personal data (mode 0700 on Unix).
///
/// Errors: the mode cannot be set.
pub fn restrict_to_owner(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).with_context(
            || {
                format!(
                    "{}: cannot restrict the directory to its owner",
                    dir.display()
                )
            },
        )?;
    }
    Ok(())
}

fn load_policies(dir: &Path) -> anyhow::Result<Policies> {
    Policies::load(dir).with_context(|| format!("--policies {}: invalid policy", dir.display()))
}

async fn serve(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<()> {
    if args.session_idle_timeout > args.session_absolute_timeout {
        bail!(
            "--session-idle-timeout {} is longer than --session-absolute-timeout {}: the idle timeout must not exceed the absolute one",
            humantime::format_duration(args.session_idle_timeout),
            humantime::format_duration(args.session_absolute_timeout)
        );
    }
    let (db, policies) = open(global).await?;
    let now = heepr_compliance::Clock::now_ms(&SystemClock);
    crate::publications::record_current(&db, &policies, now)
        .await
        .context("recording the snapshot of the privacy policy in force")?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("--bind {}: cannot listen", args.bind))?;
    let mut settings = Settings::from_args(global, args);
    if args.public_url.is_none() {
        // With --bind :0 the port is known only now; the CSRF layer trusts this origin.
        settings.public_url = format!("http://{}", listener.local_addr()?);
    }
    let state = AppState::new(db, settings, policies, Arc::new(SystemClock))?;
    let url = state.settings.public_url.clone();
    println!(
        "heepr is listening on http://{} (public URL {url})",
        listener.local_addr()?
    );
    crate::serve(listener, state, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
