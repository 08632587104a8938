//! Queue: requests soonest due first, overdue red, due within 7 days amber, with the
//! active filters above.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

use super::style::{AMBER, DIM, RED, WIDE, clip, error_line, kind_label, short_id, status_label};
use crate::app::App;
use crate::dates::{Urgency, day, urgency};

/// Draws the Queue screen in `area`.
pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let [filters, table] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let status = app.queue.status_filter.map_or("all", |s| s.as_str());
    let kind = app.queue.kind_filter.map_or("all", |k| k.as_str());
    let mut spans = vec![
        Span::raw(format!(
            "[f] status: {status}  [t] kind: {kind}  [/] search: "
        )),
        Span::raw(if app.queue.search.is_empty() {
            "-".to_string()
        } else {
            app.queue.search.clone()
        }),
    ];
    if let Some(e) = &app.queue.requests.error {
        spans.push(Span::styled(format!("  error: {e}"), Style::new().fg(RED)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), filters);

    let rows_data = app.visible_requests();
    if rows_data.is_empty() {
        let text = if app.queue.requests.data.is_none() && app.queue.requests.error.is_some() {
            error_line("the queue could not be loaded (r to retry)")
        } else if app.queue.requests.data.is_none() {
            Line::from("loading requests…")
        } else {
            Line::from("no requests match")
        };
        frame.render_widget(Paragraph::new(text).block(Block::bordered()), table);
        return;
    }
    let wide = area.width >= WIDE;
    let subject_width: usize = if wide { 34 } else { 25 };
    let rows = rows_data.iter().map(|r| {
        let style = match urgency(r, app.now_ms) {
            Urgency::Overdue => Style::new().fg(RED),
            Urgency::Soon => Style::new().fg(AMBER),
            Urgency::Normal => Style::new(),
            Urgency::Closed => Style::new().fg(DIM),
        };
        let id = if wide { r.id.clone() } else { short_id(&r.id) };
        Row::new(vec![
            id,
            if wide {
                r.kind.as_str()
            } else {
                kind_label(r.kind)
            }
            .to_string(),
            clip(app.subject_email(&r.account_id), subject_width),
            status_label(r.status).to_string(),
            day(&r.received_at),
            day(&r.due_at),
        ])
        .style(style)
    });
    let widths = [
        Constraint::Length(if wide { 36 } else { 8 }),
        Constraint::Length(if wide { 18 } else { 10 }),
        Constraint::Length(subject_width as u16),
        Constraint::Length(if wide { 22 } else { 11 }),
        Constraint::Length(10),
        Constraint::Length(10),
    ];
    let header = Row::new(vec!["id", "kind", "subject", "status", "received", "due"])
        .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let t = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol(">");
    let mut state = TableState::default().with_selected(Some(app.queue.selected));
    frame.render_stateful_widget(t, table, &mut state);
}
