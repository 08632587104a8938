//! The confirmation dialog of an action: what will be sent, the reason or confirmation
//! typed so far, the new due date of an extension, and why the last Enter sent nothing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::style::{AMBER, DIM, RED, centered};
use crate::action::Op;
use crate::app::App;
use crate::dates::{day, extended_due};
use crate::screens::dialog::{Dialog, RECTIFIABLE};

/// Lines saying what `d` will do go to `lines`; returns the prompt of its text box (empty
/// when it has none).
fn explain(app: &App, d: &Dialog, lines: &mut Vec<Line<'static>>) -> &'static str {
    let r = &d.request;
    match d.op {
        Op::ApproveErasure => {
            if let Some(p) = app
                .detail
                .bundle
                .data
                .as_ref()
                .and_then(|b| b.preview.as_ref())
                .and_then(|p| p.as_ref().ok())
            {
                let (del, pseud): (i64, i64) = p
                    .tables
                    .values()
                    .fold((0, 0), |(a, b), c| (a + c.deleted, b + c.pseudonymised));
                lines.push(Line::from(format!(
                    "This erases the subject: {del} rows deleted, {pseud} pseudonymised."
                )));
            }
            lines.push(Line::from(Span::styled(
                "Type the subject's id to confirm:",
                Style::new().fg(AMBER),
            )));
            lines.push(Line::from(format!("  {}", r.account_id)));
            "subject id"
        }
        Op::Extend => {
            lines.push(Line::from(vec![
                Span::raw(format!(
                    "months: {} (↑/↓ to change)   due now {} → ",
                    d.months,
                    day(&r.due_at)
                )),
                Span::styled(
                    format!(
                        "new due date {}",
                        extended_due(r, d.months).unwrap_or_else(|| "?".into())
                    ),
                    Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
                ),
            ]));
            lines.push(Line::from("The reason is emailed to the subject."));
            "reason"
        }
        Op::Reject => {
            lines.push(Line::from("The reason is emailed to the subject."));
            "reason"
        }
        Op::PlaceHold => "reason for the hold",
        Op::LiftHold => {
            if let Some(h) = &d.hold {
                lines.push(Line::from(format!("hold {}: {}", h.id, h.reason)));
            }
            "reason for lifting"
        }
        Op::VerifyIdentity => {
            lines.push(Line::from("Moves the request to awaiting_verification."));
            ""
        }
        Op::Start if d.verifies() => {
            lines.push(Line::from(
                "The subject has not confirmed this request: starting it marks them verified.",
            ));
            lines.push(Line::from(Span::styled(
                "Say how you checked their identity (kept with the request):",
                Style::new().fg(AMBER),
            )));
            "how identity was checked"
        }
        Op::Start => {
            lines.push(Line::from("Moves the request to in_progress."));
            ""
        }
        Op::Complete => {
            lines.push(Line::from("Moves the request to completed."));
            ""
        }
        Op::RunExport => {
            lines.push(Line::from("(Re)builds the export archive."));
            ""
        }
        Op::AddNote => {
            lines.push(Line::from(
                "Kept with the request (exported with it); the audit trail records that a note was added.",
            ));
            "note"
        }
        Op::Rectify => {
            let field = RECTIFIABLE[d.field % RECTIFIABLE.len()];
            lines.push(Line::from(vec![
                Span::raw("field: "),
                Span::styled(
                    field.to_string(),
                    Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
                ),
                Span::raw(" (↑/↓ to change)"),
            ]));
            lines.push(Line::from(
                "The subject is emailed a notice; an open rectification request is completed.",
            ));
            "correct value"
        }
        Op::Restrict => {
            lines.push(Line::from(
                "Agents leave browse and search, no new orders, no marketing email; export and erasure still work.",
            ));
            lines.push(Line::from(
                "The subject sees the reason on their privacy page.",
            ));
            "reason"
        }
        Op::LiftRestriction => {
            if let Some(x) = &d.restriction {
                lines.push(Line::from(format!("restriction {}: {}", x.id, x.reason)));
            }
            "reason for lifting"
        }
        Op::Object => {
            lines.push(Line::from(
                "Objection to product analytics: the subject's orders leave the figures at once.",
            ));
            lines.push(Line::from(
                "The subject sees what they told us on their privacy page.",
            ));
            "what the subject said"
        }
        Op::EndObjection => {
            if let Some(x) = &d.objection {
                lines.push(Line::from(format!("objection {}: {}", x.id, x.reason)));
            }
            "why it ends"
        }
    }
}

/// Draws `d` centred over `area`.
pub fn draw(app: &App, d: &Dialog, frame: &mut Frame, area: Rect) {
    let r = &d.request;
    let mut lines = vec![
        Line::from(format!(
            "request {} ({}, {})",
            r.id,
            r.kind.as_str(),
            r.status.as_str()
        )),
        Line::from(format!("subject {}", app.subject_email(&r.account_id))),
        Line::from(""),
    ];
    let prompt = explain(app, d, &mut lines);
    if !prompt.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("{prompt}: "), Style::new().fg(Color::Cyan)),
            Span::raw(format!("{}_", d.input)),
        ]));
    }
    if let Some(e) = &d.error {
        lines.push(Line::from(Span::styled(e.clone(), Style::new().fg(RED))));
    }
    lines.push(Line::from(Span::styled(
        "Enter send · Esc cancel",
        Style::new().fg(DIM),
    )));
    let height = u16::try_from(lines.len() + 4).unwrap_or(14);
    let rect = centered(area, 76, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!("Confirm: {}", d.op.title()))),
        rect,
    );
}
