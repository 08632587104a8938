//! The one error type of the service. Domain functions return [`AppError`]; the JSON API
//! turns it into `{"error": {"code", "message"}}` with a fitting status, pages into a message
//! on the page. The body is the admin API's wire type (`heepr_admin_api::ErrorEnvelope`),
//! so the console reads every refusal with the type the server writes it with. A 4xx says what to fix; a 500 says nothing (the cause goes to the log).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use heepr_admin_api::{ErrorBody, ErrorEnvelope};

/// Everything that can go wrong serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field failed validation (422): which field and why.
    #[error("{message}")]
    Invalid {
        /// The request field at fault (`email`, `password`, ...).
        field: &'static str,
        /// What is wrong, in words the user can act on.
        message: String,
    },
    /// The request itself is malformed (400), e.g. bad JSON.
    #[error("{0}")]
    BadRequest(String),
    /// Wrong or missing `Content-Type` (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Not signed in, or the session has ended (401).
    #[error("sign in first: your session is missing or has ended")]
    Unauthenticated,
    /// Email or password did not match (401). Deliberately does not say which.
    #[error("email or password is incorrect")]
    BadCredentials,
    /// The resource does not exist or is not yours (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (409), e.g. an email already in use.
    #[error("{message}")]
    Conflict {
        /// Machine-readable code, e.g. `email_taken`.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// The caller is known but may not do this (403), e.g. a support-role staff token on an
    /// action.
    #[error("{0}")]
    Forbidden(String),
    /// The caller may not do this yet, for a reason they can fix (403 with its own code),
    /// e.g. `email_unverified` before an order.
    #[error("{message}")]
    Refused {
        /// Machine-readable code, e.g. `email_unverified`.
        code: &'static str,
        /// What to do about it.
        message: String,
    },
    /// The resource existed but is gone for good (410), e.g. an expired download link.
    #[error("{0}")]
    Gone(String),
    /// The client stopped sending a request body it had begun (408).
    #[error("{0}")]
    RequestTimeout(String),
    /// The request body is larger than this endpoint accepts (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A conflict (409) with machine-readable details, e.g. the allowed transitions.
    #[error("{message}")]
    ConflictWith {
        /// Machine-readable code, e.g. `transition_not_allowed`.
        code: &'static str,
        /// What conflicts.
        message: String,
        /// Extra JSON placed under `error.details`.
        details: serde_json::Value,
    },
    /// Too many attempts (429); try again after this many seconds.
    #[error("too many attempts: try again in {}", wait_words(*.retry_after_secs))]
    TooManyRequests {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// A failure the user cannot fix (500); details go to the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// A validation error on `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unauthenticated | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::ConflictWith { .. } => StatusCode::CONFLICT,
            AppError::Forbidden(_) | AppError::Refused { .. } => StatusCode::FORBIDDEN,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } => "invalid_field",
            AppError::BadRequest(_) => "bad_request",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadCredentials => "bad_credentials",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict { code, .. }
            | AppError::ConflictWith { code, .. }
            | AppError::Refused { code, .. } => code,
            AppError::Forbidden(_) => "forbidden",
            AppError::Gone(_) => "gone",
            AppError::RequestTimeout(_) => "request_timeout",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Internal(_) => "internal",
        }
    }

    /// The field at fault, for validation errors.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Logs internal errors (with their cause chain) and returns the message safe to show.
    pub fn public_message(&self) -> String {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        self.to_string()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::Internal(err.into())
    }
}

/// A stored state the enum does not know: the database and the code disagree (500).
impl From<heepr_compliance::base::stored_state::UnknownState> for AppError {
    fn from(err: heepr_compliance::base::stored_state::UnknownState) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(err)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let details = match &self {
            AppError::ConflictWith { details, .. } => Some(details.clone()),
            _ => None,
        };
        let body = ErrorBody {
            code: self.code().to_owned(),
            message: self.public_message(),
            field: self.field().map(str::to_owned),
            details,
        };
        let mut response = (status, Json(ErrorEnvelope { error: body })).into_response();
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

/// An error answer built outside a handler (fallbacks, layers): `status` with the one error
/// body, `{"error": {"code", "message"}}`.
pub fn error_response(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody {
        code: code.to_owned(),
        message,
        field: None,
        details: None,
    };
    (status, Json(ErrorEnvelope { error: body })).into_response()
}

/// Whether `err` is a unique-constraint violation on the named index (same name on both
/// backends, since the migrations name their indexes).
pub fn is_unique_violation(err: &sqlx::Error, index: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            let msg = db.message();
            db.is_unique_violation()
                && (db.constraint() == Some(index)
                    || msg.contains(index)
                    || constraint_columns_match(msg, index))
        }
        _ => false,
    }
}

// SQLite reports "UNIQUE constraint failed: t.c1, t.c2" rather than the index name; the
// migrations name unique indexes `<table>_<col1>[_<col2>...]_key`, so rebuild that name.
fn constraint_columns_match(msg: &str, index: &str) -> bool {
    let Some(cols) = msg.strip_prefix("UNIQUE constraint failed: ") else {
        return false;
    };
    let mut table = None;
    let mut names = Vec::new();
    for qualified in cols.split(", ") {
        let Some((t, c)) = qualified.split_once('.') else {
            return false;
        };
        table.get_or_insert(t);
        names.push(c);
    }
    table.is_some_and(|t| index == format!("{t}_{}_key", names.join("_")))
}

/// A wait in words a person reads at a glance: "45 seconds", "3 minutes", "2 hours".
fn wait_words(secs: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match secs {
        0..=119 => plural(secs, "second"),
        120..=7199 => plural(secs.div_ceil(60), "minute"),
        _ => plural(secs.div_ceil(3600), "hour"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_message_maps_to_index_name() {
        assert!(constraint_columns_match(
            "UNIQUE constraint failed: accounts.email",
            "accounts_email_key"
        ));
        assert!(!constraint_columns_match(
            "UNIQUE constraint failed: accounts.email",
            "sessions_token_hash_key"
        ));
        assert!(constraint_columns_match(
            "UNIQUE constraint failed: ledger_transfers.kind, ledger_transfers.reference",
            "ledger_transfers_kind_reference_key"
        ));
    }

    #[test]
    fn waits_read_in_the_largest_fitting_unit() {
        assert_eq!(wait_words(1), "1 second");
        assert_eq!(wait_words(90), "90 seconds");
        assert_eq!(wait_words(121), "3 minutes");
        assert_eq!(wait_words(172_492), "48 hours");
    }
}
