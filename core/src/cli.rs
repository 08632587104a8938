//! The `heepr` subcommands: what each does once flags are parsed. Errors carry the bad
//! value and the cause, and become a non-zero exit in `main`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use heepr_compliance::schema;
use heepr_compliance::{Db, Policies, SystemClock};

use crate::config::{Cli, Command, GlobalArgs, PolicyCommand, RopaArgs, ServeArgs, Settings};
use crate::state::AppState;
use crate::{db, demo_data, notices};

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
        Command::Ropa(args) => {
            let policies = load_policies(&cli.global.policies)?;
            let written = write_ropa(&policies, &args)?;
            println!("record of processing written: {written}");
            Ok(())
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
            Ok(())
        }
    }
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
    let now = heepr_compliance::Clock::now_ms(&SystemClock);
    crate::publications::record_current(&db, &policies, now)
        .await
        .context("recording the snapshot of the privacy policy in force")?;
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
