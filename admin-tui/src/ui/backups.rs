//! Backups: the catalog with each backup's age and verification state (red when never
//! verified by a test restore).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

use super::style::{GREEN, RED, error_line, short_id, unavailable};
use crate::app::App;
use crate::dates::{age, minute_ms};

/// Endpoints the Backups screen reads.
pub const ENDPOINTS: &[&str] = &[
    "GET /admin/api/v1/backups -> {\"backups\": [{id, created_at_ms, file, size_bytes, sha256, schema_version, backend, verified_at_ms}], \"warnings\": [...]}",
];

/// Draws the Backups screen in `area`: the catalog's warnings in red above the table.
pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let warnings = &app.backups.warnings;
    let area = if warnings.is_empty() || app.backups.catalog.data.is_none() {
        area
    } else {
        let height = u16::try_from(warnings.len())
            .unwrap_or(u16::MAX)
            .min(area.height / 2);
        let [top, rest] =
            Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(area);
        let lines: Vec<Line> = warnings
            .iter()
            .map(|w| Line::styled(format!("! {w}"), Style::new().fg(RED)))
            .collect();
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), top);
        rest
    };
    let block = Block::bordered().title("Backup catalog");
    if app.backups.catalog.unavailable {
        frame.render_widget(unavailable("Backups", ENDPOINTS).block(block), area);
        return;
    }
    let Some(backups) = app.backups.catalog.data.as_ref() else {
        let line = match &app.backups.catalog.error {
            Some(e) => error_line(e),
            None => Line::from("loading the backup catalog…"),
        };
        frame.render_widget(Paragraph::new(line).block(block), area);
        return;
    };
    if backups.is_empty() {
        frame.render_widget(
            Paragraph::new("no backups in the catalog").block(block),
            area,
        );
        return;
    }
    let rows = backups.iter().map(|b| {
        let (verified, style) = match b.verified_at_ms {
            Some(ms) => (
                format!("verified {}", minute_ms(ms)),
                Style::new().fg(GREEN),
            ),
            None => ("never verified".to_string(), Style::new().fg(RED)),
        };
        Row::new(vec![
            short_id(&b.id),
            minute_ms(b.created_at_ms),
            age(app.now_ms - b.created_at_ms),
            format!("{:.1} MB", b.size_bytes as f64 / 1_048_576.0),
            verified,
        ])
        .style(style)
    });
    let t = Table::new(
        rows,
        [
            Constraint::Length(8),
            Constraint::Length(16),
            Constraint::Length(5),
            Constraint::Length(10),
            Constraint::Min(14),
        ],
    )
    .header(
        Row::new(vec!["id", "taken (UTC)", "age", "size", "verification"])
            .style(Style::new().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
    .block(block);
    let mut state = TableState::default().with_selected(Some(app.backups.selected));
    frame.render_stateful_widget(t, area, &mut state);
}
