//! Fixtures for the console's unit and rendering tests: a clock, requests with every kind
//! of deadline, subjects, a loaded detail, and helpers to render into a `TestBackend`.

#![allow(dead_code)]

use std::collections::BTreeMap;

use heepr_admin_tui::action::{Action, DetailBundle, NetEvent};
use heepr_admin_tui::api::{
    AuditEntry, ErasurePreview, Hold, Kind, Me, Request, RequestDetail, Role, Status, Subject,
    TableCounts,
};
use heepr_admin_tui::app::{App, update};
use heepr_admin_tui::dates::DAY_MS;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

/// 2026-06-01T00:00:00Z.
pub const NOW: i64 = 1_780_272_000_000;

fn rfc(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S.000Z").to_string())
        .unwrap_or_default()
}

/// A request with the given id suffix, kind, status and due date offset (days from NOW).
pub fn request(n: u32, kind: Kind, status: Status, due_in_days: i64) -> Request {
    let due = NOW + due_in_days * DAY_MS;
    Request {
        id: format!("0193aaaa-0000-7000-8000-00000000000{n}"),
        account_id: format!("acct-{n}"),
        kind,
        status,
        channel: "dashboard".into(),
        received_at: rfc(due - 30 * DAY_MS),
        due_at: rfc(due),
        due_at_ms: due,
        overdue: status.is_open() && due < NOW,
        created_by: format!("subject:acct-{n}"),
        allowed_transitions: allowed(status),
        ..Request::default()
    }
}

/// The states the server's state machine allows from `status` (`docs/admin-api.md`).
pub fn allowed(status: Status) -> Vec<Status> {
    use Status::*;
    match status {
        Received => vec![AwaitingVerification, InProgress, Rejected],
        AwaitingVerification | OnHold | Failed => vec![InProgress, Rejected],
        InProgress => vec![OnHold, Completed, Rejected, Failed],
        Completed | Rejected | Unknown => Vec::new(),
    }
}

/// Four requests: overdue erasure, access due in 3 days, objection due in 20 days, a
/// completed access request.
pub fn queue() -> Vec<Request> {
    vec![
        request(3, Kind::Objection, Status::Received, 20),
        request(1, Kind::Erasure, Status::InProgress, -2),
        request(2, Kind::Access, Status::AwaitingVerification, 3),
        request(4, Kind::Access, Status::Completed, -40),
    ]
}

/// The subject of request `n`.
pub fn subject(n: u32, masked: bool) -> Subject {
    let names = ["", "alice", "bob", "carol", "dave"];
    let name = names.get(n as usize).copied().unwrap_or("x");
    Subject {
        account_id: format!("acct-{n}"),
        email: if masked {
            format!("{}***@example.com", &name[..1])
        } else {
            format!("{name}@example.com")
        },
        display_name: name.to_string(),
        status: "active".into(),
        rows_by_category: BTreeMap::from([
            ("account".to_string(), 3),
            ("technical".to_string(), 40),
        ]),
        ..Subject::default()
    }
}

/// The loaded detail of request 1 (erasure, in progress) with an active hold when `held`.
pub fn detail(held: bool, masked: bool) -> DetailBundle {
    let r = request(1, Kind::Erasure, Status::InProgress, -2);
    let holds = if held {
        vec![Hold {
            id: "hold-1".into(),
            account_id: "acct-1".into(),
            reason: "litigation 2026-17".into(),
            placed_by: "staff:x".into(),
            placed_at: NOW - DAY_MS,
            ..Hold::default()
        }]
    } else {
        Vec::new()
    };
    DetailBundle {
        detail: RequestDetail {
            request: r,
            subject: subject(1, masked),
            timeline: vec![AuditEntry {
                seq: 7,
                occurred_at: NOW - 3 * DAY_MS,
                actor: "subject:acct-1".into(),
                action: "dsr.receive".into(),
                outcome: "ok".into(),
                ..AuditEntry::default()
            }],
            export_archive: None,
            notes: Vec::new(),
        },
        preview: Some(Ok(ErasurePreview {
            account_id: "acct-1".into(),
            blocked_by_holds: Vec::new(),
            tables: BTreeMap::from([(
                "sessions".to_string(),
                TableCounts {
                    erasure: "delete".into(),
                    rows: 2,
                    deleted: 2,
                    ..TableCounts::default()
                },
            )]),
        })),
        holds,
        restrictions: Vec::new(),
        objections: Vec::new(),
        intake: None,
    }
}

/// An app signed in with `role`, its queue and subjects loaded.
pub fn app(role: Role) -> App {
    let mut app = App::new("http://127.0.0.1:9999", NOW);
    let _ = app.start();
    let masked = role == Role::Support;
    let me = Me {
        id: "s1".into(),
        email: "dpo@heepr.example".into(),
        role,
    };
    update(&mut app, Action::Net(NetEvent::Me(Ok(me))));
    update(&mut app, Action::Net(NetEvent::Queue(Ok(queue()))));
    for n in 1..=4 {
        update(
            &mut app,
            Action::Net(NetEvent::Subject(
                format!("acct-{n}"),
                Ok(subject(n, masked)),
            )),
        );
    }
    app
}

/// `app` with request 1 open on Detail and loaded.
pub fn app_on_detail(role: Role, held: bool) -> App {
    let mut app = app(role);
    update(&mut app, Action::Open); // the overdue request (1) is first
    let id = app.detail.open_id.clone().unwrap_or_default();
    let bundle = detail(held, role == Role::Support);
    update(
        &mut app,
        Action::Net(NetEvent::Detail(id, Ok(Box::new(bundle)))),
    );
    app
}

/// Draws `app` at `width` × `height` and returns the buffer.
pub fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    if let Err(e) = terminal.draw(|f| heepr_admin_tui::ui::draw(app, f)) {
        match e {}
    }
    terminal.backend().buffer().clone()
}

/// The buffer's text, one line per row.
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The foreground colour of the first cell of `needle` on screen.
pub fn fg_of(buf: &Buffer, needle: &str) -> Option<Color> {
    for y in 0..buf.area.height {
        let row: Vec<String> = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        let line: String = row.concat();
        if let Some(byte) = line.find(needle) {
            // Cells are single-width here; map the byte offset to a cell index.
            let col = line[..byte].chars().count();
            return Some(buf[(col as u16, y)].fg);
        }
    }
    None
}
