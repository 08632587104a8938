//! The withdrawal ledger: the decisions a data subject or owner takes back (a consent
//! withdrawn, an agent's API key revoked, a password replaced), mirrored to an append-only file outside the
//! database (`DATA_DIR/withdrawal-ledger.jsonl`), so that a backup restore cannot bring
//! them back: a backup taken the day before a withdrawal holds the consent as given and
//! the key as live. `heepr backup restore` replays every line (see
//! `heepr_core::privacy::restore`).
//!
//! The line is written *before* the database commits (write-ahead): a crash in between
//! leaves a line for a withdrawal that did not commit, and replaying it withdraws or
//! revokes, which is the direction a person who asked for it expects; the reverse order
//! could lose a withdrawal. Lines hold ids, purpose keys and times only, never emails or
//! names, so erasure has nothing to rewrite in the file; lines older than every kept
//! backup are dropped by [`prune`] when backups rotate.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The ledger file's name inside the data dir.
pub const LEDGER_FILE: &str = "withdrawal-ledger.jsonl";

/// One decision taken back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Withdrawal {
    /// `account_id` withdrew consent to `purpose` (a key of `consents.toml`).
    ConsentWithdrawn {
        /// The data subject.
        account_id: String,
        /// The purpose key.
        purpose: String,
        /// When (Unix ms).
        at: i64,
    },
    /// An agent's API key was revoked.
    ApiKeyRevoked {
        /// The key's id (never the key).
        key_id: String,
        /// When (Unix ms).
        at: i64,
    },
    /// `account_id`'s password was replaced (changed or reset): a backup taken before holds
    /// the old one, which must not work again after a restore.
    PasswordReplaced {
        /// The account.
        account_id: String,
        /// When (Unix ms).
        at: i64,
    },
}

impl Withdrawal {
    /// When the decision was taken (Unix ms).
    pub fn at(&self) -> i64 {
        match self {
            Self::ConsentWithdrawn { at, .. }
            | Self::ApiKeyRevoked { at, .. }
            | Self::PasswordReplaced { at, .. } => *at,
        }
    }
}

/// The ledger file's path under `data_dir`.
pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(LEDGER_FILE)
}

/// Appends `entry` as one line and flushes it to disk; creates the data dir's file on
/// first use. Call before committing the withdrawal (see the module doc).
///
/// Errors: the file cannot be opened or written.
pub fn append(data_dir: &Path, entry: &Withdrawal) -> std::io::Result<()> {
    let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
    line.push('\n');
    std::fs::create_dir_all(data_dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(file_path(data_dir))?;
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

/// Reads every entry (missing file: none). A line that does not parse is skipped with a
/// warning: only a line torn by a crash mid-write can be one, and the withdrawal it
/// recorded did not commit either.
///
/// Errors: the file cannot be read.
pub fn read(data_dir: &Path) -> std::io::Result<Vec<Withdrawal>> {
    let file = match std::fs::File::open(file_path(data_dir)) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line) {
            Ok(entry) => out.push(entry),
            Err(_) => tracing::warn!(line = number + 1, "withdrawal ledger: skipped a torn line"),
        }
    }
    Ok(out)
}

/// Drops the entries older than `keep_from_ms` (Unix ms: the oldest backup still kept; no
/// restore can go back further), rewriting the file through a temporary file and a rename
/// so a crash leaves the old or the new file whole. Returns how many entries were dropped.
///
/// Errors: the file cannot be read or written.
pub fn prune(data_dir: &Path, keep_from_ms: i64) -> std::io::Result<usize> {
    let entries = read(data_dir)?;
    let kept: Vec<&Withdrawal> = entries.iter().filter(|e| e.at() >= keep_from_ms).collect();
    let dropped = entries.len() - kept.len();
    if dropped == 0 {
        return Ok(0);
    }
    let path = file_path(data_dir);
    let partial = path.with_extension("jsonl.partial");
    {
        let mut file = std::fs::File::create(&partial)?;
        for entry in kept {
            let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
            line.push('\n');
            file.write_all(line.as_bytes())?;
        }
        file.sync_all()?;
    }
    std::fs::rename(&partial, &path)?;
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_entries_read_back_and_prune_keeps_the_recent() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let old = Withdrawal::ApiKeyRevoked {
            key_id: "k1".into(),
            at: 1_000,
        };
        let new = Withdrawal::ConsentWithdrawn {
            account_id: "a1".into(),
            purpose: "product_updates".into(),
            at: 2_000,
        };
        append(dir.path(), &old)?;
        append(dir.path(), &new)?;
        // A torn last line (a crash mid-write) is skipped, not an error.
        std::fs::OpenOptions::new()
            .append(true)
            .open(file_path(dir.path()))?
            .write_all(b"{\"event\":\"api_key_re")?;
        assert_eq!(read(dir.path())?, vec![old, new.clone()]);
        assert_eq!(prune(dir.path(), 1_500)?, 1);
        assert_eq!(read(dir.path())?, vec![new]);
        Ok(())
    }
}
