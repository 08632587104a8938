//! The resolved configuration a running service works with ([`Settings`]), apart from how it
//! was given (flags and environment are parsed in `cli`; tests build it directly).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;

/// One sign-in provider's OAuth client (contains a secret: never log it).
#[derive(Clone)]
pub struct OAuthProviderConfig {
    /// Client id registered with the provider.
    pub client_id: String,
    /// Client secret registered with the provider.
    pub client_secret: String,
    /// Authorization endpoint (the browser is sent there).
    pub auth_url: String,
    /// Token endpoint (heepr exchanges the code there).
    pub token_url: String,
    /// Profile endpoint (heepr reads the basic profile there with the access token).
    pub userinfo_url: String,
}

impl std::fmt::Debug for OAuthProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthProviderConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("userinfo_url", &self.userinfo_url)
            .finish()
    }
}

/// Which sign-in providers are enabled; `None` means disabled.
#[derive(Debug, Clone, Default)]
pub struct OAuthSettings {
    /// Sign-in with Google (OpenID Connect).
    pub google: Option<OAuthProviderConfig>,
    /// Sign-in with GitHub.
    pub github: Option<OAuthProviderConfig>,
    /// Sign-in with Facebook.
    pub facebook: Option<OAuthProviderConfig>,
}

/// Default per-file upload limit: 25 MiB.
pub const DEFAULT_UPLOAD_LIMIT_BYTES: u64 = 25 * 1024 * 1024;

/// How many password checks (login, password change, provider linking, account deletion)
/// are allowed; see `platform::throttle` for why there are three keys.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Attempts per account (normalised email) from one client IP allowed in a burst;
    /// beyond it that client gets 429.
    pub per_account_client_burst: u32,
    /// One more attempt per (account, client IP) is allowed every this long.
    pub per_account_client_period: Duration,
    /// Attempts per client IP, over all accounts, allowed in a burst; beyond it 429.
    pub per_ip_burst: u32,
    /// One more attempt per IP is allowed every this long.
    pub per_ip_period: Duration,
    /// Attempts per account from all clients together before each further one is slowed
    /// (never refused: refusing would lock the owner out).
    pub account_ceiling_burst: u32,
    /// One more unslowed attempt per account every this long.
    pub account_ceiling_period: Duration,
    /// Delay added per attempt over the account ceiling.
    pub slowdown_step: Duration,
    /// Longest delay of one attempt.
    pub max_slowdown: Duration,
}

impl Default for LoginLimits {
    /// Per account and client: 10 attempts then one a minute; per IP: 50 then one every
    /// 6 s; per account from everywhere: 100, one more every 6 s, then each slowed by
    /// 250 ms more per attempt over, at most 4 s.
    fn default() -> Self {
        Self {
            per_account_client_burst: 10,
            per_account_client_period: Duration::from_secs(60),
            per_ip_burst: 50,
            per_ip_period: Duration::from_secs(6),
            account_ceiling_burst: 100,
            account_ceiling_period: Duration::from_secs(6),
            slowdown_step: Duration::from_millis(250),
            max_slowdown: Duration::from_secs(4),
        }
    }
}

/// How many sign-ups are allowed before 429, per client IP and over the whole service.
#[derive(Debug, Clone, Copy)]
pub struct SignupLimits {
    /// Sign-ups from one client IP allowed in a burst.
    pub per_ip_burst: u32,
    /// One more sign-up per IP is allowed every this long.
    pub per_ip_period: Duration,
    /// Sign-ups from everyone together allowed in a burst.
    pub global_burst: u32,
    /// One more sign-up overall is allowed every this long.
    pub global_period: Duration,
}

impl Default for SignupLimits {
    /// Per IP: 20 then one every 3 minutes; overall: 500 then one a second.
    fn default() -> Self {
        Self {
            per_ip_burst: 20,
            per_ip_period: Duration::from_secs(180),
            global_burst: 500,
            global_period: Duration::from_secs(1),
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
    /// Password-check throttling.
    pub login_limits: LoginLimits,
    /// Sign-up rate limits.
    pub signup_limits: SignupLimits,
    /// Run retention sweeps in-process, reading schedules in this zone; `None`: off.
    pub scheduler: Option<chrono_tz::Tz>,
    /// Where scheduled backups go.
    pub backup_dir: PathBuf,
    /// The database URL, for scheduled backups (`pg_dump` needs it); `None`: no scheduled
    /// backups.
    pub database_url: Option<String>,
    /// Sign-in providers (Google, GitHub, Facebook); all disabled by default.
    pub oauth: OAuthSettings,
    /// Largest accepted upload per file (bytes).
    pub upload_limit_bytes: u64,
    /// How long an upload's body may send nothing before it is refused (408).
    pub upload_idle_timeout: std::time::Duration,
    /// The mailbox privacy requests arrive in, read every minute; `None`: no mail intake.
    pub mail_intake: Option<super::intake_mailbox::IntakeMailbox>,
    /// How the request path's deferred writes are queued and batched.
    pub deferred_writes: super::deferred_writes::QueueConfig,
    /// How many Argon2 hashes run and wait at once.
    pub password_pool: super::passwords::PasswordPool,
    /// Keys the hashes of closed accounts' addresses (no second sign-up bonus).
    pub fraud_key: super::fraud_key::FraudKey,
}

impl Settings {
    /// Settings for a service whose data lives in `data_dir`, reachable at `public_url`,
    /// with every other value at its default (used by tests and tools).
    pub fn with_defaults(data_dir: PathBuf, public_url: String) -> Settings {
        Settings {
            mail_transport: MailTransportConfig::File(data_dir.join("mail")),
            backup_dir: data_dir.join("backups"),
            data_dir,
            public_url,
            signup_bonus: 500,
            session_idle_ms: 7 * 24 * 3_600_000,
            session_absolute_ms: 30 * 24 * 3_600_000,
            trusted_proxies: Vec::new(),
            mail_from: Mailbox::new(None, default_sender()),
            login_limits: LoginLimits::default(),
            signup_limits: SignupLimits::default(),
            scheduler: None,
            database_url: None,
            oauth: OAuthSettings::default(),
            upload_limit_bytes: DEFAULT_UPLOAD_LIMIT_BYTES,
            upload_idle_timeout: std::time::Duration::from_secs(30),
            mail_intake: None,
            deferred_writes: super::deferred_writes::QueueConfig::default(),
            password_pool: super::passwords::PasswordPool::default(),
            fraud_key: super::fraud_key::FraudKey::ephemeral(),
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
