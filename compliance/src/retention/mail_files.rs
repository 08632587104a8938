//! The mail-file store (`store = "mail_files"` in `retention.toml`): emails the file
//! transport wrote as `.eml` files, deleted once past the rule's period by their
//! modification time. The caller computes the cut-off from the rule
//! ([`crate::policy::retention_rules::RetentionRule::cutoff_ms`]) and names the directory.

use std::path::Path;

/// Deletes `.eml` files in `dir` last modified before `cutoff_ms` (Unix ms); returns how many.
/// A missing directory holds nothing to delete.
///
/// Errors: the directory or a file cannot be read or removed.
pub fn prune_mail_files(dir: &Path, cutoff_ms: i64) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let modified = entry.metadata()?.modified()?;
        let modified_ms = modified
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        if modified_ms < cutoff_ms {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::clock::DAY_MS;

    #[test]
    fn old_mail_files_are_pruned_by_mtime() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let old = dir.path().join("old.eml");
        let new = dir.path().join("new.eml");
        let other = dir.path().join("notes.txt");
        for p in [&old, &new, &other] {
            std::fs::write(p, "To: someone@example.com")?;
        }
        let ten_days_ago =
            std::time::SystemTime::now() - std::time::Duration::from_secs(10 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&old)?
            .set_modified(ten_days_ago)?;
        std::fs::File::options()
            .write(true)
            .open(&other)?
            .set_modified(ten_days_ago)?;
        let cutoff = chrono::Utc::now().timestamp_millis() - 5 * DAY_MS;
        assert_eq!(prune_mail_files(dir.path(), cutoff)?, 1);
        assert!(!old.exists() && new.exists() && other.exists());
        assert_eq!(prune_mail_files(&dir.path().join("missing"), cutoff)?, 0);
        Ok(())
    }
}
