//! The admin API as the console sees it: tolerant JSON shapes (every field defaulted,
//! unknown fields ignored, unknown statuses and kinds kept as `Unknown`) and a small HTTP
//! client that turns every answer into a value or an [`ApiError`] carrying the server's own
//! reason (`docs/admin-api.md`).
//!
//! The staff token lives in [`Token`], whose `Debug` never shows it; it is only ever written
//! into the `Authorization` header.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Base path of every admin call.
pub const API_PREFIX: &str = "/admin/api/v1";

/// A staff bearer token. `Debug` and `Display` print `***`, so it cannot leak into logs or
/// the screen.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token (surrounding whitespace removed).
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into().trim().to_string())
    }

    /// Whether the token is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn header(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Where a data-subject request stands (the server's state machine).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Just arrived.
    Received,
    /// Waiting for the subject to confirm their identity.
    AwaitingVerification,
    /// Being worked on (the subject counts as verified).
    InProgress,
    /// Paused (legal hold or a question), with a reason.
    OnHold,
    /// Done.
    Completed,
    /// Refused, with a reason sent to the subject.
    Rejected,
    /// The job failed, with its cause.
    Failed,
    /// A status this console does not know (a newer server).
    #[default]
    #[serde(other)]
    Unknown,
}

impl Status {
    /// Every known status, in the order of the state machine (used for filters and counts).
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

    /// A short label for narrow screens (`awaiting`).
    pub fn label(self) -> &'static str {
        match self {
            Status::AwaitingVerification => "awaiting",
            Status::InProgress => "in progress",
            Status::OnHold => "on hold",
            other => other.as_str(),
        }
    }

    /// Whether the request is still open (not completed or rejected).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Completed | Status::Rejected)
    }
}

/// What a data subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Right of access (an export archive).
    Access,
    /// Rectification.
    Rectification,
    /// Erasure.
    Erasure,
    /// Restriction of processing.
    Restriction,
    /// Objection.
    Objection,
    /// Consent withdrawal.
    ConsentWithdrawal,
    /// A kind this console does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

impl Kind {
    /// Every known kind (filter order).
    pub const ALL: [Kind; 6] = [
        Kind::Access,
        Kind::Rectification,
        Kind::Erasure,
        Kind::Restriction,
        Kind::Objection,
        Kind::ConsentWithdrawal,
    ];

    /// The wire name.
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

    /// A label of at most 10 characters for narrow screens.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Rectification => "rectify",
            Kind::Restriction => "restrict",
            Kind::ConsentWithdrawal => "consent wd",
            other => other.as_str(),
        }
    }
}

/// A staff member's role; support may only read and sees emails masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May do everything.
    PrivacyOfficer,
    /// Read-only.
    Support,
    /// Not yet known (before `GET /me` answered) or a role this console does not know:
    /// treated as read-only.
    #[default]
    #[serde(other)]
    Unknown,
}

/// `GET /me`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Me {
    /// Staff id.
    pub id: String,
    /// Staff email.
    pub email: String,
    /// Role.
    pub role: Role,
}

/// A data-subject request (`Dsr` in the API doc).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Request {
    /// Request id.
    pub id: String,
    /// The data subject's account id: also the pseudonymous id typed to confirm erasure.
    pub account_id: String,
    /// What is asked.
    pub kind: Kind,
    /// Where it stands.
    pub status: Status,
    /// `dashboard`, `staff` or `cli`.
    pub channel: String,
    /// The subject's words.
    pub details: Option<String>,
    /// Why on hold, rejected or failed.
    pub status_reason: Option<String>,
    /// Received (RFC 3339).
    pub received_at: String,
    /// Due (RFC 3339).
    pub due_at: String,
    /// Due (Unix ms), for sorting and colouring.
    pub due_at_ms: i64,
    /// Months added to the deadline (0–2).
    pub extended_months: i64,
    /// Why the deadline was extended.
    pub extension_reason: Option<String>,
    /// When the subject's identity was verified.
    pub verified_at: Option<String>,
    /// The open request this one duplicates.
    pub duplicate_of: Option<String>,
    /// Who recorded it.
    pub created_by: String,
    /// When it was completed.
    pub completed_at: Option<String>,
    /// Whether its export or erasure job is pending.
    pub job_requested: bool,
    /// Open and past its due date (the server's judgement).
    pub overdue: bool,
    /// States it may move to next.
    pub allowed_transitions: Vec<Status>,
}

