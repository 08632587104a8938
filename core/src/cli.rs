//! The `heepr` subcommands: what each does once flags are parsed. Errors carry the bad
//! value and the cause, and become a non-zero exit in `main`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use heepr_compliance::schema;
use heepr_compliance::{Db, Policies, SystemClock};

use crate::config::{
    AuditCommand, Cli, Command, DsrCommand, GlobalArgs, ServeArgs, Settings, StaffCommand,
};
use crate::state::AppState;
use crate::{db, demo_data};

/// Logs to stderr; `RUST_LOG` overrides the default `info`.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(&cli.global, &args).await,
        Command::Migrate => {
            let (_db, _) = open(&cli.global).await?;
            println!("migrations applied ({})", db_label(&cli.global));
            Ok(())
        }
        Command::DemoData(args) => {
            let (db, _) = open(&cli.global).await?;
            let report = demo_data::generate(&db, args.accounts, args.seed).await?;
            println!("{report}");
            Ok(())
        }
        Command::Dsr(cmd) => dsr(&cli.global, cmd).await,
        Command::BenchExport(args) => crate::bench::run(&cli.global.policies, &args).await,
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
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => {
            let (db, _) = open(&cli.global).await?;
            let v = heepr_compliance::audit::verify(db.pool()).await?;
            match v.first_broken {
                None => {
                    println!("audit chain OK: {} entries verified", v.entries);
                    Ok(())
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

fn load_policies(dir: &Path) -> anyhow::Result<Policies> {
    Policies::load(dir).with_context(|| format!("--policies {}: invalid policy", dir.display()))
}

async fn serve(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<()> {
    let (db, policies) = open(global).await?;
    let settings = Settings::from_args(global, args);
    let state = AppState::new(db, settings, policies, Arc::new(SystemClock))?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("--bind {}: cannot listen", args.bind))?;
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
