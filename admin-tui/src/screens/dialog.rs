//! The confirmation dialog of an [`Op`]: it collects the reason, note or corrected value
//! (or, for an erasure, the subject's id typed back), the months of an extension or the
//! field rectified, and turns Enter into the [`Command`] to send — or into the reason
//! nothing was sent.

use crate::action::{Action, Command, Op};
use crate::api::{
    Hold, Kind, Objection, PlaceObjection, PlaceRestriction, Rectify, Request, Restriction, Status,
};

/// The fields staff may rectify, as the dialog cycles through them.
pub const RECTIFIABLE: [&str; 2] = ["display_name", "email"];

/// An open confirmation dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    /// The action confirmed.
    pub op: Op,
    /// The request it applies to.
    pub request: Request,
    /// The hold to lift ([`Op::LiftHold`]).
    pub hold: Option<Hold>,
    /// The restriction to lift ([`Op::LiftRestriction`]).
    pub restriction: Option<Restriction>,
    /// The objection to end ([`Op::EndObjection`]).
    pub objection: Option<Objection>,
    /// The field rectified ([`Op::Rectify`]): an index into [`RECTIFIABLE`].
    pub field: usize,
    /// Typed text: the reason, or the subject's id for erasure.
    pub input: String,
    /// Months to add ([`Op::Extend`]): 1 or 2.
    pub months: u32,
    /// Why the last Enter sent nothing.
    pub error: Option<String>,
}

/// What the dialog does with an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// It stays open.
    Stay,
    /// It closes without sending anything.
    Close,
    /// It closes and this is sent.
    Send(Command),
}

impl Dialog {
    /// A dialog for `op` on `request` (with the subject's active hold, restriction and
    /// objection, if any).
    pub fn new(
        op: Op,
        request: Request,
        hold: Option<Hold>,
        restriction: Option<Restriction>,
        objection: Option<Objection>,
    ) -> Dialog {
        Dialog {
            op,
            request,
            hold,
            restriction,
            objection,
            field: 0,
            input: String::new(),
            months: 1,
            error: None,
        }
    }

    /// Whether the dialog, while open, takes `action` (the rest works as without it).
    pub fn takes(action: &Action) -> bool {
        matches!(
            action,
            Action::Back
                | Action::Submit
                | Action::Input(_)
                | Action::Backspace
                | Action::MoreMonths
                | Action::FewerMonths
        )
    }

    /// Typing, months, Enter and Esc.
    pub fn update(&mut self, action: &Action) -> Step {
        match action {
            Action::Back => return Step::Close,
            Action::Submit => return self.submit(),
            Action::Input(c) => {
                self.input.push(*c);
                self.error = None;
            }
            Action::Backspace => {
                self.input.pop();
            }
            Action::MoreMonths | Action::FewerMonths if self.op == Op::Rectify => {
                self.field = (self.field + 1) % RECTIFIABLE.len();
            }
            Action::MoreMonths => self.months = (self.months + 1).min(2),
            Action::FewerMonths => self.months = self.months.saturating_sub(1).max(1),
            _ => {}
        }
        Step::Stay
    }

    /// The request this dialog's action completes, when it answers one of `kind` that may
    /// be completed now.
    fn completes(&self, kind: Kind) -> Option<String> {
        let r = &self.request;
        (r.kind == kind && r.allowed_transitions.contains(&Status::Completed)).then(|| r.id.clone())
    }

    /// Whether this dialog starts a request its subject has not confirmed, so staff must
    /// say how they checked the subject's identity (the server refuses it without).
    pub fn verifies(&self) -> bool {
        self.op == Op::Start && self.request.verified_at.is_none()
    }

    /// Enter: the command, once the reason is there and an erasure's id matches.
    fn submit(&mut self) -> Step {
        let reason = self.input.trim().to_string();
        if self.verifies() && reason.is_empty() {
            self.error = Some("say how you checked the subject's identity first".into());
            return Step::Stay;
        }
        if self.op.needs_reason() && reason.is_empty() {
            self.error =
                Some("type a reason first (it is recorded and may be sent to the subject)".into());
            return Step::Stay;
        }
        let id = self.request.id.clone();
        let transition = |to: Status, reason: Option<String>| Command::Transition {
            id: id.clone(),
            to: to.as_str().to_string(),
            reason,
        };
        let command = match self.op {
            Op::VerifyIdentity => transition(Status::AwaitingVerification, None),
            Op::Start => transition(Status::InProgress, self.verifies().then_some(reason)),
            Op::Complete => transition(Status::Completed, None),
            Op::Reject => transition(Status::Rejected, Some(reason)),
            Op::RunExport => Command::Export { id: id.clone() },
            Op::ApproveErasure => {
                if reason != self.request.account_id {
                    self.error = Some("that is not the subject's id: nothing was sent".into());
                    return Step::Stay;
                }
                Command::Erase { id: id.clone() }
            }
            Op::Extend => Command::Extend {
                id: id.clone(),
                months: self.months,
                reason,
            },
            Op::PlaceHold => Command::PlaceHold {
                account_id: self.request.account_id.clone(),
                reason,
            },
            Op::LiftHold => match self.hold.as_ref() {
                Some(h) => Command::LiftHold {
                    hold_id: h.id.clone(),
                    reason,
                },
                None => return Step::Stay,
            },
            Op::AddNote => Command::AddNote {
                id: id.clone(),
                text: reason,
            },
            Op::Rectify => Command::Rectify {
                account_id: self.request.account_id.clone(),
                body: Box::new(Rectify {
                    field: RECTIFIABLE[self.field % RECTIFIABLE.len()].into(),
                    value: reason,
                    reason: format!("asked in request {id}"),
                    request_id: self.completes(Kind::Rectification),
                }),
            },
            Op::Restrict => Command::Restrict {
                account_id: self.request.account_id.clone(),
                body: PlaceRestriction {
                    reason,
                    request_id: self.completes(Kind::Restriction),
                },
            },
            Op::LiftRestriction => match self.restriction.as_ref() {
                Some(x) => Command::LiftRestriction {
                    id: x.id.clone(),
                    reason,
                },
                None => return Step::Stay,
            },
            Op::Object => Command::Object {
                account_id: self.request.account_id.clone(),
                body: Box::new(PlaceObjection {
                    processing: "product_analytics".into(),
                    reason,
                    request_id: self.completes(Kind::Objection),
                }),
            },
            Op::EndObjection => match self.objection.as_ref() {
                Some(x) => Command::EndObjection {
                    id: x.id.clone(),
                    reason,
                },
                None => return Step::Stay,
            },
        };
        Step::Send(command)
    }
}
