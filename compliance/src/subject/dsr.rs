//! Data-subject requests (DSRs): their kinds, their states, the transitions allowed between
//! states, and their due dates.
//!
//! Rules (GDPR Art. 12(3)): a request is answered within one calendar month of receipt; the
//! controller may extend that by up to two further months, giving the subject the reason.
//! The state machine is explicit: [`RequestStatus::allowed`] lists where a request may go
//! next, and [`check_transition`] refuses anything else with the allowed list.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Months, Utc};
use serde::Serialize;

/// The standard kinds of data-subject request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Right of access and data portability: an export archive.
    Access,
    /// Correction of inaccurate data (handled by staff).
    Rectification,
    /// Erasure ("right to be forgotten"): pseudonymisation and deletion.
    Erasure,
    /// Restriction of processing (handled by staff).
    Restriction,
    /// Objection to processing (handled by staff).
    Objection,
    /// Withdrawal of consent (handled by staff).
    ConsentWithdrawal,
}

impl RequestKind {
    /// Every kind, in display order.
    pub const ALL: [RequestKind; 6] = [
        RequestKind::Access,
        RequestKind::Rectification,
        RequestKind::Erasure,
        RequestKind::Restriction,
        RequestKind::Objection,
        RequestKind::ConsentWithdrawal,
    ];

    /// The stored name (`access`, `erasure`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection => "objection",
            RequestKind::ConsentWithdrawal => "consent_withdrawal",
        }
    }

    /// Words for emails and pages ("an export of your data").
    pub fn describe(self) -> &'static str {
        match self {
            RequestKind::Access => "access to (an export of) your data",
            RequestKind::Rectification => "correction of your data",
            RequestKind::Erasure => "deletion of your account and data",
            RequestKind::Restriction => "restriction of processing",
            RequestKind::Objection => "objection to processing",
            RequestKind::ConsentWithdrawal => "withdrawal of consent",
        }
    }
}

/// A name that is not a known kind or status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {expected}")]
pub struct UnknownName {
    /// `kind` or `status`.
    pub what: &'static str,
    /// The rejected value.
    pub value: String,
    /// The accepted values, comma-separated.
    pub expected: String,
}

impl FromStr for RequestKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "kind",
                value: s.to_string(),
                expected: RequestKind::ALL.map(RequestKind::as_str).join(", "),
            })
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Recorded; nothing done yet.
    Received,
    /// Waiting for the subject to click the confirmation link sent to the account's email.
    AwaitingVerification,
    /// Verified and being worked on (an export or erasure job may be running).
    InProgress,
    /// Paused, e.g. by a legal hold; `status_reason` says why.
    OnHold,
    /// Answered. Terminal.
    Completed,
    /// Refused; `status_reason` says why. Terminal.
    Rejected,
    /// The job failed; `status_reason` gives the cause. May be retried.
    Failed,
}

impl RequestStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RequestStatus; 7] = [
        RequestStatus::Received,
        RequestStatus::AwaitingVerification,
        RequestStatus::InProgress,
        RequestStatus::OnHold,
        RequestStatus::Completed,
        RequestStatus::Rejected,
        RequestStatus::Failed,
    ];

    /// The stored name (`in_progress`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Received => "received",
            RequestStatus::AwaitingVerification => "awaiting_verification",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::OnHold => "on_hold",
            RequestStatus::Completed => "completed",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Failed => "failed",
        }
    }

    /// The states a request in this state may move to.
    pub fn allowed(self) -> &'static [RequestStatus] {
        use RequestStatus::*;
        match self {
            Received => &[AwaitingVerification, InProgress, Rejected],
            AwaitingVerification => &[InProgress, Rejected],
            InProgress => &[OnHold, Completed, Rejected, Failed],
            OnHold => &[InProgress, Rejected],
            Failed => &[InProgress, Rejected],
            Completed | Rejected => &[],
        }
    }

    /// Whether the request is still open (not completed, rejected or failed).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            RequestStatus::Completed | RequestStatus::Rejected | RequestStatus::Failed
        )
    }

    /// Whether entering this state needs a reason (on hold, rejected, failed).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            RequestStatus::OnHold | RequestStatus::Rejected | RequestStatus::Failed
        )
    }
}

impl FromStr for RequestStatus {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "status",
                value: s.to_string(),
                expected: RequestStatus::ALL.map(RequestStatus::as_str).join(", "),
            })
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transition the state machine refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// `to` is not reachable from `from`.
    #[error("a request that is {from} cannot become {to}; allowed: {}", allowed_list(.allowed))]
    NotAllowed {
        /// Current state.
        from: RequestStatus,
        /// Requested state.
        to: RequestStatus,
        /// Where the request may go instead.
        allowed: Vec<RequestStatus>,
    },
    /// The target state needs a reason and none was given.
    #[error("a reason is required to mark a request {0}")]
    ReasonRequired(RequestStatus),
}

