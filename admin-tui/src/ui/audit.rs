//! Audit: the chain's verification result, the filters, and the recent entries (newest
//! first).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

use super::style::{AMBER, GREEN, RED, WIDE, clip, error_line};
use crate::app::App;
use crate::dates::minute_ms;

/// Draws the Audit screen in `area`.
pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let [chain, filters, table] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    let chain_line = match (&app.audit.chain.data, &app.audit.chain.error) {
        (_, Some(e)) => error_line(&format!("chain check failed: {e}")),
        (Some(v), None) => match &v.first_broken {
            None => Line::from(Span::styled(
                format!("chain intact: {} entries verified", v.entries),
                Style::new().fg(GREEN).add_modifier(Modifier::BOLD),
            )),
            Some(b) => Line::from(Span::styled(
                format!(
                    "CHAIN BROKEN at entry {}: {} ({} entries)",
                    b.seq, b.reason, v.entries
                ),
                Style::new().fg(RED).add_modifier(Modifier::BOLD),
            )),
        },
        (None, None) => Line::from("verifying the chain…"),
    };
    frame.render_widget(Paragraph::new(chain_line), chain);
    let filter = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    frame.render_widget(
        Paragraph::new(format!(
            "[/] subject: {}  [a] actor: {}  [z] clear  [V] verify  [w] reads: {}",
            filter(&app.audit.subject),
            filter(&app.audit.actor),
            if app.audit.show_reads {
                "shown"
            } else {
                "hidden"
            }
        )),
        filters,
    );
    let entries = app.visible_audit();
    let hidden = app.audit.hidden_reads();
    let title = if hidden > 0 {
        format!("Recent entries ({hidden} read-only calls hidden, [w] shows them)")
    } else {
        "Recent entries".to_string()
    };
    let block = Block::bordered().title(title);
    if entries.is_empty() {
        let line = match (&app.audit.entries.error, &app.audit.entries.data) {
            (Some(e), _) => error_line(e),
            (None, None) => Line::from("loading the audit trail…"),
            (None, Some(_)) => Line::from("no entries match"),
        };
        frame.render_widget(Paragraph::new(line).block(block), table);
        return;
    }
    let wide = area.width >= WIDE;
    let rows = entries.iter().map(|e| {
        let style = if e.outcome == "refused" || e.outcome.starts_with("http 4") {
            Style::new().fg(AMBER)
        } else {
            Style::new()
        };
        Row::new(vec![
            e.seq.to_string(),
            minute_ms(e.occurred_at),
            clip(&e.actor, if wide { 44 } else { 14 }),
            e.action.replace(crate::api::API_PREFIX, ""),
            e.outcome.clone(),
        ])
        .style(style)
    });
    let t = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(16),
            Constraint::Length(if wide { 44 } else { 14 }),
            Constraint::Min(20),
            Constraint::Length(9),
        ],
    )
    .header(
        Row::new(vec!["seq", "when (UTC)", "actor", "action", "outcome"])
            .style(Style::new().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
    .block(block);
    let mut state = TableState::default().with_selected(Some(app.audit.selected));
    frame.render_stateful_widget(t, table, &mut state);
}
