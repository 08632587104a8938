//! Drawing: `draw(&App, &mut Frame)` renders the state and changes nothing. The frame
//! (header with live counts, tab bar, status line) is drawn here; each screen and overlay
//! has its own file (`queue`, `detail`, `retention`, `backups`, `audit`, `dialog`, `form`,
//! `help`), and [`style`] holds the colours and text helpers they all use. Drawing reads
//! `app`, `screens`, `action`, `api`, `dates` and `keys`; nothing reads it back.

mod audit;
mod backups;
mod detail;
mod dialog;
mod form;
mod help;
mod queue;
mod retention;
pub mod style;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use self::style::{AMBER, DIM, RED, WIDE, status_label, status_tag};
use crate::action::Tab;
use crate::api::Role;
use crate::app::App;
use crate::dates::{Urgency, urgency};
use crate::screens::common::InputTarget;

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
    if let Some(f) = &app.form {
        form::draw(f, frame, body);
    }
    if app.help.open {
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
            status_tag(status)
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
        .requests
        .data
        .iter()
        .flatten()
        .filter(|r| urgency(r, app.now_ms) == Urgency::Overdue)
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
            InputTarget::QueueSearch => ("search email or id", &app.queue.search),
            InputTarget::SubjectFind => ("find subject by email", &app.queue.find),
            InputTarget::AuditSubject => ("audit subject id", &app.audit.subject),
            InputTarget::AuditActor => ("audit actor", &app.audit.actor),
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
