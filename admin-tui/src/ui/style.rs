//! What every screen draws with: the colours of urgency and outcome, the width from which
//! screens use their wide layout, short labels, and small text helpers.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::api::{Kind, Status};

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

/// A short label of a status for narrow screens (`awaiting`).
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::AwaitingVerification => "awaiting",
        Status::InProgress => "in progress",
        Status::OnHold => "on hold",
        other => other.as_str(),
    }
}

/// A status in at most 5 characters, for the header counts on narrow screens.
pub fn status_tag(s: Status) -> &'static str {
    match s {
        Status::Received => "recv",
        Status::AwaitingVerification => "await",
        Status::InProgress => "prog",
        Status::OnHold => "hold",
        Status::Completed => "done",
        Status::Rejected => "rej",
        Status::Failed | Status::Unknown => "fail",
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
