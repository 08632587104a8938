//! Copies of the erasure and withdrawal ledgers kept with the backups, under
//! `BACKUP_DIR/ledgers/` (fresh tester, issue 10: restoring the backups into a new data dir,
//! after the old machine was lost, brought back every person erased since the backup,
//! silently, because the ledgers that re-apply those erasures lived only in the lost data
//! dir).
//!
//! [`mirror`] copies both files there (whole, written to a temporary file and renamed) after
//! every erasure and every backup; [`merge_into`] writes back, before a restore re-applies
//! them, every line a copy has that the data dir's file lacks (a data dir that lost its
//! ledger, or one that was never this machine's). The ledgers hold ids, times and
//! pseudonyms only, never a name or an address.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{erasure_ledger, withdrawal_ledger};

/// The copies' directory under the backup dir.
pub const COPIES_DIR: &str = "ledgers";

/// The ledger files, by name (the same name in the data dir and among the copies).
const LEDGERS: [&str; 2] = [erasure_ledger::LEDGER_FILE, withdrawal_ledger::LEDGER_FILE];

fn copies_dir(backup_dir: &Path) -> PathBuf {
    backup_dir.join(COPIES_DIR)
}

/// Copies the ledger files of `data_dir` (those that exist) to `backup_dir/ledgers/`.
///
/// Errors: a file cannot be read, or the copy cannot be written.
pub fn mirror(data_dir: &Path, backup_dir: &Path) -> std::io::Result<()> {
    let dir = copies_dir(backup_dir);
    for name in LEDGERS {
        let bytes = match std::fs::read(data_dir.join(name)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        std::fs::create_dir_all(&dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(dir.join(name)).map_err(|e| e.error)?;
    }
    Ok(())
}

/// Appends to each ledger file of `data_dir` the lines of its copy under `backup_dir` that
/// it lacks; returns how many lines were added, per file name.
///
/// Errors: a file cannot be read or written.
pub fn merge_into(
    data_dir: &Path,
    backup_dir: &Path,
) -> std::io::Result<Vec<(&'static str, usize)>> {
    let mut added = Vec::new();
    for name in LEDGERS {
        let copy = match std::fs::read_to_string(copies_dir(backup_dir).join(name)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let path = data_dir.join(name);
        let own = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let known: HashSet<&str> = own.lines().map(str::trim).collect();
        let missing: Vec<&str> = copy
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !known.contains(l))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        if !own.is_empty() && !own.ends_with('\n') {
            file.write_all(b"\n")?;
        }
        for line in &missing {
            file.write_all(line.as_bytes())?;
            file.write_all(b"\n")?;
        }
        file.sync_data()?;
        added.push((name, missing.len()));
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_ledger_comes_back_from_its_copy() {
        let data = tempfile::tempdir().unwrap();
        let backups = tempfile::tempdir().unwrap();
        let line = r#"{"id":"1","account_id":"a","erased_at":5}"#;
        std::fs::write(
            data.path().join(erasure_ledger::LEDGER_FILE),
            format!("{line}\n"),
        )
        .unwrap();
        mirror(data.path(), backups.path()).unwrap();
        let fresh = tempfile::tempdir().unwrap();
        assert_eq!(
            merge_into(fresh.path(), backups.path()).unwrap(),
            [(erasure_ledger::LEDGER_FILE, 1)]
        );
        assert_eq!(
            std::fs::read_to_string(fresh.path().join(erasure_ledger::LEDGER_FILE)).unwrap(),
            format!("{line}\n")
        );
        assert!(
            merge_into(fresh.path(), backups.path()).unwrap().is_empty(),
            "once"
        );
    }
}
