//! Detail: one request — summary, staff notes, the emailed message it came from, subject
//! data by category, legal holds and restrictions, erasure preview per table and the audit
//! timeline (two columns when wide), with the actions bar (actions the request's state does
//! not allow dimmed) and the server's answer to the last action fixed at the bottom.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::style::{AMBER, DIM, GREEN, RED, WIDE, clip, error_line};
use crate::action::{DetailBundle, Op};
use crate::api::Request;
use crate::app::App;
use crate::dates::{DAY_MS, Urgency, day, minute_ms, urgency};

fn heading(text: &str) -> Line<'static> {
    Line::from(Span::styled(
        text.to_string(),
        Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan),
    ))
}

fn due_text(r: &Request, now_ms: i64) -> Span<'static> {
    let days = (r.due_at_ms - now_ms).div_euclid(DAY_MS);
    match urgency(r, now_ms) {
        Urgency::Overdue => Span::styled(
            format!("due {} (OVERDUE)", day(&r.due_at)),
            Style::new().fg(RED).add_modifier(Modifier::BOLD),
        ),
        Urgency::Soon => Span::styled(
            format!("due {} (in {days} days)", day(&r.due_at)),
            Style::new().fg(AMBER),
        ),
        Urgency::Normal => Span::raw(format!("due {} (in {days} days)", day(&r.due_at))),
        Urgency::Closed => Span::raw(format!("due {}", day(&r.due_at))),
    }
}

/// The request itself: kind, status, due date, subject, dates, reasons, archive.
fn request_lines(b: &DetailBundle, now_ms: i64) -> Vec<Line<'static>> {
    let r = &b.detail.request;
    let s = &b.detail.subject;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{} request", r.kind.as_str()),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(" · {} · ", r.status.as_str())),
            due_text(r, now_ms),
        ]),
        Line::from(format!("id {}", r.id)),
        Line::from(format!("subject {} ({})", s.email, s.display_name)),
        Line::from(format!("subject id {}", r.account_id)),
        Line::from(format!(
            "received {} via {} · verified {} · extended {} month(s)",
            day(&r.received_at),
            r.channel,
            verified_text(r),
            r.extended_months
        )),
    ];
    if let Some(note) = &r.verification_note {
        lines.push(Line::from(format!("identity checked: {note}")));
    }
    if s.erased {
        lines.push(Line::from(Span::styled(
            "subject erased",
            Style::new().fg(GREEN).add_modifier(Modifier::BOLD),
        )));
    }
    if r.job_requested {
        lines.push(Line::from(Span::styled(
            "job running: refreshing until it finishes",
            Style::new().fg(Color::Cyan),
        )));
    }
    if let Some(reason) = &r.status_reason {
        lines.push(Line::from(format!("status reason: {reason}")));
    }
    if let Some(reason) = &r.extension_reason {
        lines.push(Line::from(format!("extension reason: {reason}")));
    }
    if let Some(d) = &r.duplicate_of {
        lines.push(Line::from(format!("duplicate of {d}")));
    }
    if let Some(d) = &r.details {
        lines.push(Line::from(format!("subject's words: {d}")));
    }
    if let Some(a) = &b.detail.export_archive {
        lines.push(Line::from(format!(
            "export archive: {} bytes, sha256 {}…, expires {}{}",
            a.size_bytes,
            a.sha256.chars().take(12).collect::<String>(),
            day(&a.expires_at),
            if a.deleted { " (deleted)" } else { "" }
        )));
    }
    lines
}

/// Longest part of an emailed message shown (lines).
const MESSAGE_LINES: usize = 12;

/// Staff notes, and the emailed message the request came from.
fn notes_lines(b: &DetailBundle, lines: &mut Vec<Line<'static>>) {
    if !b.detail.notes.is_empty() {
        lines.push(Line::from(""));
        lines.push(heading("Notes"));
        for n in &b.detail.notes {
            lines.push(Line::from(format!(
                "  {} {}: {}",
                minute_ms(n.created_at),
                n.author,
                n.text
            )));
        }
    }
    if let Some(m) = &b.intake {
        lines.push(Line::from(""));
        lines.push(heading(&format!(
            "Emailed message (from {}, arrived {})",
            m.from_address,
            day(&m.arrived_at)
        )));
        // Headers and body as received, cut short; the whole message is the evidence kept.
        let total = m.raw_message.lines().count();
        for l in m.raw_message.lines().take(MESSAGE_LINES) {
            lines.push(Line::from(Span::styled(
                format!("  {l}"),
                Style::new().fg(DIM),
            )));
        }
        if total > MESSAGE_LINES {
            lines.push(Line::from(format!(
                "  … {} more lines",
                total - MESSAGE_LINES
            )));
        }
    }
}

