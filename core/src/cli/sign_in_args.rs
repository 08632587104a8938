//! The flags of the sign-in providers (Google, GitHub, Facebook), written once: each
//! provider has the same five flags (`--{provider}-client-id`, `-client-secret`,
//! `-auth-url`, `-token-url`, `-userinfo-url`, read from `HEEPR_{PROVIDER}_...` too), so
//! they are built by looping over `PROVIDERS` in a hand-written [`clap::Args`]. A
//! provider is enabled when its client id and secret are both set; one without the other is
//! refused.

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::platform::settings::{OAuthProviderConfig, OAuthSettings};

/// What differs between the providers' flags.
struct ProviderSpec {
    /// Flag and id prefix (`google` → `--google-client-id`, id `google_client_id`).
    key: &'static str,
    /// The name in help texts.
    name: &'static str,
    /// Default authorization endpoint.
    auth_url: &'static str,
    /// Default token endpoint.
    token_url: &'static str,
    /// Default user profile endpoint.
    userinfo_url: &'static str,
}

/// The providers, in the order their flags are listed.
const PROVIDERS: [ProviderSpec; 3] = [
    ProviderSpec {
        key: "google",
        name: "Google",
        auth_url: "https://accounts.google.com/o/oauth2/v2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        userinfo_url: "https://openidconnect.googleapis.com/v1/userinfo",
    },
    ProviderSpec {
        key: "github",
        name: "GitHub",
        auth_url: "https://github.com/login/oauth/authorize",
        token_url: "https://github.com/login/oauth/access_token",
        userinfo_url: "https://api.github.com/user",
    },
    ProviderSpec {
        key: "facebook",
        name: "Facebook",
        auth_url: "https://www.facebook.com/v19.0/dialog/oauth",
        token_url: "https://graph.facebook.com/v19.0/oauth/access_token",
        userinfo_url: "https://graph.facebook.com/v19.0/me?fields=id,name,email",
    },
];

/// One provider's flags as given.
#[derive(Debug, Clone, Default)]
pub struct ProviderArgs {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret (never logged: [`SignInArgs`]'s `Debug` hides it).
    pub client_secret: Option<String>,
    /// Authorization endpoint.
    pub auth_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// User profile endpoint.
    pub userinfo_url: String,
}

/// The sign-in providers' flags of `heepr serve`, in `PROVIDERS` order.
#[derive(Clone, Default)]
pub struct SignInArgs {
    /// Google, GitHub, Facebook.
    pub providers: [ProviderArgs; 3],
}

impl std::fmt::Debug for SignInArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_map();
        for (spec, given) in PROVIDERS.iter().zip(&self.providers) {
            out.entry(&spec.key, &given.client_id);
        }
        out.finish()
    }
}

impl SignInArgs {
    /// The providers whose client id and secret are both set.
    pub fn settings(&self) -> OAuthSettings {
        let [google, github, facebook] = &self.providers;
        OAuthSettings {
            google: google.config(),
            github: github.config(),
            facebook: facebook.config(),
        }
    }
}

impl ProviderArgs {
    fn config(&self) -> Option<OAuthProviderConfig> {
        match (&self.client_id, &self.client_secret) {
            (Some(id), Some(secret)) => Some(OAuthProviderConfig {
                client_id: id.clone(),
                client_secret: secret.clone(),
                auth_url: self.auth_url.clone(),
                token_url: self.token_url.clone(),
                userinfo_url: self.userinfo_url.clone(),
            }),
            _ => None,
        }
    }
}

/// The five flags' suffixes, in the order they are listed.
const FLAGS: [&str; 5] = [
    "client_id",
    "client_secret",
    "auth_url",
    "token_url",
    "userinfo_url",
];

/// `google` + `client_id` → `google_client_id` (the arg id).
fn id(spec: &ProviderSpec, flag: &str) -> String {
    format!("{}_{flag}", spec.key)
}

fn provider_args(spec: &ProviderSpec) -> [Arg; 5] {
    FLAGS.map(|flag| {
        let id = id(spec, flag);
        let mut arg = Arg::new(id.clone())
            .long(id.replace('_', "-"))
            .env(format!("HEEPR_{}", id.to_ascii_uppercase()))
            .value_name(id.to_ascii_uppercase())
            .action(ArgAction::Set);
        let name = spec.name;
        match flag {
            "client_id" => {
                arg = arg
                    .value_parser(clap::value_parser!(String))
                    .help(format!(
                        "{name} sign-in: OAuth client id. Sign-in with {name} is enabled when id and secret are set"
                    ))
                    .requires(self::id(spec, "client_secret"));
            }
            "client_secret" => {
                arg = arg
                    .value_parser(clap::value_parser!(String))
                    .help(format!("{name} sign-in: OAuth client secret"))
                    .hide_env_values(true)
                    .requires(self::id(spec, "client_id"));
            }
            _ => {
                let (what, default) = match flag {
                    "auth_url" => ("authorization endpoint", spec.auth_url),
                    "token_url" => ("token endpoint", spec.token_url),
                    _ => ("user profile endpoint", spec.userinfo_url),
                };
                arg = arg
                    .help(format!("{name} sign-in: {what}"))
                    .default_value(default)
                    .value_parser(parse_endpoint_url);
            }
        }
        arg
    })
}

impl Args for SignInArgs {
    fn augment_args(cmd: Command) -> Command {
        PROVIDERS
            .iter()
            .flat_map(provider_args)
            .fold(cmd, |cmd, arg| cmd.arg(arg))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for SignInArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = Self::default();
        for (spec, given) in PROVIDERS.iter().zip(&mut args.providers) {
            given.auth_url = spec.auth_url.to_owned();
            given.token_url = spec.token_url.to_owned();
            given.userinfo_url = spec.userinfo_url.to_owned();
        }
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    /// Takes the flags `matches` holds (as derived `Args` do, flags it lacks are kept).
    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for (spec, given) in PROVIDERS.iter().zip(&mut self.providers) {
            for (flag, field) in [
                ("client_id", &mut given.client_id),
                ("client_secret", &mut given.client_secret),
            ] {
                let id = id(spec, flag);
                if matches.contains_id(&id) {
                    *field = matches.get_one::<String>(&id).cloned();
                }
            }
            for (flag, field) in [
                ("auth_url", &mut given.auth_url),
                ("token_url", &mut given.token_url),
                ("userinfo_url", &mut given.userinfo_url),
            ] {
                if let Some(value) = matches.get_one::<String>(&id(spec, flag)) {
                    field.clone_from(value);
                }
            }
        }
        Ok(())
    }
}

fn parse_endpoint_url(s: &str) -> Result<String, String> {
    let url = oauth2::url::Url::parse(s)
        .map_err(|e| format!("{e} (example: https://provider.example/oauth/token)"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    Ok(s.to_owned())
}
