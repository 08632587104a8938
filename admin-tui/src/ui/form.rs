//! The "new request" form: each field with what was typed, the one being typed into
//! marked, the kind's choices, and why the last Enter sent nothing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::style::{DIM, RED, centered};
use crate::screens::form::{FormField, NewRequestForm};

/// Draws `f` centred over `area`.
pub fn draw(f: &NewRequestForm, frame: &mut Frame, area: Rect) {
    let mut lines = vec![
        Line::from("A request received by letter, phone or email. The 30-day clock starts"),
        Line::from("when it came in; the account's address gets a confirmation link."),
        Line::from(""),
    ];
    for field in FormField::ALL {
        let focused = f.focus == field;
        let marker = if focused { "> " } else { "  " };
        let mut text = f.text(field).to_string();
        if field == FormField::Kind {
            text = format!("{text} (↑/↓)");
        } else if focused {
            text.push('_');
        }
        let hint = match field {
            FormField::ReceivedAt if f.received_at.is_empty() => {
                "  empty: now; 2026-06-01 or RFC 3339"
            }
            _ => "",
        };
        let label = Style::new().fg(Color::Cyan);
        let label = if focused {
            label.add_modifier(Modifier::BOLD)
        } else {
            label
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{marker}{:<12}", field.label()), label),
            Span::raw(text),
            Span::styled(hint, Style::new().fg(DIM)),
        ]));
    }
    if let Some(e) = &f.error {
        lines.push(Line::from(Span::styled(e.clone(), Style::new().fg(RED))));
    }
    lines.push(Line::from(Span::styled(
        "Tab next field · Enter send · Esc cancel",
        Style::new().fg(DIM),
    )));
    let height = u16::try_from(lines.len() + 2).unwrap_or(14);
    let rect = centered(area, 76, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title("New request")),
        rect,
    );
}
