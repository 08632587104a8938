//! What can happen to the console: an [`Action`] (from a key, the clock or the network)
//! goes into `update`, which may answer with [`Effect`]s — network work that runs off the UI
//! task and comes back as [`Action::Net`] with a [`NetEvent`].

use serde::Serialize;
use serde_json::Value;

use crate::api::{
    Account, ApiError, AuditEntry, ChainVerification, CreateRequest, ErasurePreview, Extension,
    Hold, IntakeMessage, Kind, Me, NoteBody, Objection, PlaceObjection, PlaceRestriction, Reason,
    Rectify, Request, RequestDetail, Restriction, RetentionRule, Status, Subject, Transition,
    query_value,
};

/// The console's screens (tabs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Requests sorted by due date.
    #[default]
    Queue,
    /// One request: timeline, subject, holds, erasure preview, actions.
    Detail,
    /// Retention rules and runs.
    Retention,
    /// Backup catalog.
    Backups,
    /// Audit trail and chain verification.
    Audit,
}

impl Tab {
    /// Tabs in order, as numbered on screen (1–5).
    pub const ALL: [Tab; 5] = [
        Tab::Queue,
        Tab::Detail,
        Tab::Retention,
        Tab::Backups,
        Tab::Audit,
    ];

    /// Title on the tab bar.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Queue => "Queue",
            Tab::Detail => "Detail",
            Tab::Retention => "Retention",
            Tab::Backups => "Backups",
            Tab::Audit => "Audit",
        }
    }

    /// Position in [`Tab::ALL`].
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The tab to the right (the first after the last).
    pub fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    /// The tab to the left (the last before the first).
    pub fn previous(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

/// A privacy officer's action on the open request (support sees them disabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Move to `awaiting_verification`: the subject must confirm their identity.
    VerifyIdentity,
    /// Move to `in_progress` (marks the subject verified; starts an access export).
    Start,
    /// (Re)build the export archive of an `in_progress` access request.
    RunExport,
    /// Run the erasure of an `in_progress` erasure request; confirmed by typing the
    /// subject's account id.
    ApproveErasure,
    /// Move to `completed`.
    Complete,
    /// Move to `rejected` with a reason (emailed to the subject).
    Reject,
    /// Add 1 or 2 months to the deadline with a reason (emailed to the subject).
    Extend,
    /// Place a legal hold on the subject's account, with a reason.
    PlaceHold,
    /// Lift the subject's newest active legal hold, with a reason.
    LiftHold,
    /// Add a note to the request (kept with it).
    AddNote,
    /// Correct the subject's display name or email; completes a rectification request.
    Rectify,
    /// Restrict processing of the subject's data, with a reason; completes a restriction
    /// request.
    Restrict,
    /// Lift the subject's restriction of processing, with a reason.
    LiftRestriction,
    /// Record the subject's objection to product analytics, with what they said;
    /// completes an objection request.
    Object,
    /// End the subject's objection in force (withdrawn, or compelling grounds), with a
    /// reason.
    EndObjection,
}

impl Op {
    /// Every action, in the order of the actions bar.
    pub const ALL: [Op; 15] = [
        Op::VerifyIdentity,
        Op::Start,
        Op::RunExport,
        Op::ApproveErasure,
        Op::Complete,
        Op::Reject,
        Op::Extend,
        Op::PlaceHold,
        Op::LiftHold,
        Op::AddNote,
        Op::Rectify,
        Op::Restrict,
        Op::LiftRestriction,
        Op::Object,
        Op::EndObjection,
    ];

    /// Why `self` cannot be done on `bundle`'s request in its state, or `None` when it can:
    /// the console offers only what the server would accept.
    pub fn unavailable(self, bundle: &DetailBundle) -> Option<String> {
        let r = &bundle.detail.request;
        let moves_to = |to: Status| {
            if r.allowed_transitions.contains(&to) {
                None
            } else {
                Some(format!(
                    "a request that is {} cannot become {}",
                    r.status.as_str(),
                    to.as_str()
                ))
            }
        };
        let job = |kind: Kind| {
            if r.kind != kind {
                Some(format!("only for {} requests", kind.as_str()))
            } else if r.status != Status::InProgress {
                Some(format!(
                    "the request is {}, not in_progress",
                    r.status.as_str()
                ))
            } else {
                None
            }
        };
        let restricted = bundle.restrictions.iter().any(|x| x.lifted_at.is_none());
        let objecting = bundle.objections.iter().any(|x| x.withdrawn_at.is_none());
        match self {
            Op::VerifyIdentity => moves_to(Status::AwaitingVerification),
            Op::Start => moves_to(Status::InProgress),
            Op::Complete => moves_to(Status::Completed),
            Op::Reject => moves_to(Status::Rejected),
            Op::RunExport => job(Kind::Access),
            Op::ApproveErasure => job(Kind::Erasure),
            Op::Extend if !r.status.is_open() => {
                Some(format!("the request is {}", r.status.as_str()))
            }
            Op::LiftHold if !bundle.holds.iter().any(Hold::is_active) => {
                Some("no active legal hold on this subject".into())
            }
            Op::Restrict if restricted => Some("processing is already restricted".into()),
            Op::LiftRestriction if !restricted => {
                Some("no restriction of processing in force".into())
            }
            Op::Object if objecting => Some("an objection is already in force".into()),
            Op::EndObjection if !objecting => Some("no objection in force".into()),
            Op::Extend
            | Op::PlaceHold
            | Op::LiftHold
            | Op::AddNote
            | Op::Rectify
            | Op::Restrict
            | Op::LiftRestriction
            | Op::Object
            | Op::EndObjection => None,
        }
    }

