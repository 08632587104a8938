//! Running PostgreSQL's own tools (`pg_dump`, `pg_restore`) with the password kept out of
//! argv and out of error messages.

use std::process::Command;

use super::error::BackupError;
use crate::base::db::redact_url;

/// Splits a PostgreSQL URL into one without the password (safe for argv) and the password.
fn pg_url_parts(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return (url.to_string(), None);
    };
    match userinfo.split_once(':') {
        Some((user, password)) => (
            format!("{scheme}://{user}@{host}"),
            Some(password.to_string()),
        ),
        None => (url.to_string(), None),
    }
}

/// Runs `pg_dump` or `pg_restore` against `url`, the password passed in the environment,
/// never on the command line or in the error.
pub(super) fn run_pg_tool(tool: &'static str, url: &str, args: &[&str]) -> Result<(), BackupError> {
    let (safe_url, password) = pg_url_parts(url);
    let mut cmd = Command::new(tool);
    cmd.args(args).arg("--dbname").arg(&safe_url);
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    let out = cmd.output().map_err(|e| BackupError::Tool {
        tool,
        stderr: format!("cannot run {tool}: {e}"),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool {
            tool,
            stderr: String::from_utf8_lossy(&out.stderr).replace(url, &redact_url(url)),
        })
    }
}
