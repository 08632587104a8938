//! Sign-up rate limits, per client IP and over the whole service (issue: 200 sign-ups from
//! one address in seconds farmed the sign-up bonus). The client IP is the one resolved with
//! the trusted proxies. The per-IP limit is checked first, so one address running out does
//! not use up the global allowance.

use std::net::IpAddr;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, RateLimiter};

use crate::platform::error::AppError;
use crate::platform::settings::SignupLimits;
use crate::platform::throttle::{quota, too_many};

/// Limiters for sign-ups.
#[derive(Debug)]
pub struct SignupThrottle {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    global: DefaultDirectRateLimiter,
}

impl SignupThrottle {
    /// Limiters with the given limits.
    ///
    /// Errors: a zero burst or period.
    pub fn new(limits: SignupLimits) -> anyhow::Result<Self> {
        Ok(Self {
            per_ip: RateLimiter::keyed(quota(limits.per_ip_burst, limits.per_ip_period)?),
            global: RateLimiter::direct(quota(limits.global_burst, limits.global_period)?),
        })
    }

    /// Counts one sign-up attempt from `ip`.
    ///
    /// Errors: [`AppError::TooManyRequests`] with the seconds to wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), AppError> {
        self.per_ip.check_key(&ip).map_err(|n| too_many(&n))?;
        self.global.check().map_err(|n| too_many(&n))
    }

    /// Forgets addresses whose limit has fully replenished, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
    }
}
