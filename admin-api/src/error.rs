//! The error body every refusal and failure carries, its codes, and the details two codes
//! add:
//!
//! ```json
//! {"error": {"code": "transition_not_allowed", "message": "…", "details": {…}}}
//! ```
//!
//! A 4xx says what to do about it; a 500 says nothing about the cause (the server logs it).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::HoldRef;
use crate::dsr::Status;

/// The whole error answer: `{"error": ErrorBody}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorEnvelope {
    /// What went wrong.
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// A stable code a client can act on: one of [`CODES`].
    pub code: String,
    /// The reason, in words a person can act on.
    pub message: String,
    /// For `invalid_field`: the field at fault (`status`, `kind`, `reason`, `months`,
    /// `due_within_days`, `received_at`, `email`, `field`, `value`, `request_id`, `text`,
    /// `outcome`, or `body` for a body of the wrong shape).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `transition_not_allowed` a [`TransitionRefusal`], for `legal_hold` a
    /// [`HoldRefusal`]; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ErrorBody {
    /// The details of a refused transition, if the body has them.
    pub fn transition_refusal(&self) -> Option<TransitionRefusal> {
        self.details_as()
    }

    /// The details of a legal-hold refusal, if the body has them.
    pub fn hold_refusal(&self) -> Option<HoldRefusal> {
        self.details_as()
    }

    fn details_as<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.details
            .as_ref()
            .and_then(|d| serde_json::from_value(d.clone()).ok())
    }
}

/// `details` of a 409 `transition_not_allowed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransitionRefusal {
    /// Where the request stands.
    pub from: Status,
    /// Where it may go from there (empty from a terminal state).
    pub allowed: Vec<Status>,
}

/// `details` of a 409 `legal_hold`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HoldRefusal {
    /// The active holds in the way.
    pub holds: Vec<HoldRef>,
}

/// An error code with the HTTP status it comes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// HTTP status.
    pub status: u16,
    /// The `code` field.
    pub code: &'static str,
}

/// 400: the body is not JSON.
pub const BAD_REQUEST: ErrorCode = ErrorCode {
    status: 400,
    code: "bad_request",
};
/// 401: no bearer token, or an unknown one.
pub const UNAUTHENTICATED: ErrorCode = ErrorCode {
    status: 401,
    code: "unauthenticated",
};
/// 403: the support role on an action.
pub const FORBIDDEN: ErrorCode = ErrorCode {
    status: 403,
    code: "forbidden",
};
/// 403: an action sent cross-site by a browser (the `Origin` is not the server's).
pub const CROSS_ORIGIN_REQUEST: ErrorCode = ErrorCode {
    status: 403,
    code: "cross_origin_request",
};
/// 404: unknown request, account, hold or rule, no account with that email, or no such
/// endpoint (`message` starts with `no such endpoint`).
pub const NOT_FOUND: ErrorCode = ErrorCode {
    status: 404,
    code: "not_found",
};
/// 405: a route called with a method it does not have.
pub const METHOD_NOT_ALLOWED: ErrorCode = ErrorCode {
    status: 405,
    code: "method_not_allowed",
};
/// 409: the state machine forbids the move; details: [`TransitionRefusal`].
pub const TRANSITION_NOT_ALLOWED: ErrorCode = ErrorCode {
    status: 409,
    code: "transition_not_allowed",
};
/// 409: erasure or child flag on a held account; details: [`HoldRefusal`].
pub const LEGAL_HOLD: ErrorCode = ErrorCode {
    status: 409,
    code: "legal_hold",
};
/// 409: an export or erasure asked of a request of another kind, or not `in_progress`.
pub const JOB_NOT_APPLICABLE: ErrorCode = ErrorCode {
    status: 409,
    code: "job_not_applicable",
};
/// 409: a concurrent change won; reload and retry.
pub const REQUEST_CHANGED: ErrorCode = ErrorCode {
    status: 409,
    code: "request_changed",
};
/// 409: a restriction of processing is already in force on the account.
pub const ALREADY_RESTRICTED: ErrorCode = ErrorCode {
    status: 409,
    code: "already_restricted",
};
/// 409: the restriction was lifted already.
pub const ALREADY_LIFTED: ErrorCode = ErrorCode {
    status: 409,
    code: "already_lifted",
};
/// 409: an objection to that processing is already in force on the account.
pub const ALREADY_OBJECTING: ErrorCode = ErrorCode {
    status: 409,
    code: "already_objecting",
};
/// 409: the objection has ended already.
pub const ALREADY_WITHDRAWN: ErrorCode = ErrorCode {
    status: 409,
    code: "already_withdrawn",
};
/// 409: the intake message is not waiting for classification.
pub const ALREADY_CLASSIFIED: ErrorCode = ErrorCode {
    status: 409,
    code: "already_classified",
};
/// 409: a rectified email is another account's.
pub const EMAIL_TAKEN: ErrorCode = ErrorCode {
    status: 409,
    code: "email_taken",
};
/// 409: an export or erasure of the person is running; try again in a minute.
pub const SUBJECT_BUSY: ErrorCode = ErrorCode {
    status: 409,
    code: "subject_busy",
};
/// 409: a dry run of a rule that keeps data without a period (nothing to sweep).
pub const NO_PERIOD: ErrorCode = ErrorCode {
    status: 409,
    code: "no_period",
};
/// 413: the body is over the size limit.
pub const PAYLOAD_TOO_LARGE: ErrorCode = ErrorCode {
    status: 413,
    code: "payload_too_large",
};
/// 415: a body sent without `Content-Type: application/json`.
pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode = ErrorCode {
    status: 415,
    code: "unsupported_media_type",
};
/// 422: a field is invalid; `field` names it.
pub const INVALID_FIELD: ErrorCode = ErrorCode {
    status: 422,
    code: "invalid_field",
};
/// 500: the server failed; the cause is in its log, never in the answer.
pub const INTERNAL: ErrorCode = ErrorCode {
    status: 500,
    code: "internal",
};

/// Every code the admin API answers with.
pub const CODES: &[ErrorCode] = &[
    BAD_REQUEST,
    UNAUTHENTICATED,
    FORBIDDEN,
    CROSS_ORIGIN_REQUEST,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    TRANSITION_NOT_ALLOWED,
    LEGAL_HOLD,
    JOB_NOT_APPLICABLE,
    REQUEST_CHANGED,
    ALREADY_RESTRICTED,
    ALREADY_LIFTED,
    ALREADY_OBJECTING,
    ALREADY_WITHDRAWN,
    ALREADY_CLASSIFIED,
    EMAIL_TAKEN,
    SUBJECT_BUSY,
    NO_PERIOD,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    INVALID_FIELD,
    INTERNAL,
];
