//! Drawing: `draw(&App, &mut Frame)` renders the state and changes nothing. One file per
//! screen; the frame (header with live counts, tab bar, status line) and the overlays
//! (dialog, help) are here.

mod audit;
mod backups;
mod detail;
mod dialog;
mod help;
mod queue;
mod retention;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use crate::action::Tab;
use crate::api::{Kind, Role, Status};
use crate::app::{App, InputTarget};

/// Overdue deadlines.
pub const RED: Color = Color::Red;
/// Deadlines within 7 days ("amber": yellow on 16-colour terminals).
pub const AMBER: Color = Color::Yellow;
/// Accepted answers, an intact chain.
pub const GREEN: Color = Color::Green;
/// Disabled actions and secondary text.
pub const DIM: Color = Color::DarkGray;

/// Width from which screens use their wide layout.
pub const WIDE: u16 = 120;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

/// Renders the whole console.
pub fn draw(app: &App, frame: &mut Frame) {
    let [header, counts, tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(app, frame, header);
    draw_counts(app, frame, counts);
    draw_tabs(app, frame, tabs);
    match app.tab {
        Tab::Queue => queue::draw(app, frame, body),
        Tab::Detail => detail::draw(app, frame, body),
        Tab::Retention => retention::draw(app, frame, body),
        Tab::Backups => backups::draw(app, frame, body),
        Tab::Audit => audit::draw(app, frame, body),
    }
    draw_status(app, frame, status);
    if let Some(d) = &app.dialog {
        dialog::draw(app, d, frame, body);
    }
    if app.help {
        help::draw(frame, frame.area());
    }
}

fn draw_header(app: &App, frame: &mut Frame, area: Rect) {
    let who = match &app.me.data {
        Some(me) => {
            let role = match me.role {
                Role::PrivacyOfficer => "privacy officer",
                Role::Support => "support, read-only",
                Role::Unknown => "unknown role, read-only",
            };
            format!("{} ({role})", me.email)
        }
        None if app.me.error.is_some() => "not signed in".to_string(),
        None => "signing in…".to_string(),
    };
    let mut spans = vec![
        Span::styled("heepr-admin ", Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(who),
        Span::styled(format!("  {}", app.server), Style::new().fg(DIM)),
    ];
    if app.loading() {
        let i = (app.ticks % SPINNER.len() as u64) as usize;
        spans.push(Span::styled(
            format!("  {} loading", SPINNER[i]),
            Style::new().fg(Color::Cyan),
        ));
    }
    if let Some(e) = &app.me.error {
        spans.push(Span::styled(format!("  {e}"), Style::new().fg(RED)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_counts(app: &App, frame: &mut Frame, area: Rect) {
    let short = area.width < WIDE;
    let mut spans = Vec::new();
    for (status, n) in app.counts() {
        let label = if short {
            match status.as_str() {
                "received" => "recv",
                "awaiting_verification" => "await",
                "in_progress" => "prog",
                "on_hold" => "hold",
                "completed" => "done",
                "rejected" => "rej",
                _ => "fail",
            }
        } else {
            status_label(status)
        };
        let style = if n > 0 && status.is_open() {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(DIM)
        };
        spans.push(Span::styled(format!("{label} {n}"), style));
        spans.push(Span::raw("  "));
    }
    let overdue = app
        .queue
        .data
        .iter()
        .flatten()
        .filter(|r| crate::dates::urgency(r, app.now_ms) == crate::dates::Urgency::Overdue)
        .count();
    if overdue > 0 {
        spans.push(Span::styled(
            format!("overdue {overdue}"),
            Style::new().fg(RED).add_modifier(Modifier::BOLD),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let titles = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", i + 1, t.title()));
    let tabs = Tabs::new(titles)
        .select(app.tab.index())
        .highlight_style(Style::new().fg(Color::Black).bg(Color::Cyan))
        .divider("|");
    frame.render_widget(tabs, area);
}

fn draw_status(app: &App, frame: &mut Frame, area: Rect) {
    let line = if let Some(target) = app.input {
        let (label, text) = match target {
            InputTarget::QueueSearch => ("search email or id", &app.search),
            InputTarget::AuditSubject => ("audit subject id", &app.audit_subject),
            InputTarget::AuditActor => ("audit actor", &app.audit_actor),
        };
        Line::from(vec![
            Span::styled(format!("{label}: "), Style::new().fg(Color::Cyan)),
            Span::raw(format!("{text}_")),
            Span::styled("  Enter apply · Esc clear", Style::new().fg(DIM)),
        ])
    } else if let Some(f) = &app.flash {
        Line::from(Span::styled(f.clone(), Style::new().fg(AMBER)))
    } else if let Some(r) = &app.retry_note {
        Line::from(Span::styled(r.clone(), Style::new().fg(AMBER)))
    } else {
        Line::from(Span::styled(
            "? help · q quit · 1-5 screens · r reload",
            Style::new().fg(DIM),
        ))
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A short label of a status for narrow screens (`awaiting`).
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::AwaitingVerification => "awaiting",
        Status::InProgress => "in progress",
        Status::OnHold => "on hold",
        other => other.as_str(),
    }
}

/// A label of a kind of at most 10 characters for narrow screens.
pub fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Rectification => "rectify",
        Kind::Restriction => "restrict",
        Kind::ConsentWithdrawal => "consent wd",
        other => other.as_str(),
    }
}

/// A centred rectangle of at most `width` × `height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// The line shown where data failed to load or the endpoint is missing.
pub fn error_line(message: &str) -> Line<'static> {
    Line::from(Span::styled(
        format!("error: {message}"),
        Style::new().fg(RED),
    ))
}

/// Text shortened to `n` characters (with `…`).
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// The last 8 characters of an id (UUIDv7 ids share their leading time digits).
pub fn short_id(id: &str) -> String {
    let n = id.chars().count();
    id.chars().skip(n.saturating_sub(8)).collect()
}

/// The text shown when the server has no endpoint for a screen (404): what is missing.
pub fn unavailable(screen: &str, endpoints: &[&str]) -> Paragraph<'static> {
    let mut lines = vec![
        Line::from(Span::styled(
            format!("{screen}: not available from this server"),
            Style::new().fg(AMBER).add_modifier(Modifier::BOLD),
        )),
        Line::from("The server answered 404 for the endpoints this screen expects:"),
    ];
    lines.extend(endpoints.iter().map(|e| Line::from(format!("  {e}"))));
    Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false })
}
