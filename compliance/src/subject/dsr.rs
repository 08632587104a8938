//! Data-subject requests (DSRs): their kinds, their states, the transitions allowed between
//! states, and their due dates.
//!
//! Rules: a request is answered within exactly 30 days of receipt (policy: "we'll respond
//! within 30 days"; GDPR Art. 12(3) says "one month", which is 31 days in seven months of the
//! year, so the policy's 30 days is the stricter there; a request received in February gets
//! 30 days too, one or two more than a calendar month). The controller may extend that by up to two further months
//! (Art. 12(3)); heepr counts an extension "month" as exactly 30 days, so an extension adds 30
//! or 60 days and the latest possible due date is 90 days after receipt. An extension is
//! accepted only before the original 30-day due date has passed (the subject must be told
//! within the first period) and only with a reason, which is sent to the subject.
//! The state machine is explicit: [`RequestStatus::allowed`] lists where a request may go
//! next, and [`check_transition`] refuses anything else with the allowed list.

use serde::Serialize;

use crate::base::clock::DAY_MS;

crate::stored_state! {
    /// The standard kinds of data-subject request (`dsr_requests.kind`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RequestKind: "kind" {
        /// Right of access and data portability: an export archive.
        Access = "access",
        /// Correction of inaccurate data (handled by staff).
        Rectification = "rectification",
        /// Erasure ("right to be forgotten"): pseudonymisation and deletion.
        Erasure = "erasure",
        /// Restriction of processing (handled by staff).
        Restriction = "restriction",
        /// Objection to processing (handled by staff).
        Objection = "objection",
        /// Withdrawal of consent (handled by staff).
        ConsentWithdrawal = "consent_withdrawal",
    }
}

impl RequestKind {
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

crate::stored_state! {
    /// How the data subject's identity was established before a request was acted on
    /// (`dsr_requests.verified_by`; GDPR Art. 12(6): the controller acts on a request only
    /// once it is reasonably sure who asks). Staff verifying by other means must say how
    /// (`verification_note`), so an auditor can tell a checked request from a waved-through one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum VerifiedBy: "verified_by" {
        /// Asked on the dashboard, signed in with the account's password or provider.
        SignedIn = "signed_in",
        /// The subject followed the confirmation link sent to the account's own address.
        EmailLink = "email_link",
        /// A staff member checked the subject's identity another way; the note says how.
        Staff = "staff",
        /// heepr opened the request itself (an account staff flagged as a child's): there is
        /// no requester whose identity to check.
        Controller = "controller",
        /// An operator ran it on the server's command line for a known account.
        Operator = "operator",
    }
}

impl VerifiedBy {
    /// Words for the console and pages ("by the emailed link").
    pub fn describe(self) -> &'static str {
        match self {
            VerifiedBy::SignedIn => "signed in to their account",
            VerifiedBy::EmailLink => "followed the link sent to the account's address",
            VerifiedBy::Staff => "checked by staff",
            VerifiedBy::Controller => "opened by heepr itself",
            VerifiedBy::Operator => "run by an operator on the server",
        }
    }
}

/// A name that is not a known kind or status (the error of every stored state's `FromStr`).
pub type UnknownName = crate::base::stored_state::UnknownState;

crate::stored_state! {
    /// Where a request stands (`dsr_requests.status`), in lifecycle order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RequestStatus: "status" {
        /// Recorded; nothing done yet.
        Received = "received",
        /// Waiting for the subject to click the confirmation link sent to the account's email.
        AwaitingVerification = "awaiting_verification",
        /// Verified and being worked on (an export or erasure job may be running).
        InProgress = "in_progress",
        /// Paused, e.g. by a legal hold; `status_reason` says why.
        OnHold = "on_hold",
        /// Answered. Terminal.
        Completed = "completed",
        /// Refused; `status_reason` says why. Terminal.
        Rejected = "rejected",
        /// The job failed; `status_reason` gives the cause. May be retried.
        Failed = "failed",
    }
}

impl RequestStatus {
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

    /// Whether the request is still open: not answered (completed or rejected). A failed
    /// request is open: its job is retried, or staff retry or reject it, and it is overdue
    /// past its due date like any other (policy: "we'll respond within 30 days").
    pub fn is_open(self) -> bool {
        !matches!(self, RequestStatus::Completed | RequestStatus::Rejected)
    }

    /// Whether entering this state needs a reason (on hold, rejected, failed).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            RequestStatus::OnHold | RequestStatus::Rejected | RequestStatus::Failed
        )
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

/// The most a deadline may be extended, in extension months of [`EXTENSION_MONTH_DAYS`] days
/// (GDPR Art. 12(3): "by two further months").
pub const MAX_EXTENSION_MONTHS: u32 = 2;

/// Days from receipt to the original due date (policy: "within 30 days").
pub const DUE_DAYS: i64 = 30;

/// Days one extension month adds: exactly 30, so an extension adds 30 or 60 days.
pub const EXTENSION_MONTH_DAYS: i64 = 30;

/// The due date (Unix ms) of a request received at `received_at_ms` and extended by
/// `extended_months` extension months: exactly 30 days after receipt, plus 30 days per
/// extension month (at most [`MAX_EXTENSION_MONTHS`]), whatever the calendar month's length.
pub fn due_at(received_at_ms: i64, extended_months: u32) -> i64 {
    let extension = i64::from(extended_months.min(MAX_EXTENSION_MONTHS)) * EXTENSION_MONTH_DAYS;
    received_at_ms.saturating_add((DUE_DAYS + extension) * DAY_MS)
}