    /// Name on screen.
    pub fn title(self) -> &'static str {
        match self {
            Op::VerifyIdentity => "verify identity",
            Op::Start => "start",
            Op::RunExport => "run export",
            Op::ApproveErasure => "approve erasure",
            Op::Complete => "complete",
            Op::Reject => "reject",
            Op::Extend => "extend",
            Op::PlaceHold => "place hold",
            Op::LiftHold => "lift hold",
            Op::AddNote => "note",
            Op::Rectify => "rectify",
            Op::Restrict => "restrict",
            Op::LiftRestriction => "lift restriction",
            Op::Object => "object",
            Op::EndObjection => "end objection",
        }
    }

    /// The key that starts it on the Detail screen.
    pub fn key(self) -> char {
        match self {
            Op::VerifyIdentity => 'v',
            Op::Start => 's',
            Op::RunExport => 'x',
            Op::ApproveErasure => 'E',
            Op::Complete => 'c',
            Op::Reject => 'R',
            Op::Extend => 'd',
            Op::PlaceHold => 'h',
            Op::LiftHold => 'l',
            Op::AddNote => 'n',
            Op::Rectify => 'e',
            Op::Restrict => 'p',
            Op::LiftRestriction => 'u',
            Op::Object => 'o',
            Op::EndObjection => 'O',
        }
    }

    /// Whether the confirmation dialog needs typed text (a reason, a note, a value).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Op::Reject
                | Op::Extend
                | Op::PlaceHold
                | Op::LiftHold
                | Op::AddNote
                | Op::Rectify
                | Op::Restrict
                | Op::LiftRestriction
                | Op::Object
                | Op::EndObjection
        )
    }
}

/// Everything `update` reacts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Leave the console.
    Quit,
    /// One second passed; `now_ms` is the wall clock (Unix ms).
    Tick {
        /// Current time (Unix ms).
        now_ms: i64,
    },
    /// Show or hide the help overlay.
    ToggleHelp,
    /// Go to a tab.
    Show(Tab),
    /// Next tab.
    NextTab,
    /// Previous tab.
    PrevTab,
    /// Reload what the current tab shows.
    Refresh,
    /// Selection or scroll up one line.
    Up,
    /// Selection or scroll down one line.
    Down,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// First line.
    Top,
    /// Last line.
    Bottom,
    /// Open the selected item (request → Detail; retention rule → dry run).
    Open,
    /// Close the dialog, search or help; on Detail, back to the Queue.
    Back,
    /// Queue: next status filter (all → received → ... → all).
    CycleStatus,
    /// Queue: next kind filter.
    CycleKind,
    /// Queue: type a search (email or id); Audit: filter by subject id.
    StartSearch,
    /// Audit: type an actor filter.
    StartActorFilter,
    /// Clear filters and search.
    ClearFilters,
    /// Detail: show or hide read-only calls (`GET ...`) in the timeline.
    ToggleReads,
    /// Detail: start an action on the open request (opens its confirmation dialog).
    Begin(Op),
    /// Audit: verify the chain again.
    VerifyChain,
    /// A typed character (search box or dialog).
    Input(char),
    /// Delete the last typed character.
    Backspace,
    /// Dialog: months + 1 (extend); the next choice (rectified field, a form's kind).
    MoreMonths,
    /// Dialog: months − 1 (extend); the previous choice.
    FewerMonths,
    /// Form: the next field.
    NextField,
    /// Queue: open the form that records a request received by letter, phone or email.
    NewRequest,
    /// Queue: type an email to find its data subject on the server.
    StartFind,
    /// Confirm the dialog or the search.
    Submit,
    /// An answer from the network task.
    Net(NetEvent),
}