fn allowed_list(allowed: &[RequestStatus]) -> String {
    if allowed.is_empty() {
        return "none (the request is closed)".to_string();
    }
    allowed
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that a request may move from `from` to `to` with `reason`.
///
/// Errors: [`TransitionError::NotAllowed`] (with the allowed targets) or
/// [`TransitionError::ReasonRequired`] for on hold, rejected and failed without a reason.
pub fn check_transition(
    from: RequestStatus,
    to: RequestStatus,
    reason: Option<&str>,
) -> Result<(), TransitionError> {
    if !from.allowed().contains(&to) {
        return Err(TransitionError::NotAllowed {
            from,
            to,
            allowed: from.allowed().to_vec(),
        });
    }
    if to.needs_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(TransitionError::ReasonRequired(to));
    }
    Ok(())
}

/// The most a deadline may be extended (months), GDPR Art. 12(3).
pub const MAX_EXTENSION_MONTHS: u32 = 2;

/// The due date (Unix ms) of a request received at `received_at_ms` and extended by
/// `extended_months`: one calendar month after receipt plus the extension, clamped to the
/// month's last day (received 31 January → due 28 or 29 February).
pub fn due_at(received_at_ms: i64, extended_months: u32) -> i64 {
    let Some(received) = DateTime::<Utc>::from_timestamp_millis(received_at_ms) else {
        return received_at_ms;
    };
    received
        .checked_add_months(Months::new(1 + extended_months.min(MAX_EXTENSION_MONTHS)))
        .map_or(received_at_ms, |d| d.timestamp_millis())
}

/// A deadline extension that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// The extension is empty or would exceed two months in total.
    #[error(
        "an extension adds 1 or 2 months, at most {MAX_EXTENSION_MONTHS} in total; {already} already used"
    )]
    TooLong {
        /// Months already added.
        already: u32,
    },
    /// No reason given (the subject must be told why).
    #[error("an extension needs a reason, which is sent to the subject")]
    ReasonRequired,
    /// The request is closed.
    #[error("a {0} request cannot be extended")]
    Closed(RequestStatus),
}

/// Checks an extension by `months` of a request in `status` already extended by `already`
/// months; returns the new total.
///
/// Errors: see [`ExtensionError`].
pub fn check_extension(
    status: RequestStatus,
    already: u32,
    months: u32,
    reason: &str,
) -> Result<u32, ExtensionError> {
    if !status.is_open() {
        return Err(ExtensionError::Closed(status));
    }
    if reason.trim().is_empty() {
        return Err(ExtensionError::ReasonRequired);
    }
    let total = already.saturating_add(months);
    if months == 0 || total > MAX_EXTENSION_MONTHS {
        return Err(ExtensionError::TooLong { already });
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ms(y: i32, m: u32, d: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .map_or(0, |t| t.timestamp_millis())
    }

    #[test]
    fn due_one_calendar_month_later_clamped() {
        assert_eq!(due_at(ms(2027, 1, 31), 0), ms(2027, 2, 28));
        assert_eq!(due_at(ms(2028, 1, 31), 0), ms(2028, 2, 29));
        assert_eq!(due_at(ms(2026, 3, 15), 0), ms(2026, 4, 15));
        assert_eq!(due_at(ms(2026, 3, 15), 2), ms(2026, 6, 15));
        assert_eq!(due_at(ms(2026, 12, 31), 1), ms(2027, 2, 28));
    }

    #[test]
    fn transitions_allowed_and_refused() {
        use RequestStatus::*;
        assert!(check_transition(AwaitingVerification, InProgress, None).is_ok());
        assert!(check_transition(InProgress, Completed, None).is_ok());
        let err = check_transition(Completed, InProgress, None).err();
        assert!(
            matches!(err, Some(TransitionError::NotAllowed { ref allowed, .. }) if allowed.is_empty())
        );
        let err = check_transition(AwaitingVerification, Completed, None).err();
        assert!(
            matches!(err, Some(TransitionError::NotAllowed { ref allowed, .. }) if allowed == &[InProgress, Rejected])
        );
        assert_eq!(
            check_transition(InProgress, Rejected, Some("  ")).err(),
            Some(TransitionError::ReasonRequired(Rejected))
        );
    }

    #[test]
    fn extension_limits() {
        use RequestStatus::*;
        assert_eq!(check_extension(InProgress, 0, 2, "complex"), Ok(2));
        assert!(check_extension(InProgress, 1, 2, "complex").is_err());
        assert!(check_extension(InProgress, 0, 1, " ").is_err());
        assert!(check_extension(Completed, 0, 1, "x").is_err());
    }

    #[test]
    fn names_round_trip() {
        for k in RequestKind::ALL {
            assert_eq!(k.as_str().parse::<RequestKind>().ok(), Some(k));
        }
        for s in RequestStatus::ALL {
            assert_eq!(s.as_str().parse::<RequestStatus>().ok(), Some(s));
        }
        assert!("nope".parse::<RequestStatus>().is_err());
    }
}
