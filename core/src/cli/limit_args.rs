//! The abuse limits of `heepr serve`: password-check throttling and sign-up limits. Defaults
//! are those of [`LoginLimits::default`] and [`SignupLimits::default`], repeated here as
//! flag defaults (a test checks they agree) and in the README.

use std::time::Duration;

use clap::Args;

use super::duration_arg::parse_duration;
use crate::platform::settings::{LoginLimits, SignupLimits};

/// Password-check and sign-up limits.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Password checks per account from one client IP before that client gets 429.
    #[arg(long, env = "HEEPR_LOGIN_CLIENT_BURST", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub login_client_burst: u32,
    /// One more password check per (account, client IP) every this long.
    #[arg(long, env = "HEEPR_LOGIN_CLIENT_PERIOD", default_value = "1m", value_parser = parse_duration)]
    pub login_client_period: Duration,
    /// Password checks per client IP over all accounts before 429.
    #[arg(long, env = "HEEPR_LOGIN_IP_BURST", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub login_ip_burst: u32,
    /// One more password check per client IP every this long.
    #[arg(long, env = "HEEPR_LOGIN_IP_PERIOD", default_value = "6s", value_parser = parse_duration)]
    pub login_ip_period: Duration,
    /// Password checks per account from all clients before each further one is slowed
    /// (never refused, so nobody can lock the owner out).
    #[arg(long, env = "HEEPR_LOGIN_ACCOUNT_CEILING", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub login_account_ceiling: u32,
    /// One more unslowed password check per account every this long.
    #[arg(long, env = "HEEPR_LOGIN_ACCOUNT_CEILING_PERIOD", default_value = "6s", value_parser = parse_duration)]
    pub login_account_ceiling_period: Duration,
    /// Delay added per password check over the account ceiling.
    #[arg(long, env = "HEEPR_LOGIN_SLOWDOWN_STEP", default_value = "250ms", value_parser = parse_duration)]
    pub login_slowdown_step: Duration,
    /// Longest delay of one password check.
    #[arg(long, env = "HEEPR_LOGIN_MAX_SLOWDOWN", default_value = "4s", value_parser = parse_duration)]
    pub login_max_slowdown: Duration,
    /// Sign-ups from one client IP before 429.
    #[arg(long, env = "HEEPR_SIGNUP_IP_BURST", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub signup_ip_burst: u32,
    /// One more sign-up per client IP every this long.
    #[arg(long, env = "HEEPR_SIGNUP_IP_PERIOD", default_value = "3m", value_parser = parse_duration)]
    pub signup_ip_period: Duration,
    /// Sign-ups from everyone together before 429.
    #[arg(long, env = "HEEPR_SIGNUP_GLOBAL_BURST", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub signup_global_burst: u32,
    /// One more sign-up overall every this long.
    #[arg(long, env = "HEEPR_SIGNUP_GLOBAL_PERIOD", default_value = "1s", value_parser = parse_duration)]
    pub signup_global_period: Duration,
}

impl LimitArgs {
    /// The password-check limits given.
    pub fn login_limits(&self) -> LoginLimits {
        LoginLimits {
            per_account_client_burst: self.login_client_burst,
            per_account_client_period: self.login_client_period,
            per_ip_burst: self.login_ip_burst,
            per_ip_period: self.login_ip_period,
            account_ceiling_burst: self.login_account_ceiling,
            account_ceiling_period: self.login_account_ceiling_period,
            slowdown_step: self.login_slowdown_step,
            max_slowdown: self.login_max_slowdown,
        }
    }

    /// The sign-up limits given.
    pub fn signup_limits(&self) -> SignupLimits {
        SignupLimits {
            per_ip_burst: self.signup_ip_burst,
            per_ip_period: self.signup_ip_period,
            global_burst: self.signup_global_burst,
            global_period: self.signup_global_period,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        limits: LimitArgs,
    }

    #[test]
    fn flag_defaults_are_the_settings_defaults() -> Result<(), clap::Error> {
        let args = Wrapper::try_parse_from(["heepr"])?.limits;
        assert_eq!(
            format!("{:?}", args.login_limits()),
            format!("{:?}", LoginLimits::default())
        );
        assert_eq!(
            format!("{:?}", args.signup_limits()),
            format!("{:?}", SignupLimits::default())
        );
        Ok(())
    }
}