/// Network work asked for by `update`; run off the UI task by the network module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `GET /me` (read; retried).
    LoadMe,
    /// `GET /requests` (read; retried).
    LoadQueue,
    /// `GET /accounts/{id}` for the subject's email and name (read; retried).
    LoadSubject(String),
    /// `GET /requests/{id}`, its erasure preview and the subject's holds (reads; retried).
    LoadDetail(String),
    /// `GET /audit?subject=` (read; retried).
    LoadAudit {
        /// Subject account id filter.
        subject: Option<String>,
    },
    /// `GET /audit/verify` (read; retried).
    VerifyAudit,
    /// `GET /retention/rules` (read; retried).
    LoadRetention,
    /// `GET /backups` (read; retried).
    LoadBackups,
    /// `GET /accounts?email=` (read; retried).
    FindSubject(String),
    /// An action: sent once, never retried automatically.
    Perform(Command),
}

/// A state-changing call (privacy officer only); never retried automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `POST /requests/{id}/transition`.
    Transition {
        /// Request id.
        id: String,
        /// Target status (wire name).
        to: String,
        /// Reason, when the target needs one.
        reason: Option<String>,
    },
    /// `POST /requests/{id}/extend`.
    Extend {
        /// Request id.
        id: String,
        /// 1 or 2.
        months: u32,
        /// Why (sent to the subject).
        reason: String,
    },
    /// `POST /requests/{id}/export`.
    Export {
        /// Request id.
        id: String,
    },
    /// `POST /requests/{id}/erasure`.
    Erase {
        /// Request id.
        id: String,
    },
    /// `POST /accounts/{id}/holds`.
    PlaceHold {
        /// Account id.
        account_id: String,
        /// Why.
        reason: String,
    },
    /// `POST /holds/{id}/lift`.
    LiftHold {
        /// Hold id.
        hold_id: String,
        /// Why.
        reason: String,
    },
    /// `POST /retention/rules/{rule}/dry-run`.
    DryRun {
        /// Rule name.
        rule: String,
    },
    /// `POST /requests`: a request received by letter, phone or email, entered by hand.
    CreateRequest(Box<CreateRequest>),
    /// `POST /requests/{id}/notes`.
    AddNote {
        /// Request id.
        id: String,
        /// The note.
        text: String,
    },
    /// `POST /accounts/{id}/rectify`.
    Rectify {
        /// Account id.
        account_id: String,
        /// The body.
        body: Box<Rectify>,
    },
    /// `POST /accounts/{id}/restriction`.
    Restrict {
        /// Account id.
        account_id: String,
        /// The body.
        body: PlaceRestriction,
    },
    /// `POST /restrictions/{id}/lift`.
    LiftRestriction {
        /// Restriction id.
        id: String,
        /// Why.
        reason: String,
    },
    /// `POST /accounts/{id}/objection`.
    Object {
        /// Account id.
        account_id: String,
        /// The body.
        body: Box<PlaceObjection>,
    },
    /// `POST /objections/{id}/withdraw`.
    EndObjection {
        /// Objection id.
        id: String,
        /// Why.
        reason: String,
    },
}

/// The JSON body of a [`Command`]: one of the admin API's request bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Body {
    /// `POST /requests/{id}/transition`.
    Transition(Transition),
    /// `POST /requests/{id}/extend`.
    Extension(Extension),
    /// Placing or lifting a legal hold, lifting a restriction.
    Reason(Reason),
    /// `POST /requests`.
    CreateRequest(CreateRequest),
    /// `POST /requests/{id}/notes`.
    Note(NoteBody),
    /// `POST /accounts/{id}/rectify`.
    Rectify(Rectify),
    /// `POST /accounts/{id}/restriction`.
    Restrict(PlaceRestriction),
    /// `POST /accounts/{id}/objection`.
    Object(PlaceObjection),
}

impl Command {
    /// The path it is sent to (`POST {API_PREFIX}{path}`).
    pub fn path(&self) -> String {
        match self {
            Command::Transition { id, .. } => format!("/requests/{}/transition", query_value(id)),
            Command::Extend { id, .. } => format!("/requests/{}/extend", query_value(id)),
            Command::Export { id } => format!("/requests/{}/export", query_value(id)),
            Command::Erase { id } => format!("/requests/{}/erasure", query_value(id)),
            Command::PlaceHold { account_id, .. } => {
                format!("/accounts/{}/holds", query_value(account_id))
            }
            Command::LiftHold { hold_id, .. } => format!("/holds/{}/lift", query_value(hold_id)),
            Command::DryRun { rule } => format!("/retention/rules/{}/dry-run", query_value(rule)),
            Command::CreateRequest(_) => "/requests".into(),
            Command::AddNote { id, .. } => format!("/requests/{}/notes", query_value(id)),
            Command::Rectify { account_id, .. } => {
                format!("/accounts/{}/rectify", query_value(account_id))
            }
            Command::Restrict { account_id, .. } => {
                format!("/accounts/{}/restriction", query_value(account_id))
            }
            Command::LiftRestriction { id, .. } => {
                format!("/restrictions/{}/lift", query_value(id))
            }
            Command::Object { account_id, .. } => {
                format!("/accounts/{}/objection", query_value(account_id))
            }
            Command::EndObjection { id, .. } => {
                format!("/objections/{}/withdraw", query_value(id))
            }
        }
    }