/// A deadline extension that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// The extension is empty or would exceed two months in total.
    #[error(
        "an extension adds 1 or 2 months (30 or 60 days), at most {MAX_EXTENSION_MONTHS} in total; {already} already used"
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
    /// The original 30-day due date has passed: GDPR Art. 12(3) requires the subject to be
    /// told of an extension within the first period, so it is too late to extend.
    #[error(
        "the original due date (30 days after receipt) has passed; an extension must be decided and sent to the subject before it"
    )]
    TooLate {
        /// The original due date (Unix ms).
        original_due_at_ms: i64,
    },
}

/// A requested extension: the request as stored, and what staff asked for.
#[derive(Debug, Clone, Copy)]
pub struct Extension<'a> {
    /// The request's current state.
    pub status: RequestStatus,
    /// When the request was received (Unix ms); the original due date is 30 days later.
    pub received_at_ms: i64,
    /// Extension months already granted.
    pub already: u32,
    /// Extension months asked for now (1 or 2).
    pub months: u32,
    /// Why; sent to the subject.
    pub reason: &'a str,
}

/// Checks an extension at `now_ms`; returns the new total of extension months.
///
/// Errors: see [`ExtensionError`]; [`ExtensionError::TooLate`] once `now_ms` has reached the
/// original due date, whatever was granted before.
pub fn check_extension(ext: Extension<'_>, now_ms: i64) -> Result<u32, ExtensionError> {
    if !ext.status.is_open() {
        return Err(ExtensionError::Closed(ext.status));
    }
    if ext.reason.trim().is_empty() {
        return Err(ExtensionError::ReasonRequired);
    }
    let total = ext.already.saturating_add(ext.months);
    if ext.months == 0 || total > MAX_EXTENSION_MONTHS {
        return Err(ExtensionError::TooLong {
            already: ext.already,
        });
    }
    let original_due_at_ms = due_at(ext.received_at_ms, 0);
    if now_ms >= original_due_at_ms {
        return Err(ExtensionError::TooLate { original_due_at_ms });
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ms(y: i32, m: u32, d: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .map_or(0, |t| t.timestamp_millis())
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .map_or(0, |t| t.timestamp_millis())
    }

    #[test]
    fn due_exactly_thirty_days_later_across_month_ends() {
        // Month ends: 31-day months, February in common and leap years, the year's end.
        assert_eq!(due_at(ms(2027, 1, 31), 0), ms(2027, 3, 2));
        assert_eq!(due_at(ms(2028, 1, 31), 0), ms(2028, 3, 1));
        assert_eq!(due_at(ms(2027, 2, 28), 0), ms(2027, 3, 30));
        assert_eq!(due_at(ms(2028, 2, 28), 0), ms(2028, 3, 29));
        assert_eq!(due_at(ms(2028, 2, 29), 0), ms(2028, 3, 30));
        assert_eq!(due_at(ms(2026, 12, 31), 0), ms(2027, 1, 30));
        assert_eq!(due_at(ms(2026, 3, 15), 0), ms(2026, 4, 14));
        // The time of day is kept: 30 × 24 h, not "end of day".
        assert_eq!(due_at(at(2026, 7, 31, 23), 0), at(2026, 8, 30, 23));
        for start in [ms(2027, 1, 31), ms(2028, 2, 29), ms(2026, 12, 31)] {
            assert_eq!(due_at(start, 0) - start, 30 * DAY_MS);
        }
    }

    #[test]
    fn extensions_add_thirty_or_sixty_days() {
        assert_eq!(due_at(ms(2026, 12, 31), 1), ms(2027, 3, 1));
        assert_eq!(due_at(ms(2026, 12, 31), 2), ms(2027, 3, 31));
        assert_eq!(due_at(ms(2027, 1, 31), 2), ms(2027, 5, 1));
        // Never more than two extension months, whatever is stored.
        assert_eq!(due_at(ms(2027, 1, 31), 9), due_at(ms(2027, 1, 31), 2));
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

    fn ext(status: RequestStatus, already: u32, months: u32, reason: &str) -> Extension<'_> {
        Extension {
            status,
            received_at_ms: ms(2027, 1, 31),
            already,
            months,
            reason,
        }
    }

    #[test]
    fn extension_limits() {
        use RequestStatus::*;
        let now = ms(2027, 2, 10);
        assert_eq!(
            check_extension(ext(InProgress, 0, 2, "complex"), now),
            Ok(2)
        );
        assert!(check_extension(ext(InProgress, 1, 2, "complex"), now).is_err());
        assert!(check_extension(ext(InProgress, 0, 0, "complex"), now).is_err());
        assert_eq!(
            check_extension(ext(InProgress, 0, 1, " "), now),
            Err(ExtensionError::ReasonRequired)
        );
        assert!(check_extension(ext(Completed, 0, 1, "x"), now).is_err());
    }

    #[test]
    fn extension_refused_once_the_original_due_date_has_passed() {
        use RequestStatus::*;
        let due = ms(2027, 3, 2);
        assert_eq!(
            check_extension(ext(InProgress, 0, 1, "complex"), due - 1),
            Ok(1)
        );
        let late = Err(ExtensionError::TooLate {
            original_due_at_ms: due,
        });
        assert_eq!(check_extension(ext(InProgress, 0, 1, "complex"), due), late);
        // A first extension granted in time does not move the deadline for a second one.
        assert_eq!(
            check_extension(ext(InProgress, 1, 1, "complex"), due + DAY_MS),
            late
        );
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
