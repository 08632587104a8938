//! The `heepr` command line (`clap` with `env`): every subcommand's flags, as typed. Every
//! flag also reads an `HEEPR_*` variable; a bad value stops the command with an error naming
//! the flag and the value. `serve`'s flags are resolved into the service's `Settings` by
//! `cli::serve`; the sign-in providers' flags are [`SignInArgs`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use lettre::message::Mailbox;

use super::duration_arg::parse_duration;
use super::limit_args::LimitArgs;
use super::sign_in_args::SignInArgs;
#[cfg(feature = "devtools")]
use crate::devtools::{
    bench_export::BenchExportArgs, bench_sweep::BenchSweepArgs, demo::DemoDataArgs,
};
use crate::platform::intake_mailbox::IntakeMailbox;
use crate::platform::settings::DEFAULT_UPLOAD_LIMIT_BYTES;

/// `heepr`: the marketplace service and its operator commands.
#[derive(Debug, Parser)]
#[command(
    name = "heepr",
    version,
    about = "heepr marketplace: service and operator commands"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Directory for the embedded SQLite database, outgoing mail files and uploads.
    #[arg(long, env = "HEEPR_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://user:pass@host/db` for PostgreSQL, or `sqlite:PATH`.
    /// Default: the SQLite file `DATA_DIR/heepr.db`.
    #[arg(
        long,
        env = "HEEPR_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Directory of policy files (data map, retention rules), validated at start-up.
    #[arg(
        long,
        env = "HEEPR_POLICIES",
        default_value = "./policies",
        global = true
    )]
    pub policies: PathBuf,
    /// Where backups and their catalog live (`backup`, `sweep` and `serve`'s scheduler).
    /// Default: DATA_DIR/backups.
    #[arg(long, env = "HEEPR_BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,
    /// The key file of the hashes kept for fraud prevention (64 hex characters; created on
    /// first use). Every server of one deployment needs the same file. Default:
    /// DATA_DIR/secrets/fraud-key.
    #[arg(long, env = "HEEPR_FRAUD_KEY_FILE", global = true)]
    pub fraud_key_file: Option<PathBuf>,
    /// Set by `backup restore` itself while it finishes: the one command that may open the
    /// database while a restore is unfinished (never a flag).
    #[arg(skip)]
    pub finishing_restore: bool,
}

impl GlobalArgs {
    /// The fraud-prevention key: `--fraud-key-file`, or `DATA_DIR/secrets/fraud-key`,
    /// created when missing.
    ///
    /// Errors: the file cannot be read or created, or is malformed (naming the file).
    pub fn fraud_key(
        &self,
    ) -> Result<crate::platform::fraud_key::FraudKey, crate::platform::fraud_key::FraudKeyError>
    {
        let path = self
            .fraud_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secrets").join("fraud-key"));
        crate::platform::fraud_key::FraudKey::load_or_create(&path)
    }

    /// The backup directory: `--backup-dir`, or `DATA_DIR/backups`.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// The database URL to use: the flag, or the SQLite file under the data dir (created if
    /// missing).
    pub fn resolved_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite:{}?mode=rwc",
                self.data_dir.join("heepr.db").display()
            ),
        }
    }
}

/// What `heepr` should do.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at start-up; boxing buys nothing
pub enum Command {
    /// Apply migrations and run the web service (pages and JSON API).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with realistic, deterministic demo data.
    #[cfg(feature = "devtools")]
    DemoData(DemoDataArgs),
    /// Delete what is past its retention period (for OS cron). Exit 0: done; 1: a rule
    /// failed; 75: a rule was skipped because another sweeper is running it.
    Sweep(SweepArgs),
    /// Retention rules.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Database backups (30-day rotation).
    Backup(BackupArgs),
    /// Write the record of processing activities (GDPR Art. 30) as ropa.md and ropa.json,
    /// generated from the policy files.
    Ropa(RopaArgs),
    /// Published policies: announce a new version.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Data-subject requests: list, show, export, erase.
    #[command(subcommand)]
    Dsr(DsrCommand),
    /// Staff accounts of the privacy desk.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Compute the product-improvement analytics for every ended UTC day of the last 30 not
    /// computed yet (for OS cron when `heepr serve --no-scheduler`); prints what it did.
    Analytics(AnalyticsArgs),
    /// Benchmark export and erasure of one large account (prints timings and peak RSS).
    #[cfg(feature = "devtools")]
    BenchExport(BenchExportArgs),
    /// Benchmark the email-log retention sweep against one plain DELETE, with a concurrent
    /// writer (prints rows per second, longest write transaction, writer p99).
    #[cfg(feature = "devtools")]
    BenchSweep(BenchSweepArgs),
}