    /// The body it sends, if any.
    pub fn body(&self) -> Option<Body> {
        match self {
            Command::Transition { to, reason, .. } => Some(Body::Transition(Transition {
                to: to.clone(),
                reason: reason.clone(),
            })),
            Command::Extend { months, reason, .. } => Some(Body::Extension(Extension {
                months: *months,
                reason: reason.clone(),
            })),
            Command::PlaceHold { reason, .. }
            | Command::LiftHold { reason, .. }
            | Command::LiftRestriction { reason, .. }
            | Command::EndObjection { reason, .. } => Some(Body::Reason(Reason {
                reason: reason.clone(),
            })),
            Command::CreateRequest(body) => Some(Body::CreateRequest(CreateRequest::clone(body))),
            Command::AddNote { text, .. } => Some(Body::Note(NoteBody { text: text.clone() })),
            Command::Rectify { body, .. } => Some(Body::Rectify(Rectify::clone(body))),
            Command::Restrict { body, .. } => Some(Body::Restrict(body.clone())),
            Command::Object { body, .. } => Some(Body::Object(PlaceObjection::clone(body))),
            Command::Export { .. } | Command::Erase { .. } | Command::DryRun { .. } => None,
        }
    }

    /// What it does, in words, for the result line.
    pub fn describe(&self) -> String {
        match self {
            Command::Transition { to, .. } => format!("move to {to}"),
            Command::Extend { months, .. } => format!("extend by {months} month(s)"),
            Command::Export { .. } => "run export".into(),
            Command::Erase { .. } => "approve erasure".into(),
            Command::PlaceHold { .. } => "place legal hold".into(),
            Command::LiftHold { .. } => "lift legal hold".into(),
            Command::DryRun { rule } => format!("dry run of {rule}"),
            Command::CreateRequest(b) => format!("record {} request", b.kind),
            Command::AddNote { .. } => "add note".into(),
            Command::Rectify { body, .. } => format!("rectify {}", body.field),
            Command::Restrict { .. } => "restrict processing".into(),
            Command::LiftRestriction { .. } => "lift restriction".into(),
            Command::Object { .. } => "record objection".into(),
            Command::EndObjection { .. } => "end objection".into(),
        }
    }
}

/// The detail screen's data, loaded together.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DetailBundle {
    /// Request, subject, timeline, archive.
    pub detail: RequestDetail,
    /// The erasure preview (`Err` shown inline).
    pub preview: Option<Result<ErasurePreview, ApiError>>,
    /// The subject's holds, active first.
    pub holds: Vec<Hold>,
    /// The subject's restrictions of processing, the one in force first.
    pub restrictions: Vec<Restriction>,
    /// The subject's objections to processing, those in force first.
    pub objections: Vec<Objection>,
    /// The emailed message that started the request, if it came by email.
    pub intake: Option<IntakeMessage>,
}

/// An answer from the network task.
#[derive(Debug, Clone, PartialEq)]
pub enum NetEvent {
    /// `GET /me`.
    Me(Result<Me, ApiError>),
    /// `GET /requests`.
    Queue(Result<Vec<Request>, ApiError>),
    /// `GET /accounts/{id}`'s subject.
    Subject(String, Result<Subject, ApiError>),
    /// The detail screen's data for a request id.
    Detail(String, Result<Box<DetailBundle>, ApiError>),
    /// `GET /audit`.
    Audit(Result<Vec<AuditEntry>, ApiError>),
    /// `GET /audit/verify`.
    ChainVerified(Result<ChainVerification, ApiError>),
    /// `GET /retention/rules`.
    Retention(Result<Vec<RetentionRule>, ApiError>),
    /// `GET /backups`.
    Backups(Result<heepr_admin_api::BackupList, ApiError>),
    /// `GET /accounts?email=` for the email typed.
    Found(String, Result<Box<Account>, ApiError>),
    /// A read failed and is retried (attempt number, reason).
    Retrying {
        /// What is read.
        what: String,
        /// The attempt about to be made (2, 3, ...).
        attempt: u32,
        /// Why the last one failed.
        reason: String,
    },
    /// An action's answer: the server's JSON or its refusal.
    Done(Command, Result<Value, ApiError>),
}
