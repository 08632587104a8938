//! Messages of the intake mailbox as staff review them, and the classification staff give
//! a message intake could not classify.

use serde::{Deserialize, Serialize};

use crate::dsr::Kind;

/// What intake did with a message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum IntakeOutcome {
    /// A request was recorded (by intake, or by staff classifying it).
    RequestCreated,
    /// No account uses the sender's address: they were told.
    RejectedUnknownSender,
    /// The text names no right or several: staff classify it.
    NeedsClassification,
    /// No usable sender address.
    Unreadable,
    /// Recorded by an earlier pass.
    AlreadyRecorded,
    /// A copy of a message already recorded.
    DuplicateMessage,
    /// An auto-reply, bounce or list mail: ignored.
    IgnoredAutomatic,
    /// An outcome this reader does not know (a newer server).
    #[default]
    #[serde(other)]
    Unknown,
}

impl IntakeOutcome {
    /// Every outcome, in the order intake considers them.
    pub const ALL: [IntakeOutcome; 7] = [
        IntakeOutcome::RequestCreated,
        IntakeOutcome::RejectedUnknownSender,
        IntakeOutcome::NeedsClassification,
        IntakeOutcome::Unreadable,
        IntakeOutcome::AlreadyRecorded,
        IntakeOutcome::DuplicateMessage,
        IntakeOutcome::IgnoredAutomatic,
    ];

    /// The wire name (`needs_classification`).
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeOutcome::RequestCreated => "request_created",
            IntakeOutcome::RejectedUnknownSender => "rejected_unknown_sender",
            IntakeOutcome::NeedsClassification => "needs_classification",
            IntakeOutcome::Unreadable => "unreadable",
            IntakeOutcome::AlreadyRecorded => "already_recorded",
            IntakeOutcome::DuplicateMessage => "duplicate_message",
            IntakeOutcome::IgnoredAutomatic => "ignored_automatic",
            IntakeOutcome::Unknown => "unknown",
        }
    }
}

/// The query of `GET /intake`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeQuery {
    /// Only this outcome (an [`IntakeOutcome`] wire name; others answer 422
    /// `invalid_field`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Only the message that started this request (its evidence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One message of the intake mailbox, with the original as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntakeMessage {
    /// Intake row id.
    pub id: String,
    /// The sender's address (masked for support).
    pub from_address: String,
    /// Subject line.
    pub subject: Option<String>,
    /// When the mail server received it (RFC 3339): a request from it is received then.
    pub arrived_at: String,
    /// What intake did with it.
    pub outcome: IntakeOutcome,
    /// The kind read from the text or given by staff.
    pub kind: Option<Kind>,
    /// The sender's account, when their address is one's.
    pub account_id: Option<String>,
    /// The request it started.
    pub request_id: Option<String>,
    /// The message as received (RFC 5322 text; emails in it masked for support).
    pub raw_message: String,
}

/// `GET /intake`: oldest arrival first, at most 200.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntakeList {
    /// The messages matching the query.
    pub messages: Vec<IntakeMessage>,
}

/// Body of `POST /intake/{id}/classify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classify {
    /// A [`Kind`] wire name (others answer 422 `invalid_field`).
    pub kind: String,
}
