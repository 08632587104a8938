//! The help overlay: every key from [`crate::keys::BINDINGS`], grouped by screen, in two
//! columns when narrow.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::style::{WIDE, centered};
use crate::keys::BINDINGS;

fn lines(scopes: &[&str], key_width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for scope in scopes {
        out.push(Line::from(Span::styled(
            scope.to_string(),
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        )));
        for b in BINDINGS.iter().filter(|b| b.scope == *scope) {
            out.push(Line::from(vec![
                Span::styled(
                    format!(" {:<key_width$}", b.keys),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!(" {}", b.what)),
            ]));
        }
    }
    out
}

/// Draws the help overlay over `area`.
pub fn draw(frame: &mut Frame, area: Rect) {
    let rect = centered(area, 118, 40);
    frame.render_widget(Clear, rect);
    let block = Block::bordered().title("Keys (Esc or ? to close)");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    let key_width = if area.width >= WIDE { 19 } else { 8 };
    frame.render_widget(
        Paragraph::new(lines(&["everywhere", "Queue", "Dialog"], key_width))
            .wrap(Wrap { trim: false }),
        left,
    );
    frame.render_widget(
        Paragraph::new(lines(&["Detail", "Retention", "Audit"], key_width.min(5)))
            .wrap(Wrap { trim: false }),
        right,
    );
}