/// `heepr backup ...`
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub command: BackupCommand,
}

/// The backup subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum BackupCommand {
    /// Take a backup now (SQLite: online copy; PostgreSQL: pg_dump custom format).
    Create,
    /// List the catalog: id, time, age, size, checksum, schema version, verification.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a backup's checksum and test-restore it into a scratch database.
    Verify {
        /// Backup id (from `heepr backup list`).
        id: String,
    },
    /// Replace the database with a backup, then re-apply later erasures. Stop the server
    /// first when using SQLite.
    Restore {
        /// Backup id (from `heepr backup list`).
        id: String,
    },
    /// Delete backups past the `backups` retention period (30 days).
    Rotate,
}

/// Flags of `heepr sweep`.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Sweep only this rule (default: every rule with a period).
    #[arg(long)]
    pub rule: Option<String>,
    /// Count what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object per rule instead of text.
    #[arg(long)]
    pub json: bool,
    /// Rows deleted per transaction.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
    pub batch_size: i64,
}

/// `heepr retention ...`
#[derive(Debug, Clone, Subcommand)]
pub enum RetentionCommand {
    /// Print every rule with its period, schedule and next run.
    Rules {
        /// Time zone the schedules are read in.
        #[arg(long, env = "HEEPR_SCHEDULE_TIME_ZONE", default_value = "UTC")]
        time_zone: chrono_tz::Tz,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `heepr analytics`
#[derive(Debug, Clone, Args)]
pub struct AnalyticsArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `heepr ropa`.
#[derive(Debug, Clone, Args)]
pub struct RopaArgs {
    /// Directory to write ropa.md and ropa.json into (created if missing); default
    /// DATA_DIR/ropa, never the current directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl RopaArgs {
    /// Where the record goes: `--out`, else `data_dir/ropa`.
    pub fn out_dir(&self, data_dir: &std::path::Path) -> PathBuf {
        self.out.clone().unwrap_or_else(|| data_dir.join("ropa"))
    }
}

/// `heepr policy ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum PolicyCommand {
    /// Publish a version of the privacy policy listed in policies/privacy_policy.toml: when
    /// it is marked material, queue a change notice email to every active account (batched,
    /// resumable: a rerun after a crash skips accounts already notified).
    Publish(PublishArgs),
}

/// Flags of `heepr policy publish`.
#[derive(Debug, Clone, Args)]
pub struct PublishArgs {
    /// The version label, as in privacy_policy.toml.
    #[arg(long)]
    pub version: String,
    /// Accounts notified per transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub batch_size: i64,
    /// Public URL used in the notice's link.
    #[arg(long, env = "HEEPR_PUBLIC_URL", default_value = "http://127.0.0.1:8080", value_parser = parse_public_url)]
    pub public_url: String,
}

/// `heepr dsr ...`
#[derive(Debug, Subcommand)]
pub enum DsrCommand {
    /// List requests, soonest due first.
    List {
        /// Only requests in this status (received, awaiting_verification, in_progress,
        /// on_hold, completed, rejected, failed).
        #[arg(long)]
        status: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one request with its subject summary and audit timeline (JSON).
    Show {
        /// The request id.
        id: String,
    },
    /// Build an export archive for a verified subject (a staff-initiated access request)
    /// and print its path.
    Export {
        /// The subject's account email.
        #[arg(long)]
        email: String,
        /// Copy the archive to this path too.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read privacy requests that arrived by email (the intake mailbox over IMAP) and record
    /// each: one pass with `--once` (for cron), else a pass every minute until stopped.
    Intake {
        /// The intake mailbox.
        #[command(flatten)]
        imap: IntakeArgs,
        /// One pass, then exit (0 when every message was recorded).
        #[arg(long)]
        once: bool,
        /// Print each pass's counts as one JSON line.
        #[arg(long)]
        json: bool,
    },
    /// Erase a subject's account: `--preview` prints per-table counts, `--yes` erases.
    Erase {
        /// The subject's account email.
        #[arg(long)]
        email: String,
        /// Only print what would be deleted, nulled, pseudonymised or kept.
        #[arg(long, conflicts_with = "yes", required_unless_present = "yes")]
        preview: bool,
        /// Erase now.
        #[arg(long)]
        yes: bool,
    },
}

/// The mailbox privacy requests arrive in (policy: "email privacy@heepr.ai").
#[derive(Debug, Clone, Args)]
pub struct IntakeArgs {
    /// `imaps://USER@HOST[:PORT]/MAILBOX` (or `imap://` to a loopback address only). With
    /// `heepr serve`, the mailbox is read every minute.
    #[arg(long, env = "HEEPR_INTAKE_IMAP_URL", value_parser = parse_intake_url)]
    pub intake_imap_url: Option<IntakeMailbox>,
    /// File whose first line is the mailbox's password.
    #[arg(long, env = "HEEPR_INTAKE_IMAP_PASSWORD_FILE")]
    pub intake_imap_password_file: Option<PathBuf>,
}

impl IntakeArgs {
    /// The configured mailbox with its password file, if a URL is given.
    pub fn mailbox(&self) -> Option<IntakeMailbox> {
        self.intake_imap_url.clone().map(|mut m| {
            m.password_file.clone_from(&self.intake_imap_password_file);
            m
        })
    }
}

fn parse_intake_url(s: &str) -> Result<IntakeMailbox, String> {
    IntakeMailbox::parse(s)
}

/// `heepr staff ...`
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff account and print its admin API token (shown once).
    Create {
        /// The staff member's email.
        #[arg(long)]
        email: String,
        /// privacy-officer (everything) or support (read-only, emails masked).
        #[arg(long)]
        role: crate::identity::staff::StaffRole,
        /// How long the token works (e.g. 30d, 12h).
        #[arg(long, default_value = "90d", value_parser = parse_duration)]
        expires_in: Duration,
    },
    /// Every staff member: role, active tokens, when the newest expires, last use.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Offboard a member: revoke every token and deactivate the account (401 at once).
    Revoke {
        /// The staff member's email.
        #[arg(long)]
        email: String,
    },
    /// Replace a member's tokens with a fresh one (printed once); the old ones stop at once.
    Rotate {
        /// The staff member's email.
        #[arg(long)]
        email: String,
        /// How long the new token works (e.g. 30d, 12h).
        #[arg(long, default_value = "90d", value_parser = parse_duration)]
        expires_in: Duration,
    },
}

/// `heepr audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain and report the first broken link (non-zero exit if any).
    Verify,
}

/// Flags of `heepr serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HEEPR_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The URL people reach the site at (scheme://host[:port]). With https the session cookie
    /// becomes `__Host-heepr_session` with `Secure`. Default: http://BIND.
    #[arg(long, env = "HEEPR_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Points credited once to every new account.
    #[arg(long, env = "HEEPR_SIGNUP_BONUS", default_value_t = 500,
          value_parser = clap::value_parser!(i64).range(0..=1_000_000))]
    pub signup_bonus: i64,
    /// A session ends after this long without use (e.g. 30m, 12h, 7d).
    #[arg(long, env = "HEEPR_SESSION_IDLE_TIMEOUT", default_value = "7d", value_parser = parse_duration)]
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active (e.g. 30d).
    #[arg(long, env = "HEEPR_SESSION_ABSOLUTE_TIMEOUT", default_value = "30d", value_parser = parse_duration)]
    pub session_absolute_timeout: Duration,
    /// Reverse proxies whose X-Forwarded-For is believed, comma-separated IPs.
    #[arg(long, env = "HEEPR_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
    /// SMTP server URL (`smtps://user:pass@host`, `smtp://host:25?tls=required`). Default:
    /// write each email as an .eml file under DATA_DIR/mail.
    #[arg(long, env = "HEEPR_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of transactional email.
    #[arg(
        long,
        env = "HEEPR_MAIL_FROM",
        default_value = "heepr <no-reply@heepr.localhost>"
    )]
    pub mail_from: Mailbox,
    /// Do not run retention sweeps in-process (run `heepr sweep` from cron instead).
    #[arg(long, env = "HEEPR_NO_SCHEDULER", value_parser = clap::builder::BoolishValueParser::new(),
          num_args = 0, default_missing_value = "true", default_value = "false")]
    pub no_scheduler: bool,
    /// Time zone the retention schedules are read in (IANA name, e.g. Europe/Berlin).
    #[arg(long, env = "HEEPR_SCHEDULE_TIME_ZONE", default_value = "UTC")]
    pub schedule_time_zone: chrono_tz::Tz,
    /// Largest accepted upload, per file, in bytes (default 25 MiB).
    #[arg(long, env = "HEEPR_UPLOAD_LIMIT_BYTES", default_value_t = DEFAULT_UPLOAD_LIMIT_BYTES,
          value_parser = clap::value_parser!(u64).range(1..=1_073_741_824))]
    pub upload_limit_bytes: u64,
    /// An upload whose client sends nothing for this long is refused with 408 and its
    /// partial file deleted (e.g. 30s, 2m): a stalled body holds no connection for long.
    #[arg(long, env = "HEEPR_UPLOAD_IDLE_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub upload_idle_timeout: Duration,
    /// Requests by email.
    #[command(flatten)]
    pub intake: IntakeArgs,
    /// Sign-in with Google, GitHub and Facebook.
    #[command(flatten)]
    pub sign_in: SignInArgs,
    /// Password-check and sign-up limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub(super) fn parse_public_url(s: &str) -> Result<String, String> {
    let trimmed = s.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('@') {
        return Err("must be scheme://host[:port] with no path, query or user".into());
    }
    Ok(trimmed.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn public_url_is_validated() {
        assert_eq!(
            parse_public_url("https://Heepr.example/").as_deref(),
            Ok("https://heepr.example")
        );
        assert!(parse_public_url("heepr.example").is_err());
        assert!(parse_public_url("https://heepr.example/path").is_err());
    }

    #[test]
    fn provider_needs_id_and_secret_together() {
        let half = Cli::try_parse_from(["heepr", "serve", "--github-client-id", "x"]);
        assert!(half.is_err());
        let whole = Cli::try_parse_from([
            "heepr",
            "serve",
            "--github-client-id",
            "x",
            "--github-client-secret",
            "y",
            "--github-token-url",
            "http://127.0.0.1:9/token",
            "--google-client-id",
            "g",
            "--google-client-secret",
            "h",
        ]);
        assert!(whole.is_ok());
        let bad = Cli::try_parse_from(["heepr", "serve", "--google-auth-url", "not a url"]);
        assert!(bad.is_err());

        // Each provider's flags land in its own settings, unset endpoints at their defaults.
        let Ok(Cli {
            command: Command::Serve(args),
            ..
        }) = whole
        else {
            panic!("not parsed: {whole:?}");
        };
        let settings = args.sign_in.settings();
        let github = settings.github.expect("github enabled");
        assert_eq!(
            (github.client_id.as_str(), github.client_secret.as_str()),
            ("x", "y")
        );
        assert_eq!(github.token_url, "http://127.0.0.1:9/token");
        assert_eq!(github.auth_url, "https://github.com/login/oauth/authorize");
        assert_eq!(github.userinfo_url, "https://api.github.com/user");
        let google = settings.google.expect("google enabled");
        assert_eq!(google.client_id, "g");
        assert_eq!(
            google.userinfo_url,
            "https://openidconnect.googleapis.com/v1/userinfo"
        );
        assert!(settings.facebook.is_none());
    }

    #[test]
    fn bad_duration_names_examples() {
        let err = parse_duration("seven days").err().unwrap_or_default();
        assert!(err.contains("examples"), "{err}");
        assert!(parse_duration("0s").is_err());
    }
}
