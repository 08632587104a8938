//! What a policy file that cannot be used looks like ([`PolicyError`]: file, key, reason),
//! and the checks every policy file's parser shares (TOML errors, dates). Every parser in
//! [`crate::policy`] depends on this module; it depends on none of them.

use std::path::{Path, PathBuf};

/// A policy file that cannot be used, naming the file, the key and the reason.
///
/// `key` is a dotted path into the file (e.g. `tables.accounts.columns.email.erasure`), empty
/// when the whole file is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {key}: {reason}", file.display())]
pub struct PolicyError {
    /// The policy file at fault.
    pub file: PathBuf,
    /// Dotted path to the offending key.
    pub key: String,
    /// What is wrong and, where it helps, what would be right.
    pub reason: String,
}

impl PolicyError {
    /// An error for `file` at `key`.
    pub fn new(file: &Path, key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// Turns a TOML parse error into a [`PolicyError`] for `path`.
pub(crate) fn toml_error(path: &Path, err: toml::de::Error) -> PolicyError {
    let reason = err.message().to_string();
    let key = match err.span() {
        Some(span) => format!("at byte {}", span.start),
        None => String::new(),
    };
    PolicyError::new(path, key, reason)
}

/// Checks `value` is a `YYYY-MM-DD` date.
///
/// Errors: a [`PolicyError`] for `path` at `key`.
pub fn check_date(path: &Path, key: &str, value: &str) -> Result<(), PolicyError> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|_| ())
        .map_err(|e| {
            PolicyError::new(
                path,
                key,
                format!("{value:?} is not a YYYY-MM-DD date: {e}"),
            )
        })
}
