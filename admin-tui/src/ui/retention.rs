//! Retention: rules with period, schedule, last run (rows affected, outcome) and next run;
//! Enter runs a dry run of the selected rule and shows its result. When the server has no
//! retention endpoints the screen says so and names the endpoints it expects.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

use super::style::{GREEN, RED, clip, error_line, unavailable};
use crate::app::App;
use crate::dates::day;

/// Endpoints the Retention screen reads and calls.
pub const ENDPOINTS: &[&str] = &[
    "GET /admin/api/v1/retention/rules -> {\"rules\": [{rule, period, schedule, next_run, tables, description, last_run: {finished_at, outcome, rows_affected, rows_examined, dry_run}}]}",
    "POST /admin/api/v1/retention/rules/{rule}/dry-run -> {rule, dry_run, outcome, rows_examined, rows_affected, error}",
];

/// Draws the Retention screen in `area`.
pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title("Retention rules");
    if app.retention.rules.unavailable {
        frame.render_widget(unavailable("Retention", ENDPOINTS).block(block), area);
        return;
    }
    let Some(rules) = app.retention.rules.data.as_ref() else {
        let line = match &app.retention.rules.error {
            Some(e) => error_line(e),
            None => Line::from("loading retention rules…"),
        };
        frame.render_widget(Paragraph::new(line).block(block), area);
        return;
    };
    let [table, result] = Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(area);
    let rows = rules.iter().map(|r| {
        let last = match &r.last_run {
            Some(run) => format!(
                "{} {} rows {}",
                run.finished_at.as_deref().map_or("-".to_string(), day),
                run.rows_affected,
                run.outcome
            ),
            None => "never".to_string(),
        };
        Row::new(vec![
            clip(&r.rule, 16),
            clip(&r.period, 10),
            r.schedule.clone().unwrap_or_else(|| "-".into()),
            last,
            r.next_run.as_deref().map_or("-".to_string(), day),
        ])
    });
    let t = Table::new(
        rows,
        [
            Constraint::Length(16),
            Constraint::Length(10),
            Constraint::Length(11),
            Constraint::Min(20),
            Constraint::Length(10),
        ],
    )
    .header(
        Row::new(vec!["rule", "period", "schedule", "last run", "next run"])
            .style(Style::new().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
    .block(block);
    let mut state = TableState::default().with_selected(Some(app.retention.selected));
    frame.render_stateful_widget(t, table, &mut state);
    let text = match &app.retention.dry_run {
        Some(o) => {
            let colour = if o.ok { GREEN } else { RED };
            Paragraph::new(Line::styled(o.headline.clone(), Style::new().fg(colour)))
        }
        None => Paragraph::new("Enter: dry run of the selected rule (nothing is deleted)"),
    };
    frame.render_widget(
        text.wrap(Wrap { trim: false })
            .block(Block::bordered().title("Dry run")),
        result,
    );
}
