//! The hash-chained audit trail: its entries, the query that lists them, and the chain's
//! verification.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One entry of the audit trail. Every admin call adds one (action `METHOD /route`,
/// outcome `http <status>`), and so does every domain action (`dsr.transition`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (Unix ms, UTC).
    pub occurred_at: i64,
    /// Who acted: `staff:<id>`, `subject:<account id>`, `system`, `cli` or `anonymous`.
    pub actor: String,
    /// What was done: `dsr.transition`, `GET /admin/api/v1/requests/{id}`, ...
    pub action: String,
    /// The data subject concerned (account id).
    pub subject_account_id: Option<String>,
    /// The request concerned.
    pub request_id: Option<String>,
    /// `ok`, `refused`, `failed`, or `http <status>` for an admin call.
    pub outcome: String,
    /// Further facts: a JSON object of ids, counts and states (never emails or names).
    pub details: Value,
    /// The previous entry's hash (64 zeros for the first entry).
    pub prev_hash: String,
    /// SHA-256 (hex) over the previous hash and this entry's content.
    pub hash: String,
}

/// `GET /audit`: newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditList {
    /// The entries matching the query.
    pub entries: Vec<AuditEntry>,
}

/// The query of `GET /audit`; every parameter is optional. Unknown parameters are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Only entries about this data subject (account id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Only entries about this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Only entries before this sequence number (the next page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<i64>,
    /// At most this many entries: 1–500, default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// Where the audit chain breaks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrokenLink {
    /// The entry at fault (or the head's sequence number).
    pub seq: i64,
    /// What is wrong, in words.
    pub reason: String,
}

/// `GET /audit/verify`: the chain recomputed from the first entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChainVerification {
    /// Entries checked.
    pub entries: i64,
    /// The first broken link; `None` when the whole chain holds.
    pub first_broken: Option<BrokenLink>,
}
