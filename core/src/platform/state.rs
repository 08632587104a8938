//! What every request handler and background job shares.

use std::sync::Arc;

use heepr_compliance::{Clock, Db, Policies};
use tokio::sync::Notify;

use crate::platform::deferred_writes::DeferredWrites;
use crate::platform::mail::transport::Transport;
use crate::platform::passwords::Passwords;
use crate::platform::settings::Settings;
use crate::platform::signup_throttle::SignupThrottle;
use crate::platform::throttle::LoginThrottle;

/// Shared state of a running service; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database (SQLite or PostgreSQL).
    pub db: Db,
    /// "Now" for every time-based rule; tests inject a manual clock.
    pub clock: Arc<dyn Clock>,
    /// Resolved configuration.
    pub settings: Arc<Settings>,
    /// The loaded data map and retention rules.
    pub policies: Arc<Policies>,
    /// Argon2id hashing, bounded in concurrency.
    pub passwords: Passwords,
    /// Password-check throttling per (account, client), per client and per account.
    pub throttle: Arc<LoginThrottle>,
    /// Sign-up limits per client and overall.
    pub signups: Arc<SignupThrottle>,
    /// Where transactional email goes.
    pub mail: Transport,
    /// Wakes the email worker when a transaction has queued mail.
    pub mail_wakeup: Arc<Notify>,
    /// Wakes the privacy worker when a DSR job (export, erasure) is requested.
    pub privacy_wakeup: Arc<Notify>,
    /// Writes the request path hands off (request log, last-seen and last-used times).
    pub deferred: DeferredWrites,
}

impl AppState {
    /// Builds the state. Errors: an unusable mail transport or login limit, or Argon2 failing
    /// at start-up.
    pub fn new(
        db: Db,
        settings: Settings,
        policies: Policies,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            mail: Transport::from_config(&settings.mail_transport)?,
            throttle: Arc::new(LoginThrottle::new(settings.login_limits)?),
            signups: Arc::new(SignupThrottle::new(settings.signup_limits)?),
            passwords: Passwords::new(settings.password_pool)?,
            deferred: DeferredWrites::new(settings.deferred_writes),
            settings: Arc::new(settings),
            policies: Arc::new(policies),
            mail_wakeup: Arc::new(Notify::new()),
            privacy_wakeup: Arc::new(Notify::new()),
            db,
            clock,
        })
    }
}
