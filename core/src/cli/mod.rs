//! The `heepr` operator command: [`args`] is the command line (clap, with `HEEPR_*`
//! environment variables), and each subcommand lives in its own file. Errors carry the bad
//! value and the cause, and become a non-zero exit in `main`.
//!
//! May use everything below it (`platform` to `runtime`); nothing below uses it.

pub mod analytics;
pub mod args;
pub mod audit;
pub mod backup;
#[cfg(feature = "devtools")]
pub mod demo_data;
pub mod dsr;
pub mod dsr_intake;
mod duration_arg;
pub mod limit_args;
pub mod migrate;
pub mod policy;
pub mod retention;
pub mod ropa;
pub mod serve;
pub mod sign_in_args;
pub mod staff;
pub mod sweep;

use std::path::Path;

use anyhow::{Context, bail};
use heepr_compliance::schema;
use heepr_compliance::{Db, Policies};

use crate::identity::accounts::email_keys;
use crate::platform::db;
use crate::platform::settings::Settings;
use crate::platform::state::AppState;
use args::{Cli, Command, GlobalArgs};
use heepr_compliance::SystemClock;
use std::sync::Arc;

/// Logs to stderr; `RUST_LOG` overrides the default `info`.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=error"));
    // The IMAP client traces every line it sends and reads (the intake mailbox's LOGIN with
    // its password, whole messages): never below info, whatever RUST_LOG says.
    let filter = match "async_imap=info".parse() {
        Ok(cap) => filter.add_directive(cap),
        Err(_) => filter,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The service state for an operator command (system clock, default settings on the
/// global data dir; emails wait in the outbox for `heepr serve`).
pub(crate) async fn operator_state(global: &GlobalArgs) -> anyhow::Result<AppState> {
    let (db, policies) = open(global).await?;
    let public_url =
        std::env::var("HEEPR_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_string());
    let mut settings = Settings::with_defaults(global.data_dir.clone(), public_url);
    // An erasure run from the command line keeps the same hash `serve` checks.
    settings.fraud_key = global.fraud_key()?;
    AppState::new(db, settings, policies, Arc::new(SystemClock))
}

/// Runs the parsed command; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    let global = &cli.global;
    match &cli.command {
        Command::Serve(args) => serve::run(global, args).await,
        Command::Migrate => migrate::run(global).await,
        #[cfg(feature = "devtools")]
        Command::DemoData(args) => demo_data::run(global, args).await,
        Command::Sweep(args) => sweep::run(global, args).await,
        Command::Backup(args) => backup::run(global, args).await,
        Command::Retention(command) => retention::run(global, command),
        Command::Ropa(args) => ropa::run(global, args),
        Command::Analytics(args) => analytics::run(global, args).await,
        Command::Policy(command) => policy::run(global, command).await,
        Command::Dsr(command) => dsr::run(global, command).await,
        Command::Staff(command) => staff::run(global, command).await,
        Command::Audit(command) => audit::run(global, command).await,
        #[cfg(feature = "devtools")]
        Command::BenchExport(args) => {
            crate::devtools::bench_export::run(&global.policies, args).await?;
            Ok(0)
        }
        #[cfg(feature = "devtools")]
        Command::BenchSweep(args) => {
            crate::devtools::bench_sweep::run(&global.policies, args).await?;
            Ok(0)
        }
    }
}

/// Loads and validates the policies, creates the data dir, opens and migrates the database
/// (filling the accounts' email keys, see [`email_keys`]), and checks the data map classifies the migrated schema exactly.
///
/// Errors: a policy problem (file, key, reason), an unusable data dir or database URL, a
/// failed migration, or a schema the data map does not match.
pub async fn open(global: &GlobalArgs) -> anyhow::Result<(Db, Policies)> {
    if !global.finishing_restore
        && let Some(pending) = heepr_compliance::backup::carry::load(&global.data_dir)?
    {
        // The database may be the backup's already, without the records carried over it:
        // anything written now would be lost when the restore is finished.
        bail!(
            "a restore of backup {} did not finish ({} is still there): run `heepr backup restore {}` again before anything else",
            pending.backup_id,
            heepr_compliance::backup::carry::file_path(&global.data_dir).display(),
            pending.backup_id
        );
    }
    let policies = load_policies(&global.policies)?;
    std::fs::create_dir_all(&global.data_dir).with_context(|| {
        format!(
            "--data-dir {}: cannot create the directory",
            global.data_dir.display()
        )
    })?;
    restrict_to_owner(&global.data_dir)?;
    let db = db::open_and_migrate(&global.resolved_database_url()).await?;
    let collisions = email_keys::backfill(&db)
        .await
        .context("filling the accounts' email keys")?;
    if !collisions.is_empty() {
        tracing::warn!(
            accounts = collisions.len(),
            "accounts share a look-alike email with an older account and have no email key: `heepr migrate` lists them"
        );
    }
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
