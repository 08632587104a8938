//! The answers that bring objects of several modules together: a request with its subject,
//! timeline, archive and notes, and a subject with their holds, restrictions and requests.

use serde::{Deserialize, Serialize};

use crate::accounts::{Hold, Objection, Restriction, Subject};
use crate::audit::AuditEntry;
use crate::dsr::{Note, Request};

/// The export archive of an access request, as shown with the request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportArchive {
    /// Size (bytes).
    pub size_bytes: i64,
    /// SHA-256 of the archive (lower-case hex).
    pub sha256: String,
    /// When the archive is deleted (RFC 3339): 7 days after it was built.
    pub expires_at: String,
    /// Whether it was already deleted.
    pub deleted: bool,
}

/// `GET /requests/{id}`: the request with its subject, timeline and archive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestDetail {
    /// The request.
    pub request: Request,
    /// Its data subject at a glance.
    pub subject: Subject,
    /// The audit entries about this request (at most 500), newest first.
    pub timeline: Vec<AuditEntry>,
    /// The export archive, for an access request that has one.
    pub export_archive: Option<ExportArchive>,
    /// Staff notes on the request, oldest first.
    pub notes: Vec<Note>,
}

/// `GET /accounts/{id}` and `GET /accounts?email=`: the subject, their holds, restrictions
/// and requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Account {
    /// The subject summary.
    pub subject: Subject,
    /// Every hold, active first.
    pub holds: Vec<Hold>,
    /// Every request of the subject, soonest due first.
    pub requests: Vec<Request>,
    /// Every restriction of processing, the one in force first.
    pub restrictions: Vec<Restriction>,
    /// Every objection to processing, those in force first.
    pub objections: Vec<Objection>,
}
