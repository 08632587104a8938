//! Why a call did not give what was asked, with the server's own reason: read from the
//! error body every refusal carries (`heepr_admin_api::ErrorEnvelope`).

use heepr_admin_api::{ErrorEnvelope, HoldRef, Status};

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

    /// The refusal in an error answer with `status` and body `text` (any body: one that is
    /// not an error envelope gives `HTTP <status>`).
    pub(super) fn from_body(status: u16, text: &str) -> ApiError {
        let body = serde_json::from_str::<ErrorEnvelope>(text)
            .unwrap_or_default()
            .error;
        let allowed = body
            .transition_refusal()
            .map(|d| d.allowed)
            .unwrap_or_default();
        let holds = body.hold_refusal().map(|d| d.holds).unwrap_or_default();
        let message = if body.message.is_empty() {
            format!("HTTP {status}")
        } else {
            body.message
        };
        ApiError::Refused {
            status,
            code: body.code,
            message,
            field: body.field,
            allowed,
            holds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
