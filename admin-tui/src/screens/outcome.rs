//! The server's answer to an action, in words: success with what changed (the new status,
//! the new due date, a job queued), or the refusal with its reason, the states allowed from
//! here and the holds in the way.

use serde_json::Value;

use crate::action::Command;
use crate::api::{ApiError, DryRun, Hold, Objection, Request, Restriction};

/// Start of the outcome line of an action whose job runs in the background.
const JOB_QUEUED: &str = "job queued";

/// What the server said to the last action.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Whether the server accepted it.
    pub ok: bool,
    /// One line: what was asked and the answer.
    pub headline: String,
    /// More lines: allowed transitions, holds, new due date.
    pub lines: Vec<String>,
}

impl Outcome {
    /// Once `request`'s job is done, the "job queued" line says so.
    pub fn follow_job(&mut self, request: &Request) {
        if request.job_requested {
            return;
        }
        for line in self.lines.iter_mut() {
            if line.starts_with(JOB_QUEUED) {
                *line = format!("job finished: request is now {}", request.status.as_str());
            }
        }
    }
}

/// `?` for a value the server left out.
fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "?" } else { s }
}

/// The headline of an accepted `command` (`what` in words) whose answer is `body`; more
/// lines go to `lines`.
fn accepted(command: &Command, what: &str, body: &Value, lines: &mut Vec<String>) -> String {
    match command {
        Command::PlaceHold { .. } => {
            let hold: Hold = serde_json::from_value(body.clone()).unwrap_or_default();
            format!("{what}: placed (hold {})", or_unknown(&hold.id))
        }
        Command::LiftHold { hold_id, .. } => format!("{what}: hold {hold_id} lifted"),
        Command::AddNote { .. } => format!("{what}: kept with the request"),
        Command::Rectify { .. } => {
            let completed = body["completed_request"].as_str().unwrap_or_default();
            if !completed.is_empty() {
                lines.push(format!(
                    "request {completed} completed; the subject is emailed"
                ));
            }
            format!("{what}: corrected; the subject is told")
        }
        Command::Restrict { .. } => {
            let r: Restriction = serde_json::from_value(body.clone()).unwrap_or_default();
            format!("{what}: in force (restriction {})", or_unknown(&r.id))
        }
        Command::LiftRestriction { id, .. } => format!("{what}: restriction {id} lifted"),
        Command::Object { body: sent, .. } => {
            let o: Objection = serde_json::from_value(body.clone()).unwrap_or_default();
            if let Some(rid) = &sent.request_id {
                lines.push(format!("request {rid} completed; the subject is emailed"));
            }
            format!(
                "{what}: in force (objection {}); their orders leave the analytics",
                or_unknown(&o.id)
            )
        }
        Command::EndObjection { id, .. } => format!("{what}: objection {id} ended"),
        Command::DryRun { .. } => {
            let (affected, examined, outcome) = match serde_json::from_value::<DryRun>(body.clone())
            {
                Ok(run) => (
                    run.rows_affected(),
                    run.rows_examined(),
                    run.outcome().to_string(),
                ),
                Err(_) => (0, 0, String::new()),
            };
            format!(
                "{what}: {affected} rows would be removed (of {examined} examined), outcome {}",
                or_unknown(&outcome),
            )
        }
        _ => {
            let r: Request = serde_json::from_value(body.clone()).unwrap_or_default();
            if matches!(command, Command::Extend { .. }) {
                lines.push(format!("new due date: {}", crate::dates::day(&r.due_at)));
            }
            if r.job_requested {
                lines.push(format!(
                    "{JOB_QUEUED}: the status updates here when it finishes"
                ));
            }
            format!("{what}: accepted, request is now {}", r.status.as_str())
        }
    }
}

/// The server's answer to `command` in words: success with what changed, or the refusal
/// with its reason, the allowed transitions and the holds in the way.
pub fn describe_answer(command: &Command, result: &Result<Value, ApiError>) -> Outcome {
    let what = command.describe();
    let mut lines = Vec::new();
    match result {
        Ok(body) => {
            let headline = accepted(command, &what, body, &mut lines);
            Outcome {
                ok: true,
                headline,
                lines,
            }
        }
        Err(e) => {
            if let ApiError::Refused { allowed, holds, .. } = e {
                if !allowed.is_empty() {
                    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                    lines.push(format!("allowed from here: {}", names.join(", ")));
                }
                for h in holds {
                    lines.push(format!("legal hold {}: {}", h.id, h.reason));
                }
            }
            Outcome {
                ok: false,
                headline: format!("{what}: refused: {e}"),
                lines,
            }
        }
    }
}
