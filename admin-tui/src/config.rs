//! Where the console connects and with which staff token: `--url` / `HEEPR_ADMIN_URL` /
//! `url` in the config file, and `--token` / `HEEPR_ADMIN_TOKEN` / `token` in the config
//! file (flags win over the environment, which wins over the file). The default config file
//! is `$XDG_CONFIG_HOME/heepr/admin.toml` or `~/.config/heepr/admin.toml`. The token is never
//! printed: not in `--help` (environment values hidden), not in errors, not in `Debug`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::Deserialize;

use crate::api::Token;

/// heepr-admin: the terminal console where privacy staff triage data-subject requests.
#[derive(Debug, Parser)]
#[command(name = "heepr-admin", version)]
pub struct Args {
    /// The heepr server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "HEEPR_ADMIN_URL", hide_env_values = true)]
    pub url: Option<String>,
    /// A staff token from `heepr staff create` (prefer the environment or the config file:
    /// a flag is visible to other users in the process list).
    #[arg(long, env = "HEEPR_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Config file with `url = "..."` and `token = "..."` (default
    /// ~/.config/heepr/admin.toml).
    #[arg(long, env = "HEEPR_ADMIN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Allow plain http:// to a host other than this machine (the token would cross the
    /// network unencrypted).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

/// Whether `url` (http or https) points at this machine.
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// The config file's keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    url: Option<String>,
    token: Option<String>,
}

/// What the console needs to connect.
#[derive(Debug, Clone)]
pub struct Config {
    /// Server base URL.
    pub url: String,
    /// Staff token (redacted in `Debug`).
    pub token: Token,
}

/// The default config file path, if a home or XDG config dir is known.
pub fn default_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("heepr/admin.toml"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/heepr/admin.toml"))
}

fn read_file(path: &Path, explicit: bool) -> Result<FileConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            // The TOML error quotes the offending line, which may be the token: keep only
            // its message.
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok(FileConfig::default())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

impl Config {
    /// Resolves flags, environment and config file.
    ///
    /// Errors: an unreadable or malformed config file (an explicitly named one must exist);
    /// no URL or no token anywhere; a URL that is not http(s).
    pub fn resolve(args: Args) -> Result<Config> {
        let (path, explicit) = match args.config {
            Some(p) => (Some(p), true),
            None => (default_config_path(), false),
        };
        let file = match &path {
            Some(p) => read_file(p, explicit)?,
            None => FileConfig::default(),
        };
        let url = args
            .url
            .or(file.url)
            .filter(|u| !u.trim().is_empty())
            .context("no server URL: pass --url, set HEEPR_ADMIN_URL or put url = \"...\" in the config file")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("the server URL must start with http:// or https://");
        }
        if url.starts_with("http://") && !is_loopback(&url) && !args.allow_insecure_http {
            bail!(
                "refusing to send the staff token over plain http to another machine: use https://, an SSH tunnel to 127.0.0.1, or --allow-insecure-http"
            );
        }
        let token = Token::new(
            args.token
                .or(file.token)
                .context("no staff token: set HEEPR_ADMIN_TOKEN or put token = \"...\" in the config file (create one with `heepr staff create`)")?,
        );
        if token.is_empty() {
            bail!("the staff token is empty");
        }
        Ok(Config { url, token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_and_file_fills_in() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("heepr-admin-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("admin.toml");
        std::fs::write(&path, "url = \"http://file:1\"\ntoken = \"file-token\"\n")?;
        let c = Config::resolve(Args {
            url: Some("http://flag:2".into()),
            token: None,
            config: Some(path.clone()),
            allow_insecure_http: true,
        })?;
        assert_eq!(c.url, "http://flag:2");
        assert_eq!(c.token, Token::new("file-token"));
        assert!(!format!("{c:?}").contains("file-token"));
        std::fs::write(&path, "token = \"s3cret\" oops\n")?;
        let err = Config::resolve(Args {
            url: None,
            token: None,
            config: Some(path),
            allow_insecure_http: false,
        })
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
        assert!(!err.is_empty() && !err.contains("s3cret"), "{err}");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn plain_http_only_to_this_machine() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("heepr-admin-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let empty = dir.join("admin.toml");
        std::fs::write(&empty, "")?;
        let resolve = |url: &str, allow: bool| {
            Config::resolve(Args {
                url: Some(url.into()),
                token: Some("t".into()),
                config: Some(empty.clone()),
                allow_insecure_http: allow,
            })
        };
        assert!(is_loopback("http://127.0.0.1:8080/x"));
        assert!(is_loopback("http://localhost"));
        assert!(is_loopback("http://[::1]:80"));
        assert!(!is_loopback("http://heepr.example"));
        assert!(resolve("http://127.0.0.1:8080", false).is_ok());
        assert!(resolve("https://heepr.example", false).is_ok());
        assert!(resolve("http://heepr.example", false).is_err());
        assert!(resolve("http://heepr.example", true).is_ok());
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