/// A data subject at a glance.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Subject {
    /// Account id.
    pub account_id: String,
    /// Email (masked for support).
    pub email: String,
    /// Display name (or pseudonym once erased).
    pub display_name: String,
    /// `active` or `closed`.
    pub status: String,
    /// Whether erasure completed.
    pub erased: bool,
    /// Whether an active legal hold exists.
    pub on_hold: bool,
    /// Rows per data-map category.
    pub rows_by_category: BTreeMap<String, i64>,
    /// Rows per table.
    pub rows_by_table: BTreeMap<String, i64>,
}

/// One entry of the hash-chained audit trail.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct AuditEntry {
    /// Position in the chain.
    pub seq: i64,
    /// When (Unix ms).
    pub occurred_at: i64,
    /// `staff:<id>`, `subject:<id>`, `system`, `cli`, `anonymous`.
    pub actor: String,
    /// What happened (`dsr.transition`, `GET /admin/api/v1/requests`).
    pub action: String,
    /// The subject concerned.
    pub subject_account_id: Option<String>,
    /// The request concerned.
    pub request_id: Option<String>,
    /// `ok`, `refused`, `http 200`...
    pub outcome: String,
    /// Free-form details object.
    pub details: Value,
}

/// A legal hold on an account.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Hold {
    /// Hold id.
    pub id: String,
    /// The account held.
    pub account_id: String,
    /// Why.
    pub reason: String,
    /// Who placed it.
    pub placed_by: String,
    /// When (Unix ms).
    pub placed_at: i64,
    /// Who lifted it, if lifted.
    pub lifted_by: Option<String>,
    /// When it was lifted (Unix ms).
    pub lifted_at: Option<i64>,
    /// Why it was lifted.
    pub lift_reason: Option<String>,
}

impl Hold {
    /// Whether the hold is still in force.
    pub fn is_active(&self) -> bool {
        self.lifted_at.is_none()
    }
}

/// A hold named in a refusal or a preview: `{id, reason}`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct HoldRef {
    /// Hold id.
    pub id: String,
    /// Why.
    pub reason: String,
}

/// The export archive of an access request.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ExportArchive {
    /// Size (bytes).
    pub size_bytes: i64,
    /// SHA-256 (hex).
    pub sha256: String,
    /// When it is deleted (RFC 3339).
    pub expires_at: String,
    /// Whether it was already deleted.
    pub deleted: bool,
}

/// `GET /requests/{id}`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RequestDetail {
    /// The request.
    pub request: Request,
    /// Its subject.
    pub subject: Subject,
    /// Its audit timeline (oldest or newest first, as the server sends it).
    pub timeline: Vec<AuditEntry>,
    /// The export archive, if any.
    pub export_archive: Option<ExportArchive>,
}

/// Per table: what erasure would do with the subject's rows.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct TableCounts {
    /// `delete`, `update` or `keep`.
    pub erasure: String,
    /// The subject's rows.
    pub rows: i64,
    /// Rows deleted.
    pub deleted: i64,
    /// Rows with a column set to NULL.
    pub nulled: i64,
    /// Rows pseudonymised.
    pub pseudonymised: i64,
    /// Rows whose free text is redacted.
    pub redacted: i64,
    /// Rows kept.
    pub kept: i64,
}

/// `GET /requests/{id}/erasure/preview`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ErasurePreview {
    /// The subject.
    pub account_id: String,
    /// Active holds that would refuse the erasure.
    pub blocked_by_holds: Vec<HoldRef>,
    /// Per table.
    pub tables: BTreeMap<String, TableCounts>,
}

/// `GET /audit/verify`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ChainVerification {
    /// Entries checked.
    pub entries: i64,
    /// The first broken link, if any.
    pub first_broken: Option<BrokenLink>,
}

/// Where the audit chain breaks.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct BrokenLink {
    /// The entry at fault.
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

/// A retention rule as the console expects `GET /retention/rules` to describe it (the
/// `heepr retention rules` shape plus its last run).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RetentionRule {
    /// Rule name.
    pub rule: String,
    /// Period in words (`12 months`).
    pub period: String,
    /// Cron schedule, if swept on a schedule.
    pub schedule: Option<String>,
    /// Next scheduled run (RFC 3339).
    pub next_run: Option<String>,
    /// Tables governed by the rule.
    pub tables: Vec<String>,
    /// What the rule keeps, in words.
    pub description: String,
    /// The last run, if any.
    pub last_run: Option<RetentionRun>,
}

/// One sweep run (the `heepr sweep --json` shape).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RetentionRun {
    /// Rule name.
    pub rule: String,
    /// Whether nothing was deleted.
    pub dry_run: bool,
    /// When it finished or started (RFC 3339), if given.
    pub finished_at: Option<String>,
    /// Rows older than this were due (RFC 3339).
    pub cutoff: Option<String>,
    /// `ok`, `failed`...
    pub outcome: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Rows looked at.
    pub rows_examined: i64,
    /// Rows deleted (or that would be, for a dry run).
    pub rows_affected: i64,
}

