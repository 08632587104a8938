//! Data-subject requests (DSRs): their states and kinds, the list answer and its query,
//! and the bodies that create, move and extend a request.

use serde::{Deserialize, Serialize};

/// Where a request stands in the server's state machine (`docs/admin-api.md` gives the
/// allowed moves; every [`Request`] lists them in `allowed_transitions`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded; nothing done yet.
    Received,
    /// Waiting for the subject to confirm their identity (emailed link).
    AwaitingVerification,
    /// Being worked on (the subject counts as verified); an export or erasure may run.
    InProgress,
    /// Paused (a legal hold or a question); `status_reason` says why.
    OnHold,
    /// Answered. Terminal.
    Completed,
    /// Refused; `status_reason` (emailed to the subject) says why. Terminal.
    Rejected,
    /// The job failed; `status_reason` gives the cause. May be retried.
    Failed,
    /// A status this reader does not know (a newer server).
    #[default]
    #[serde(other)]
    Unknown,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 7] = [
        Status::Received,
        Status::AwaitingVerification,
        Status::InProgress,
        Status::OnHold,
        Status::Completed,
        Status::Rejected,
        Status::Failed,
    ];

    /// The wire name (`in_progress`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::AwaitingVerification => "awaiting_verification",
            Status::InProgress => "in_progress",
            Status::OnHold => "on_hold",
            Status::Completed => "completed",
            Status::Rejected => "rejected",
            Status::Failed => "failed",
            Status::Unknown => "unknown",
        }
    }

    /// Whether the request is still open (neither completed nor rejected); an open request
    /// past its due date is overdue.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Completed | Status::Rejected)
    }
}

/// What a data subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Right of access and data portability: an export archive.
    Access,
    /// Rectification of inaccurate data (handled by staff).
    Rectification,
    /// Erasure: pseudonymisation and deletion.
    Erasure,
    /// Restriction of processing (handled by staff).
    Restriction,
    /// Objection to processing (handled by staff).
    Objection,
    /// Withdrawal of consent (handled by staff).
    ConsentWithdrawal,
    /// A kind this reader does not know (a newer server).
    #[default]
    #[serde(other)]
    Unknown,
}

impl Kind {
    /// Every kind, in display order.
    pub const ALL: [Kind; 6] = [
        Kind::Access,
        Kind::Rectification,
        Kind::Erasure,
        Kind::Restriction,
        Kind::Objection,
        Kind::ConsentWithdrawal,
    ];

    /// The wire name (`consent_withdrawal`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Rectification => "rectification",
            Kind::Erasure => "erasure",
            Kind::Restriction => "restriction",
            Kind::Objection => "objection",
            Kind::ConsentWithdrawal => "consent_withdrawal",
            Kind::Unknown => "unknown",
        }
    }
}

/// How the subject's identity was established before the request was acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifiedBy {
    /// Asked on the dashboard, signed in.
    SignedIn,
    /// The subject followed the link sent to the account's address.
    EmailLink,
    /// Staff checked it another way (`verification_note` says how).
    Staff,
    /// heepr opened the request itself (a child's account): nobody to check.
    Controller,
    /// An operator ran it on the server's command line.
    Operator,
    /// A way this reader does not know (a newer server).
    #[serde(other)]
    Unknown,
}

impl VerifiedBy {
    /// Words for the console ("checked by staff").
    pub fn describe(self) -> &'static str {
        match self {
            VerifiedBy::SignedIn => "signed in",
            VerifiedBy::EmailLink => "emailed link followed",
            VerifiedBy::Staff => "checked by staff",
            VerifiedBy::Controller => "opened by heepr",
            VerifiedBy::Operator => "operator on the server",
            VerifiedBy::Unknown => "unknown way",
        }
    }
}