/// The subject's objections to processing, those in force in amber.
fn objection_lines(b: &DetailBundle, lines: &mut Vec<Line<'static>>) {
    if b.objections.is_empty() {
        return;
    }
    lines.push(Line::from(""));
    lines.push(heading("Objections to processing"));
    for x in &b.objections {
        let line = match x.withdrawn_at {
            None => Line::from(Span::styled(
                format!(
                    "  IN FORCE since {}: {}: {}",
                    minute_ms(x.placed_at),
                    x.processing,
                    x.reason
                ),
                Style::new().fg(AMBER),
            )),
            Some(at) => Line::from(Span::styled(
                format!(
                    "  ended {}: {}: {} (ended: {})",
                    minute_ms(at),
                    x.processing,
                    x.reason,
                    x.withdraw_reason.as_deref().unwrap_or("-")
                ),
                Style::new().fg(DIM),
            )),
        };
        lines.push(line);
    }
}

/// The subject's restrictions of processing, the one in force in red.
fn restriction_lines(b: &DetailBundle, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::from(""));
    lines.push(heading("Restriction of processing"));
    if b.restrictions.is_empty() {
        lines.push(Line::from("  none"));
    }
    for x in &b.restrictions {
        let line = match x.lifted_at {
            None => Line::from(Span::styled(
                format!(
                    "  IN FORCE since {}: {} (by {})",
                    minute_ms(x.placed_at),
                    x.reason,
                    x.placed_by
                ),
                Style::new().fg(RED),
            )),
            Some(at) => Line::from(Span::styled(
                format!(
                    "  lifted {}: {} (lifted: {})",
                    minute_ms(at),
                    x.reason,
                    x.lift_reason.as_deref().unwrap_or("-")
                ),
                Style::new().fg(DIM),
            )),
        };
        lines.push(line);
    }
}

/// The subject's rows by category and their legal holds, active in red.
fn subject_lines(b: &DetailBundle, lines: &mut Vec<Line<'static>>) {
    let s = &b.detail.subject;
    lines.push(heading("Subject data by category"));
    if s.rows_by_category.is_empty() {
        lines.push(Line::from("  no rows"));
    }
    for (cat, n) in &s.rows_by_category {
        lines.push(Line::from(format!("  {cat:<22} {n:>6} rows")));
    }
    lines.push(Line::from(""));
    lines.push(heading("Legal holds"));
    if b.holds.is_empty() {
        lines.push(Line::from("  none"));
    }
    for h in &b.holds {
        let line = if h.is_active() {
            Line::from(Span::styled(
                format!(
                    "  ACTIVE {}: {} (by {}, {})",
                    h.id,
                    h.reason,
                    h.placed_by,
                    minute_ms(h.placed_at)
                ),
                Style::new().fg(RED),
            ))
        } else {
            Line::from(Span::styled(
                format!(
                    "  lifted {}: {} (lifted: {})",
                    h.id,
                    h.reason,
                    h.lift_reason.as_deref().unwrap_or("-")
                ),
                Style::new().fg(DIM),
            ))
        };
        lines.push(line);
    }
}

/// What erasure would do, per table with rows, and the holds that would refuse it.
fn preview_lines(b: &DetailBundle, lines: &mut Vec<Line<'static>>) {
    lines.push(heading("Erasure preview (rows per table)"));
    match &b.preview {
        None => lines.push(Line::from("  loading…")),
        Some(Err(e)) => lines.push(error_line(&e.to_string())),
        Some(Ok(p)) => {
            for h in &p.blocked_by_holds {
                lines.push(Line::from(Span::styled(
                    format!("  blocked by hold {}: {}", h.id, h.reason),
                    Style::new().fg(RED),
                )));
            }
            lines.push(Line::from(Span::styled(
                format!(
                    "  {:<20} {:<6} {:>5} {:>5} {:>5} {:>5} {:>5}",
                    "table", "rule", "rows", "del", "null", "pseud", "keep"
                ),
                Style::new().add_modifier(Modifier::UNDERLINED),
            )));
            for (table, c) in p.tables.iter().filter(|(_, c)| c.rows > 0) {
                lines.push(Line::from(format!(
                    "  {:<20} {:<6} {:>5} {:>5} {:>5} {:>5} {:>5}",
                    clip(table, 20),
                    c.erasure,
                    c.rows,
                    c.deleted,
                    c.nulled,
                    c.pseudonymised,
                    c.kept
                )));
            }
        }
    }
}

fn summary_lines(b: &DetailBundle, now_ms: i64) -> Vec<Line<'static>> {
    let mut lines = request_lines(b, now_ms);
    notes_lines(b, &mut lines);
    lines.push(Line::from(""));
    subject_lines(b, &mut lines);
    restriction_lines(b, &mut lines);
    objection_lines(b, &mut lines);
    lines.push(Line::from(""));
    preview_lines(b, &mut lines);
    lines
}

