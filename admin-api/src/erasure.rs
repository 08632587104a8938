//! The erasure preview: what erasing a subject would do, table by table, before anything
//! is done.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::accounts::HoldRef;

/// Per table: what erasure does with the subject's rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableCounts {
    /// The table's erasure rule from the data map: `delete`, `update` or `keep`.
    pub erasure: String,
    /// The subject's rows in the table.
    pub rows: i64,
    /// Rows deleted.
    pub deleted: i64,
    /// Rows in which some column is set to NULL.
    pub nulled: i64,
    /// Rows in which some column is replaced by the subject's pseudonym (or a fixed value).
    pub pseudonymised: i64,
    /// Rows whose free text is searched for the subject's email and name to redact.
    pub redacted: i64,
    /// Rows kept (pseudonymised rows are kept too).
    pub kept: i64,
}

/// `GET /requests/{id}/erasure/preview`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErasurePreview {
    /// The data subject.
    pub account_id: String,
    /// Active legal holds that would refuse the erasure (409 `legal_hold`).
    pub blocked_by_holds: Vec<HoldRef>,
    /// Per table name (tables with a delete, update or keep rule).
    pub tables: BTreeMap<String, TableCounts>,
}
