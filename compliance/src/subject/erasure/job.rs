//! What an erasure is asked to do ([`ErasureJob`]), what it reports ([`ErasureOutcome`],
//! [`TableCounts`]) and why it can stop ([`ErasureError`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::policy::data_map::DataMap;

/// Default rows per write transaction.
pub const DEFAULT_BATCH_ROWS: i64 = 500;

/// What to erase and how.
#[derive(Debug, Clone)]
pub struct ErasureJob<'a> {
    /// The data map driving the erasure.
    pub map: &'a DataMap,
    /// The data subject (account id).
    pub account_id: &'a str,
    /// The request asking for it, if any (for the ledger and audit).
    pub request_id: Option<&'a str>,
    /// Who runs it (`staff:<id>`, `subject:<id>`, `system`, `cli`), for the audit log.
    pub actor: &'a str,
    /// Root of `file` columns' paths and of the data map's `scrub_dirs`.
    pub data_dir: &'a Path,
    /// Most rows per write transaction (fewer while transactions take longer than 20 ms).
    pub batch_rows: i64,
    /// Test hook simulating a crash: stop with [`ErasureError::Interrupted`] after this many
    /// batches. `None` in production.
    pub stop_after_batches: Option<u32>,
}

/// Per-table counts of a preview or a run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TableCounts {
    /// The table's erasure rule: `delete`, `update` or `keep`.
    pub erasure: &'static str,
    /// The subject's rows in the table.
    pub rows: i64,
    /// Rows deleted.
    pub deleted: i64,
    /// Rows in which some column is set to NULL.
    pub nulled: i64,
    /// Rows in which some column is replaced by the pseudonym (or a fixed value).
    pub pseudonymised: i64,
    /// Rows whose free text is searched for the email and name to redact.
    pub redacted: i64,
    /// Rows kept (pseudonymised rows are kept too).
    pub kept: i64,
}

/// What a finished run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErasureOutcome {
    /// The person's pseudonym.
    pub pseudonym: String,
    /// `true` when the account had already been erased (nothing done).
    pub already_erased: bool,
    /// Per table: rows deleted (`deleted`) or rewritten (`pseudonymised`) by this run.
    pub tables: BTreeMap<String, TableCounts>,
    /// Stored files and spool files deleted.
    pub files_deleted: u64,
    /// Stored files that named the person in a format that cannot be rewritten (a PDF, an
    /// image's metadata), replaced by a notice (`subject::erasure::formats`).
    pub files_withheld: u64,
    /// Stored files erasure could not read (encrypted, past its size limits): kept as
    /// uploaded, for staff to review by hand.
    pub files_unchecked: u64,
    /// Write transactions used.
    pub batches: u32,
    /// The longest single write transaction (ms), for the benchmark.
    pub longest_batch_ms: u64,
}

/// Why an erasure did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// The account is under legal hold.
    #[error("the account is under legal hold: {reason}")]
    Held {
        /// The active holds' reasons, joined by "; ".
        reason: String,
    },
    /// No such account.
    #[error("no such account")]
    NotFound,
    /// Stopped by [`ErasureJob::stop_after_batches`] (simulated crash).
    #[error("interrupted after {0} batches")]
    Interrupted(u32),
    /// A file could not be deleted.
    #[error("{path}")]
    Io {
        /// The file.
        path: String,
        /// The OS's reason.
        source: std::io::Error,
    },
    /// The data map cannot drive an erasure.
    #[error("data map: {0}")]
    Policy(String),
    /// The database failed.
    #[error("database")]
    Db(#[from] sqlx::Error),
}