fn timeline_lines(b: &DetailBundle, show_reads: bool) -> Vec<Line<'static>> {
    let is_read = |e: &&crate::api::AuditEntry| e.action.starts_with("GET ");
    let hidden = if show_reads {
        0
    } else {
        b.detail.timeline.iter().filter(is_read).count()
    };
    let title = if hidden > 0 {
        format!("Timeline (audit trail; {hidden} reads hidden, [a] shows them)")
    } else {
        "Timeline (audit trail)".to_string()
    };
    let mut lines = vec![heading(&title)];
    if b.detail.timeline.is_empty() {
        lines.push(Line::from("  no entries"));
    }
    let mut entries: Vec<_> = b
        .detail
        .timeline
        .iter()
        .filter(|e| show_reads || !is_read(e))
        .collect();
    entries.sort_by_key(|e| e.seq);
    for e in entries {
        let style = if e.outcome == "refused" || e.outcome.starts_with("http 4") {
            Style::new().fg(AMBER)
        } else {
            Style::new()
        };
        lines.push(Line::from(Span::styled(
            format!(
                "  {} {} {} {}",
                minute_ms(e.occurred_at),
                e.action.replace(crate::api::API_PREFIX, ""),
                e.outcome,
                e.actor
            ),
            style,
        )));
    }
    lines
}

fn actions_lines(app: &App, b: &DetailBundle) -> Vec<Line<'static>> {
    let disabled = app.actions_disabled_reason();
    let mut spans = Vec::new();
    // Only what the request's state allows is offered; the rest is dimmed.
    for op in Op::ALL {
        let style = if disabled.is_some() || op.unavailable(b).is_some() {
            Style::new().fg(DIM)
        } else {
            Style::new()
        };
        spans.push(Span::styled(
            format!("[{}] {}  ", op.key(), op.title()),
            style,
        ));
    }
    let mut lines = vec![Line::from(spans)];
    if let Some(reason) = disabled {
        lines.push(Line::from(Span::styled(
            format!("actions disabled: {reason}"),
            Style::new().fg(AMBER),
        )));
    }
    if let Some(cmd) = &app.busy {
        lines.push(Line::from(Span::styled(
            format!("sent: {}; waiting for the server…", cmd.describe()),
            Style::new().fg(Color::Cyan),
        )));
    }
    if let Some(o) = &app.detail.outcome {
        let colour = if o.ok { GREEN } else { RED };
        lines.push(Line::from(Span::styled(
            format!("server: {}", o.headline),
            Style::new().fg(colour).add_modifier(Modifier::BOLD),
        )));
        for l in &o.lines {
            lines.push(Line::from(Span::styled(
                format!("  {l}"),
                Style::new().fg(colour),
            )));
        }
    }
    lines
}

/// Draws the Detail screen in `area`.
pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let Some(bundle) = app.detail.bundle.data.as_ref() else {
        let text = match (&app.detail.open_id, &app.detail.bundle.error) {
            (None, _) => Line::from("no request open: pick one on the Queue (1) with Enter"),
            (Some(_), Some(e)) => error_line(e),
            (Some(_), None) => Line::from("loading the request…"),
        };
        frame.render_widget(
            Paragraph::new(text).block(Block::bordered().title("Detail")),
            area,
        );
        return;
    };
    let actions = actions_lines(app, bundle);
    let inner = usize::from(area.width.saturating_sub(2)).max(1);
    let wrapped: usize = actions
        .iter()
        .map(|l| l.width().div_ceil(inner).max(1))
        .sum();
    let action_height = u16::try_from(wrapped + 2)
        .unwrap_or(6)
        .min(area.height / 2)
        .max(3);
    let [content, bar] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(action_height)]).areas(area);
    let title = match &app.detail.bundle.error {
        Some(e) => format!("Detail (reload failed: {e})"),
        None => "Detail (↑↓ scroll)".to_string(),
    };
    if area.width >= WIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(content);
        frame.render_widget(
            Paragraph::new(summary_lines(bundle, app.now_ms))
                .wrap(Wrap { trim: false })
                .scroll((app.detail.scroll, 0))
                .block(Block::bordered().title(title)),
            left,
        );
        frame.render_widget(
            Paragraph::new(timeline_lines(bundle, app.detail.timeline_reads))
                .scroll((app.detail.scroll, 0))
                .block(Block::bordered().title("Timeline")),
            right,
        );
    } else {
        let mut lines = summary_lines(bundle, app.now_ms);
        lines.push(Line::from(""));
        lines.extend(timeline_lines(bundle, app.detail.timeline_reads));
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((app.detail.scroll, 0))
                .block(Block::bordered().title(title)),
            content,
        );
    }
    frame.render_widget(
        Paragraph::new(actions)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title("Actions")),
        bar,
    );
}

/// "no", or the day and how ("2026-12-01, checked by staff").
fn verified_text(r: &Request) -> String {
    match (&r.verified_at, r.verified_by) {
        (None, _) => "no".to_string(),
        (Some(at), Some(by)) => format!("{}, {}", day(at), by.describe()),
        (Some(at), None) => day(at),
    }
}
