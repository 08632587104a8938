//! Password-check throttling (login, password change, provider linking, account deletion),
//! built so it cannot be turned against the account's owner:
//!
//! - **per (account, client IP)**, refusing with 429 and a `Retry-After`: ten wrong
//!   passwords from one client stop that client only, never the owner on another one;
//! - **per client IP**, refusing: one address spraying many accounts runs out;
//! - **per account, all clients together**, a higher ceiling that *slows* each further
//!   attempt with a bounded progressive delay instead of refusing ([`Pacer`]), so guessing
//!   from many addresses stays slow and the owner still gets in.
//!
//! The client IP is the one resolved with the trusted proxies (`http::client`). Refused
//! attempts do not count toward the account ceiling: they check no password.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use anyhow::anyhow;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::platform::error::AppError;
use crate::platform::pace::Pacer;
use crate::platform::settings::LoginLimits;

/// Keyed limiters for password checks.
#[derive(Debug)]
pub struct LoginThrottle {
    per_account_client: DefaultKeyedRateLimiter<(String, IpAddr)>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    account_ceiling: Pacer,
}

/// A governor quota of `burst` attempts, one more every `period`.
///
/// Errors: a zero burst or period.
pub(crate) fn quota(burst: u32, period: Duration) -> anyhow::Result<Quota> {
    let burst = NonZeroU32::new(burst).ok_or_else(|| anyhow!("limit burst must be > 0"))?;
    let quota = Quota::with_period(period).ok_or_else(|| anyhow!("limit period must be > 0"))?;
    Ok(quota.allow_burst(burst))
}

/// The 429 for a limiter that said "not until": the wait in whole seconds, at least 1.
pub(crate) fn too_many(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> AppError {
    AppError::TooManyRequests {
        retry_after_secs: not_until
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1),
    }
}

impl LoginThrottle {
    /// Limiters with the given limits.
    ///
    /// Errors: a zero burst or period.
    pub fn new(limits: LoginLimits) -> anyhow::Result<Self> {
        Ok(Self {
            per_account_client: RateLimiter::keyed(quota(
                limits.per_account_client_burst,
                limits.per_account_client_period,
            )?),
            per_ip: RateLimiter::keyed(quota(limits.per_ip_burst, limits.per_ip_period)?),
            account_ceiling: Pacer::new(
                limits.account_ceiling_burst,
                limits.account_ceiling_period,
                limits.slowdown_step,
                limits.max_slowdown,
            ),
        })
    }

    /// Counts one password check for `email` (normalised) from `ip`, waiting first when
    /// the account is over its ceiling.
    ///
    /// Errors: [`AppError::TooManyRequests`] with the seconds to wait, when this client
    /// made too many attempts on this account or on any.
    pub async fn check(&self, email: &str, ip: IpAddr) -> Result<(), AppError> {
        self.per_ip.check_key(&ip).map_err(|n| too_many(&n))?;
        self.per_account_client
            .check_key(&(email.to_owned(), ip))
            .map_err(|n| too_many(&n))?;
        let delay = self.account_ceiling.delay(email);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok(())
    }

    /// How many password checks were slowed by the account ceiling since start.
    pub fn slowed_attempts(&self) -> u64 {
        self.account_ceiling.slowed_attempts()
    }

    /// Forgets keys whose limits have fully replenished, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.per_account_client.retain_recent();
        self.per_ip.retain_recent();
        self.account_ceiling.forget_idle();
    }
}
