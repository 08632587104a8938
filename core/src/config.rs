//! Command-line and environment configuration (`clap` with `env`), and the resolved
//! [`Settings`] the service runs with. Every flag also reads an `HEEPR_*` variable; a bad
//! value stops the command with an error naming the flag and the value.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use lettre::message::Mailbox;

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
}

impl GlobalArgs {
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
pub enum Command {
    /// Apply migrations and run the web service (pages and JSON API).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with realistic, deterministic demo data.
    DemoData(DemoDataArgs),
    /// Data-subject requests: list, show, export, erase.
    #[command(subcommand)]
    Dsr(DsrCommand),
    /// Staff accounts of the privacy desk.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Benchmark export and erasure of one large account (prints timings and peak RSS).
    BenchExport(BenchExportArgs),
}

/// Flags of `heepr bench-export`.
#[derive(Debug, Clone, Args)]
pub struct BenchExportArgs {
    /// A directory that does not exist yet; the benchmark's database and files go there.
    #[arg(long)]
    pub work_dir: PathBuf,
    /// Orders of the subject.
    #[arg(long, default_value_t = 5_000)]
    pub orders: u32,
    /// Messages on those orders.
    #[arg(long, default_value_t = 100_000)]
    pub messages: u32,
    /// Uploaded files.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub files: u32,
    /// Total size of the uploaded files (MiB).
    #[arg(long, default_value_t = 1_024)]
    pub file_mib: u64,
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
        role: crate::staff::StaffRole,
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
}

/// Flags of `heepr demo-data`.
#[derive(Debug, Clone, Args)]
pub struct DemoDataArgs {
    /// How many accounts to create.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
    pub accounts: u32,
    /// Seed for the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 30m, 12h, 7d)"))?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

fn parse_public_url(s: &str) -> Result<String, String> {
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

/// How many login attempts are allowed before 429, per account and per client IP.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Attempts per account (normalised email) allowed in a burst.
    pub per_account_burst: u32,
    /// One more attempt per account is allowed every this long.
    pub per_account_period: Duration,
    /// Attempts per client IP allowed in a burst.
    pub per_ip_burst: u32,
    /// One more attempt per IP is allowed every this long.
    pub per_ip_period: Duration,
}

impl Default for LoginLimits {
    /// 10 attempts per account then one a minute; 50 per IP then one every 6 s.
    fn default() -> Self {
        Self {
            per_account_burst: 10,
            per_account_period: Duration::from_secs(60),
            per_ip_burst: 50,
            per_ip_period: Duration::from_secs(6),
        }
    }
}

/// How outgoing email leaves the service.
#[derive(Debug, Clone)]
pub enum MailTransportConfig {
    /// Write each message as `<id>.eml` into this directory (the embedded default).
    File(PathBuf),
    /// Send through this SMTP URL (contains credentials: never log it).
    Smtp(String),
}

/// Everything the running service needs to know, resolved from flags (or built by tests).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Data directory (mail files, uploads).
    pub data_dir: PathBuf,
    /// Public origin, `scheme://host[:port]`, no trailing slash.
    pub public_url: String,
    /// Points credited once at sign-up.
    pub signup_bonus: i64,
    /// Idle timeout of a session (ms).
    pub session_idle_ms: i64,
    /// Absolute lifetime of a session (ms).
    pub session_absolute_ms: i64,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Sender of transactional email.
    pub mail_from: Mailbox,
    /// Where email goes.
    pub mail_transport: MailTransportConfig,
    /// Login throttling.
    pub login_limits: LoginLimits,
}

impl Settings {
    /// Settings from `heepr serve` flags.
    pub fn from_args(global: &GlobalArgs, args: &ServeArgs) -> Settings {
        let public_url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.bind));
        let mail_transport = match &args.smtp_url {
            Some(url) => MailTransportConfig::Smtp(url.clone()),
            None => MailTransportConfig::File(global.data_dir.join("mail")),
        };
        Settings {
            data_dir: global.data_dir.clone(),
            public_url,
            signup_bonus: args.signup_bonus,
            session_idle_ms: duration_ms(args.session_idle_timeout),
            session_absolute_ms: duration_ms(args.session_absolute_timeout),
            trusted_proxies: args.trusted_proxies.clone(),
            mail_from: args.mail_from.clone(),
            mail_transport,
            login_limits: LoginLimits::default(),
        }
    }

    /// Settings for a service whose data lives in `data_dir`, reachable at `public_url`,
    /// with every other value at its default (used by tests and tools).
    pub fn with_defaults(data_dir: PathBuf, public_url: String) -> Settings {
        Settings {
            mail_transport: MailTransportConfig::File(data_dir.join("mail")),
            data_dir,
            public_url,
            signup_bonus: 500,
            session_idle_ms: 7 * 24 * 3_600_000,
            session_absolute_ms: 30 * 24 * 3_600_000,
            trusted_proxies: Vec::new(),
            mail_from: Mailbox::new(None, default_sender()),
            login_limits: LoginLimits::default(),
        }
    }

    /// Whether the site is served over https (decides the cookie's `Secure` and `__Host-`).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// `no-reply@heepr.localhost`.
#[allow(clippy::expect_used)] // a valid literal: cannot fail, and no request reaches it
fn default_sender() -> lettre::Address {
    lettre::Address::new("no-reply", "heepr.localhost").expect("valid literal address")
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
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
    fn bad_duration_names_examples() {
        let err = parse_duration("seven days").err().unwrap_or_default();
        assert!(err.contains("examples"), "{err}");
        assert!(parse_duration("0s").is_err());
    }
}
