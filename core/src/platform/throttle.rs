//! Login throttling, per account and per client IP, with the `governor` crate's GCRA limiter.
//! Both keys are checked on every attempt; the first to run out answers 429 with a
//! `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use anyhow::anyhow;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::platform::error::AppError;
use crate::platform::settings::LoginLimits;

/// Keyed limiters for login attempts.
#[derive(Debug)]
pub struct LoginThrottle {
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

fn quota(burst: u32, period: Duration) -> anyhow::Result<Quota> {
    let burst = NonZeroU32::new(burst).ok_or_else(|| anyhow!("login limit burst must be > 0"))?;
    let quota =
        Quota::with_period(period).ok_or_else(|| anyhow!("login limit period must be > 0"))?;
    Ok(quota.allow_burst(burst))
}

impl LoginThrottle {
    /// Limiters with the given limits.
    ///
    /// Errors: a zero burst or period.
    pub fn new(limits: LoginLimits) -> anyhow::Result<Self> {
        Ok(Self {
            per_account: RateLimiter::keyed(quota(
                limits.per_account_burst,
                limits.per_account_period,
            )?),
            per_ip: RateLimiter::keyed(quota(limits.per_ip_burst, limits.per_ip_period)?),
        })
    }

    /// Counts one login attempt for `email` (normalised) from `ip`.
    ///
    /// Errors: [`AppError::TooManyRequests`] with the seconds to wait.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), AppError> {
        let now = DefaultClock::default().now();
        let wait = |d: Duration| AppError::TooManyRequests {
            retry_after_secs: d.as_secs().max(1),
        };
        self.per_ip
            .check_key(&ip)
            .map_err(|not_until| wait(not_until.wait_time_from(now)))?;
        self.per_account
            .check_key(&email.to_owned())
            .map_err(|not_until| wait(not_until.wait_time_from(now)))?;
        Ok(())
    }

    /// Forgets keys whose limits have fully replenished, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
    }
}