/// One backup in the catalog (`compliance::backup::BackupEntry`'s shape).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Backup {
    /// Backup id.
    pub id: String,
    /// When taken (Unix ms).
    pub created_at_ms: i64,
    /// File name.
    pub file: String,
    /// Size (bytes).
    pub size_bytes: u64,
    /// Schema version it holds.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// When it last passed a test restore (Unix ms).
    pub verified_at_ms: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorBody {
    code: String,
    message: String,
    field: Option<String>,
    details: Value,
}

/// Why a call did not give what was asked: the server's refusal (with its reason), or no
/// answer at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status.
    #[error("{message} ({status} {code})")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The error code (`transition_not_allowed`).
        code: String,
        /// The server's reason.
        message: String,
        /// The field at fault (422).
        field: Option<String>,
        /// For a refused transition: the states allowed from here.
        allowed: Vec<Status>,
        /// For a legal-hold refusal: the holds.
        holds: Vec<HoldRef>,
    },
    /// No answer (connection refused, timeout).
    #[error("server unreachable: {0}")]
    Network(String),
    /// An answer this console cannot read.
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl ApiError {
    /// Whether a read may be retried: no answer, or a 5xx / 429.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Refused { status, .. } => *status >= 500 || *status == 429,
            ApiError::Decode(_) => false,
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A 404 `not_found` for a route the server does not have (an older or newer server).
    pub fn is_missing_endpoint(&self) -> bool {
        matches!(self, ApiError::Refused { status: 404, message, .. } if message.starts_with("no such endpoint"))
    }

    fn from_body(status: u16, text: &str) -> ApiError {
        let body: ErrorEnvelope = serde_json::from_str(text).unwrap_or_default();
        let details = &body.error.details;
        let allowed = serde_json::from_value(details["allowed"].clone()).unwrap_or_default();
        let holds = serde_json::from_value(details["holds"].clone()).unwrap_or_default();
        let message = if body.error.message.is_empty() {
            format!("HTTP {status}")
        } else {
            body.error.message
        };
        ApiError::Refused {
            status,
            code: body.error.code,
            message,
            field: body.error.field,
            allowed,
            holds,
        }
    }
}

/// An HTTP client of one server's admin API, signed in with one staff token.
#[derive(Clone)]
pub struct AdminClient {
    base: String,
    token: Token,
    http: reqwest::Client,
}

impl fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

impl AdminClient {
    /// A client for the server at `base` (`http://127.0.0.1:8080`); each call times out
    /// after 20 s.
    ///
    /// Errors: the HTTP client cannot be built.
    pub fn new(base: &str, token: Token) -> Result<AdminClient, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::Network(e.to_string()))?;
        Ok(AdminClient {
            base: base.trim_end_matches('/').to_string(),
            token,
            http,
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET {prefix}{path}` read as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let req = self.http.get(format!("{}{API_PREFIX}{path}", self.base));
        self.send(req).await
    }

    /// `POST {prefix}{path}` with an optional JSON body, read as `T`.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        let mut req = self.http.post(format!("{}{API_PREFIX}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, ApiError> {
        let response = req
            .header(reqwest::header::AUTHORIZATION, self.token.header())
            .send()
            .await
            .map_err(|e| ApiError::Network(describe_send_error(e)))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(ApiError::from_body(status, &text));
        }
        serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))
    }
}

/// A connection error in words, without the URL's query (never holds the token anyway).
fn describe_send_error(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused or unreachable".into()
    } else {
        e.without_url().to_string()
    }
}

/// Percent-encodes a query value (ids and emails; RFC 3986 unreserved kept).
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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

    #[test]
    fn refusal_keeps_reason_and_allowed_transitions() {
        let e = ApiError::from_body(
            409,
            r#"{"error":{"code":"transition_not_allowed","message":"cannot go","details":{"from":"received","allowed":["in_progress","rejected"]}}}"#,
        );
        let ApiError::Refused {
            code,
            message,
            allowed,
            ..
        } = e
        else {
            panic!("not a refusal");
        };
        assert_eq!(code, "transition_not_allowed");
        assert_eq!(message, "cannot go");
        assert_eq!(allowed, vec![Status::InProgress, Status::Rejected]);
    }

    #[test]
    fn token_never_prints() {
        let t = Token::new("secret-token");
        assert!(!format!("{t:?}").contains("secret"));
        let c = AdminClient::new("http://x", t).unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{c:?}").contains("secret"));
    }
}