/// A data-subject request (`Dsr` on the server): every answer that returns one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Request {
    /// Request id (UUIDv7).
    pub id: String,
    /// The data subject's account id; also what an officer types to confirm an erasure.
    pub account_id: String,
    /// What is asked.
    pub kind: Kind,
    /// Where it stands.
    pub status: Status,
    /// How it arrived: `dashboard`, `staff` or `cli`.
    pub channel: String,
    /// The subject's own words, if any.
    pub details: Option<String>,
    /// Why it is on hold, rejected or failed.
    pub status_reason: Option<String>,
    /// Received (RFC 3339).
    pub received_at: String,
    /// Due (RFC 3339): 30 days after receipt, plus 30 days per extension month.
    pub due_at: String,
    /// The same due date in Unix ms, for sorting and colouring.
    pub due_at_ms: i64,
    /// Months added to the deadline (0–2 in total, GDPR Art. 12(3)).
    pub extended_months: i64,
    /// Why the deadline was extended (emailed to the subject).
    pub extension_reason: Option<String>,
    /// When the subject's identity was verified (RFC 3339).
    pub verified_at: Option<String>,
    /// How it was verified (none before verification, or when not recorded then).
    pub verified_by: Option<VerifiedBy>,
    /// How staff checked the subject's identity, when they verified it. Starting a request
    /// its subject has not confirmed needs this as the transition's `reason`.
    pub verification_note: Option<String>,
    /// The open request of the same kind this one duplicates.
    pub duplicate_of: Option<String>,
    /// Who recorded it: `subject:<id>`, `staff:<id>` or `cli`.
    pub created_by: String,
    /// When it was completed (RFC 3339).
    pub completed_at: Option<String>,
    /// Whether its export or erasure job was asked for and has not finished.
    pub job_requested: bool,
    /// Open and past its due date, judged by the server's clock.
    pub overdue: bool,
    /// The states it may move to next.
    pub allowed_transitions: Vec<Status>,
}

/// `GET /requests`: soonest due first, at most 1000.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestList {
    /// The requests matching the query.
    pub requests: Vec<Request>,
}

/// The query of `GET /requests`; every parameter is optional. Unknown parameters are
/// ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestsQuery {
    /// Only this status (a [`Status`] wire name; others answer 422 `invalid_field`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Only this kind (a [`Kind`] wire name; others answer 422 `invalid_field`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `true`: only open requests past their due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
    /// Only requests (open or not) due before now + this many days (0–3650).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_within_days: Option<i64>,
    /// Only this subject's requests (account id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// Body of `POST /requests`: a request entered by staff for the account with `email`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// The account's email (matched case-insensitively; 404 when no account has it).
    pub email: String,
    /// A [`Kind`] wire name (others answer 422 `invalid_field`).
    pub kind: String,
    /// The subject's words, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// When the letter, call or email came in (RFC 3339; default now): the 30-day clock
    /// starts then. Not in the future and at most 30 days ago (422 `received_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
}

/// Body of `POST /requests/{id}/notes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// The note: 1 to 4,000 characters (422 `text`). Kept with the request (exported,
    /// redacted on erasure); the audit trail records only that a note was added.
    pub text: String,
}

/// A staff note on a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Note {
    /// Note id.
    pub id: String,
    /// The request it is on.
    pub request_id: String,
    /// Who wrote it (`staff:<id>`).
    pub author: String,
    /// What it says (emails masked for support).
    pub text: String,
    /// When it was written (Unix ms).
    pub created_at: i64,
}

/// Body of `POST /requests/{id}/transition`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// The target: a [`Status`] wire name (others answer 422 `invalid_field`).
    pub to: String,
    /// Why; required to enter `on_hold`, `rejected` or `failed`, and to enter `in_progress`
    /// when the subject has not confirmed the request (`verified_at` empty): then it says how
    /// staff checked the subject's identity and is kept as `verification_note`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Body of `POST /requests/{id}/extend`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// Months to add: 1 or 2 (at most 2 in total).
    pub months: u32,
    /// Why; emailed to the subject.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_tolerant() {
        let r: Request = serde_json::from_str(
            r#"{"id":"r1","status":"teleported","kind":"access","new_field":1,"allowed_transitions":["in_progress","later"]}"#,
        )
        .unwrap_or_default();
        assert_eq!(r.id, "r1");
        assert_eq!(r.status, Status::Unknown);
        assert_eq!(r.kind, Kind::Access);
        assert_eq!(
            r.allowed_transitions,
            vec![Status::InProgress, Status::Unknown]
        );
    }
}
