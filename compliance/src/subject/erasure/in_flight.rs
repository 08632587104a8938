//! The erasures an export must take into account: those that completed while it was
//! built, and those still running when it is published.
//!
//! Why: a person's archive holds other people's words (a counterparty's messages on their
//! orders), and those may name someone whose erasure runs at the same time. Erasure
//! scrubs the archives that exist when it finishes (`files::scrub_dirs`), but an archive
//! read from the database before the scrub and published after it would keep the erased
//! person's name and email for the archive's whole life (policy: an erased person is gone
//! from everything heepr keeps). The export therefore snapshots [`ErasuresInFlight`] when
//! it starts, again when it is built, and once more inside the transaction that publishes
//! it: an erasure that completed meanwhile means the archive is built again; one still
//! running means the archive is searched for that person ([`ErasuresInFlight::named_in_archive`])
//! and held back if it names them.

use std::path::Path;

use sqlx::AnyConnection;

use super::files::archive_mentions;
use crate::subject::identifiers::SubjectIdentifiers;

/// A snapshot of erasure progress across all data subjects.
///
/// Holds personal data (the running erasures' identifiers): never log it; its `Debug`
/// shows only counts.
#[derive(Clone)]
pub struct ErasuresInFlight {
    /// Completed erasures (rows of `erasure_ledger`).
    completed: i64,
    /// Running erasures (rows of `erasure_jobs`): account id and identifiers, by account id.
    running: Vec<(String, SubjectIdentifiers)>,
}

impl std::fmt::Debug for ErasuresInFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErasuresInFlight")
            .field("completed", &self.completed)
            .field("running", &self.running.len())
            .finish()
    }
}

impl ErasuresInFlight {
    /// Reads the snapshot through `conn` (a pool connection, or the publishing
    /// transaction).
    ///
    /// Errors: the database's.
    pub async fn read(conn: &mut AnyConnection) -> Result<Self, sqlx::Error> {
        let completed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM erasure_ledger")
            .fetch_one(&mut *conn)
            .await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT account_id, email, display_name FROM erasure_jobs ORDER BY account_id",
        )
        .fetch_all(&mut *conn)
        .await?;
        let running = rows
            .into_iter()
            .map(|(id, email, name)| (id, SubjectIdentifiers::new(&email, &name)))
            .collect();
        Ok(Self { completed, running })
    }

    /// Whether an erasure completed between `earlier` and this snapshot (what was read
    /// before may not be redacted: build again).
    pub fn completed_since(&self, earlier: &ErasuresInFlight) -> bool {
        self.completed != earlier.completed
    }

    /// Whether nothing changed between `earlier` and this snapshot: the same number of
    /// completed erasures and the same ones running.
    pub fn unchanged_since(&self, earlier: &ErasuresInFlight) -> bool {
        !self.completed_since(earlier)
            && self.running.len() == earlier.running.len()
            && self
                .running
                .iter()
                .zip(&earlier.running)
                .all(|((a, _), (b, _))| a == b)
    }

    /// The account ids of the people whose erasure is running that the `.tar.gz` at `path`
    /// names (entry names and contents, streamed: memory bounded whatever the archive's
    /// size); empty when it names none. `except` is the archive's own subject, whose own
    /// erasure never runs beside their export.
    ///
    /// Errors: the archive cannot be read.
    pub fn named_in_archive(&self, path: &Path, except: &str) -> std::io::Result<Vec<String>> {
        let mut named = Vec::new();
        for (account_id, ids) in &self.running {
            if account_id != except && !ids.is_empty() && archive_mentions(path, ids)? {
                named.push(account_id.clone());
            }
        }
        Ok(named)
    }

    /// Whether the erasure of `account_id` is running in this snapshot.
    pub fn is_running(&self, account_id: &str) -> bool {
        self.running.iter().any(|(id, _)| id == account_id)
    }
}
