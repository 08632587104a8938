//! Retention: the rules of `policies/retention.toml` with their schedules and last runs,
//! and what a dry run of one rule would delete now.

use serde::{Deserialize, Serialize};

/// The file store a rule governs instead of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Store {
    /// The backup catalog's files.
    Backups,
    /// Emails kept as files by the file transport.
    MailFiles,
    /// Files of the upload store that no record names.
    UnrecordedFiles,
    /// A store this reader does not know (a newer server).
    #[default]
    #[serde(other)]
    Unknown,
}

impl Store {
    /// Every store the server knows.
    pub const ALL: [Store; 3] = [Store::Backups, Store::MailFiles, Store::UnrecordedFiles];

    /// The wire name (`mail_files`).
    pub fn as_str(self) -> &'static str {
        match self {
            Store::Backups => "backups",
            Store::MailFiles => "mail_files",
            Store::UnrecordedFiles => "unrecorded_files",
            Store::Unknown => "unknown",
        }
    }
}

/// The last recorded run of a rule (a sweep or a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionRun {
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it finished (RFC 3339); `None` while it runs or if it died.
    pub finished_at: Option<String>,
    /// `succeeded`, `failed` or `skipped` (another sweeper held the rule's lease).
    pub outcome: String,
    /// Rows past the period when it ran.
    pub rows_examined: i64,
    /// Rows deleted (0 for a dry run).
    pub rows_affected: i64,
    /// Whether nothing was deleted on purpose.
    pub dry_run: bool,
}

/// One retention rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionRule {
    /// Rule name (a key of `retention.toml`).
    pub rule: String,
    /// The retention period in words: `30 days`, `12 months` or `no fixed period`.
    pub period: String,
    /// When the sweep runs (cron, six or seven fields, seconds first); `None` when unswept.
    pub schedule: Option<String>,
    /// The next scheduled run (RFC 3339), in the scheduler's time zone.
    pub next_run: Option<String>,
    /// The tables the data map puts under this rule.
    pub tables: Vec<String>,
    /// The file store it governs, for a rule over files rather than tables.
    pub store: Option<Store>,
    /// What the rule keeps, in words.
    pub description: String,
    /// Its last recorded run, if any.
    pub last_run: Option<RetentionRun>,
}

/// `GET /retention/rules`: every rule, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleList {
    /// The rules.
    pub rules: Vec<RetentionRule>,
}

/// What one table of a rule's sweep saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableSweep {
    /// Table name.
    pub table: String,
    /// Rows past the period and free to go (not under a legal hold) when the run started.
    pub rows_examined: i64,
    /// Rows deleted (0 in a dry run).
    pub rows_affected: i64,
    /// The longest single delete transaction (ms).
    pub longest_batch_ms: u64,
}

/// A sweep of a rule over tables (the `heepr sweep --json` shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SweepReport {
    /// Rule name.
    pub rule: String,
    /// The recorded run's id; `None` when skipped before it was recorded.
    pub run_id: Option<String>,
    /// Whether nothing was deleted on purpose.
    pub dry_run: bool,
    /// Rows older than this (RFC 3339) were past the period.
    pub cutoff: String,
    /// `succeeded`, `failed` or `skipped`.
    pub outcome: String,
    /// The cause, when it failed or was skipped.
    pub error: Option<String>,
    /// Rows past the period, over all tables.
    pub rows_examined: i64,
    /// Rows deleted, over all tables (0 in a dry run).
    pub rows_affected: i64,
    /// Per table.
    pub tables: Vec<TableSweep>,
}

/// A sweep of a rule over a file store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSweep {
    /// Rule name.
    #[serde(default)]
    pub rule: String,
    /// The store swept; its presence tells this shape from a [`SweepReport`].
    pub store: Store,
    /// Whether nothing was deleted on purpose.
    #[serde(default)]
    pub dry_run: bool,
    /// Files older than this (RFC 3339) were past the period.
    #[serde(default)]
    pub cutoff: String,
    /// `succeeded`.
    #[serde(default)]
    pub outcome: String,
    /// Files deleted (0 in a dry run).
    #[serde(default)]
    pub rows_affected: i64,
    /// Files past the period (for mail files, counted only when deleting: 0 in a dry run).
    #[serde(default)]
    pub rows_examined: i64,
}

/// `POST /retention/rules/{rule}/dry-run`: what a sweep of the rule would delete now.
/// Nothing is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DryRun {
    /// A rule over a file store (it has `store`).
    Store(StoreSweep),
    /// A rule over tables.
    Tables(SweepReport),
}

impl DryRun {
    /// `succeeded`, `failed` or `skipped`.
    pub fn outcome(&self) -> &str {
        match self {
            DryRun::Store(s) => &s.outcome,
            DryRun::Tables(t) => &t.outcome,
        }
    }

    /// Rows (or files) past the period.
    pub fn rows_examined(&self) -> i64 {
        match self {
            DryRun::Store(s) => s.rows_examined,
            DryRun::Tables(t) => t.rows_examined,
        }
    }

    /// Rows (or files) deleted: 0, since nothing is.
    pub fn rows_affected(&self) -> i64 {
        match self {
            DryRun::Store(s) => s.rows_affected,
            DryRun::Tables(t) => t.rows_affected,
        }
    }
}
