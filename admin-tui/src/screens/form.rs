//! The form that records a request staff received by letter, phone or email: the
//! subject's email, the kind (chosen with ↑/↓), the person's words and when it came in
//! (the 30-day clock starts then; empty means now). Enter turns it into the
//! [`Command::CreateRequest`] to send, or says what is missing.

use crate::action::{Action, Command};
use crate::api::{CreateRequest, Kind};

/// A field of the form, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormField {
    /// The data subject's email.
    #[default]
    Email,
    /// The kind (↑/↓).
    Kind,
    /// The person's words.
    Details,
    /// When it came in: RFC 3339 or a date (`2026-06-01`); empty for now.
    ReceivedAt,
}

impl FormField {
    /// Every field, in Tab order.
    pub const ALL: [FormField; 4] = [
        FormField::Email,
        FormField::Kind,
        FormField::Details,
        FormField::ReceivedAt,
    ];

    /// Its label.
    pub fn label(self) -> &'static str {
        match self {
            FormField::Email => "email",
            FormField::Kind => "kind",
            FormField::Details => "details",
            FormField::ReceivedAt => "received at",
        }
    }
}

/// What the form does with an action.
#[derive(Debug, Clone, PartialEq)]
pub enum FormStep {
    /// It stays open.
    Stay,
    /// It closes without sending anything.
    Close,
    /// It closes and this is sent.
    Send(Command),
}

/// The open "new request" form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewRequestForm {
    /// The subject's email.
    pub email: String,
    /// The kind: an index into [`Kind::ALL`].
    pub kind: usize,
    /// The person's words.
    pub details: String,
    /// When it came in, as typed.
    pub received_at: String,
    /// The field being typed into.
    pub focus: FormField,
    /// Why the last Enter sent nothing.
    pub error: Option<String>,
}

impl NewRequestForm {
    /// The kind chosen.
    pub fn kind(&self) -> Kind {
        Kind::ALL[self.kind % Kind::ALL.len()]
    }

    /// The text of `field` (the kind's wire name for [`FormField::Kind`]).
    pub fn text(&self, field: FormField) -> &str {
        match field {
            FormField::Email => &self.email,
            FormField::Kind => self.kind().as_str(),
            FormField::Details => &self.details,
            FormField::ReceivedAt => &self.received_at,
        }
    }

    fn typed(&mut self) -> Option<&mut String> {
        match self.focus {
            FormField::Email => Some(&mut self.email),
            FormField::Kind => None,
            FormField::Details => Some(&mut self.details),
            FormField::ReceivedAt => Some(&mut self.received_at),
        }
    }

    /// Whether the form, while open, takes `action`.
    pub fn takes(action: &Action) -> bool {
        matches!(
            action,
            Action::Back
                | Action::Submit
                | Action::Input(_)
                | Action::Backspace
                | Action::MoreMonths
                | Action::FewerMonths
                | Action::NextField
        )
    }

    /// Typing, Tab, ↑/↓ on the kind, Enter and Esc.
    pub fn update(&mut self, action: &Action) -> FormStep {
        let n = Kind::ALL.len();
        match action {
            Action::Back => return FormStep::Close,
            Action::Submit => return self.submit(),
            Action::NextField => {
                let i = FormField::ALL.iter().position(|f| *f == self.focus);
                let next = i.map_or(0, |i| (i + 1) % FormField::ALL.len());
                self.focus = FormField::ALL[next];
            }
            Action::MoreMonths if self.focus == FormField::Kind => self.kind = (self.kind + 1) % n,
            Action::FewerMonths if self.focus == FormField::Kind => {
                self.kind = (self.kind + n - 1) % n;
            }
            Action::Input(c) => {
                if let Some(text) = self.typed() {
                    text.push(*c);
                }
                self.error = None;
            }
            Action::Backspace => {
                if let Some(text) = self.typed() {
                    text.pop();
                }
            }
            _ => {}
        }
        FormStep::Stay
    }

    fn submit(&mut self) -> FormStep {
        let email = self.email.trim();
        if email.is_empty() {
            self.error = Some("type the subject's email first".into());
            self.focus = FormField::Email;
            return FormStep::Stay;
        }
        let received = self.received_at.trim();
        // A bare date is the start of that day (UTC).
        let received_at = match received.len() {
            0 => None,
            10 => Some(format!("{received}T00:00:00Z")),
            _ => Some(received.to_string()),
        };
        let details = Some(self.details.trim().to_string()).filter(|d| !d.is_empty());
        FormStep::Send(Command::CreateRequest(Box::new(CreateRequest {
            email: email.to_string(),
            kind: self.kind().as_str().to_string(),
            details,
            received_at,
        })))
    }
}
