//! Every screen drawn into ratatui's `TestBackend` at 80×24 and at a wide 160×48: key
//! strings present, overdue rows red and rows due within 7 days amber, emails masked for
//! support, disabled actions with their reason, "not available" for missing endpoints, the
//! chain's verification state, the help overlay with every key, the extension's new due
//! date.

mod support;

use heepr_admin_tui::action::{Action, NetEvent, Tab};
use heepr_admin_tui::api::{
    ApiError, AuditEntry, Backup, BrokenLink, ChainVerification, RetentionRule, RetentionRun, Role,
};
use heepr_admin_tui::app::{App, update};
use heepr_admin_tui::dates::DAY_MS;
use heepr_admin_tui::keys::BINDINGS;
use ratatui::style::Color;
use support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn missing(path: &str) -> ApiError {
    ApiError::Refused {
        status: 404,
        code: "not_found".into(),
        message: format!("no such endpoint: GET {path}"),
        field: None,
        allowed: Vec::new(),
        holds: Vec::new(),
    }
}

fn assert_has(screen: &str, needles: &[&str]) {
    for n in needles {
        assert!(screen.contains(n), "missing {n:?} in\n{screen}");
    }
}

#[test]
fn queue_shows_counts_columns_and_deadline_colours() {
    let app = app(Role::PrivacyOfficer);
    for (w, h) in SIZES {
        let buf = render(&app, w, h);
        let screen = text(&buf);
        assert_has(
            &screen,
            &[
                "heepr-admin",
                "dpo@heepr.example (privacy officer)",
                "1 Queue",
                "5 Audit",
                "id",
                "kind",
                "subject",
                "status",
                "received",
                "due",
                "alice@example.com",
                "bob@example.com",
                "erasure",
                "2026-05-30",
                "overdue 1",
            ],
        );
        assert!(
            screen.contains(if w < 120 { "recv 1" } else { "received 1" }),
            "{screen}"
        );
        assert_eq!(
            fg_of(&buf, "alice@example.com"),
            Some(Color::Red),
            "overdue is red ({w}x{h})"
        );
        assert_eq!(
            fg_of(&buf, "bob@example.com"),
            Some(Color::Yellow),
            "due in 3 days is amber"
        );
        assert_eq!(
            fg_of(&buf, "carol@example.com"),
            Some(Color::Reset),
            "due in 20 days is plain"
        );
    }
    let wide = text(&render(&app, 160, 48));
    assert!(
        wide.contains("0193aaaa-0000-7000-8000-000000000001"),
        "full ids when wide"
    );
}

#[test]
fn queue_masks_emails_for_support() {
    let app = app(Role::Support);
    let screen = text(&render(&app, 80, 24));
    assert_has(&screen, &["a***@example.com", "support, read-only"]);
    assert!(!screen.contains("alice@example.com"));
}

#[test]
fn queue_reports_a_load_error_inline() {
    let mut app = App::new("http://127.0.0.1:1", NOW);
    let _ = app.start();
    update(
        &mut app,
        Action::Net(NetEvent::Queue(Err(ApiError::Network(
            "connection refused or unreachable".into(),
        )))),
    );
    let screen = text(&render(&app, 80, 24));
    assert_has(
        &screen,
        &[
            "error: server unreachable",
            "could not be loaded",
            "loading",
        ],
    );
}

#[test]
fn detail_shows_summary_categories_holds_preview_timeline_and_actions() {
    let app = app_on_detail(Role::PrivacyOfficer, true);
    for (w, h) in SIZES {
        let buf = render(&app, w, h);
        let screen = text(&buf);
        assert_has(
            &screen,
            &[
                "erasure request",
                "OVERDUE",
                "alice@example.com",
                "subject id acct-1",
                "Subject data by category",
                "technical",
                "Legal holds",
                "ACTIVE hold-1",
                "[E] approve erasure",
                "[R] reject",
                "[d] extend",
            ],
        );
        assert_eq!(fg_of(&buf, "due 2026-05-30 (OVERDUE)"), Some(Color::Red));
        if h >= 48 {
            assert_has(
                &screen,
                &[
                    "Erasure preview",
                    "sessions",
                    "delete",
                    "Timeline",
                    "dsr.receive",
                ],
            );
        }
    }
}

#[test]
fn detail_scrolls_to_preview_and_timeline_at_80x24() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    for _ in 0..10 {
        update(&mut app, Action::Down);
    }
    let screen = text(&render(&app, 80, 24));
    assert_has(
        &screen,
        &["Erasure preview", "sessions", "Timeline", "dsr.receive"],
    );
}

#[test]
fn detail_for_support_disables_actions_with_the_reason() {
    let app = app_on_detail(Role::Support, false);
    for (w, h) in SIZES {
        let buf = render(&app, w, h);
        let screen = text(&buf);
        assert_has(
            &screen,
            &[
                "actions disabled: support role is read-only",
                "a***@example.com",
            ],
        );
        assert_eq!(fg_of(&buf, "[E] approve erasure"), Some(Color::DarkGray));
    }
}

#[test]
fn detail_shows_the_servers_refusal_and_allowed_transitions() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    let refusal = ApiError::Refused {
        status: 409,
        code: "transition_not_allowed".into(),
        message: "cannot go back".into(),
        field: None,
        allowed: vec![heepr_admin_tui::api::Status::Completed],
        holds: Vec::new(),
    };
    let cmd = heepr_admin_tui::action::Command::Transition {
        id: "x".into(),
        to: "received".into(),
        reason: None,
    };
    update(&mut app, Action::Net(NetEvent::Done(cmd, Err(refusal))));
    for (w, h) in SIZES {
        let buf = render(&app, w, h);
        let screen = text(&buf);
        assert_has(
            &screen,
            &[
                "refused: cannot go back (409 transition_not_allowed)",
                "allowed from here: completed",
            ],
        );
        assert_eq!(fg_of(&buf, "server: move to received"), Some(Color::Red));
    }
}

#[test]
fn erasure_dialog_asks_for_the_subject_id() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    update(
        &mut app,
        Action::Begin(heepr_admin_tui::action::Op::ApproveErasure),
    );
    for (w, h) in SIZES {
        let screen = text(&render(&app, w, h));
        assert_has(
            &screen,
            &[
                "Confirm: approve erasure",
                "2 rows deleted",
                "Type the subject's id to confirm",
                "acct-1",
            ],
        );
    }
}

#[test]
fn extension_dialog_shows_the_new_due_date_before_confirming() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    update(&mut app, Action::Begin(heepr_admin_tui::action::Op::Extend));
    update(&mut app, Action::MoreMonths);
    for (w, h) in SIZES {
        let buf = render(&app, w, h);
        let screen = text(&buf);
        // Received 2026-04-30 (30 days before the due date): + 30 + 2 × 30 days = 2026-07-29.
        assert_has(
            &screen,
            &["months: 2", "new due date 2026-07-29", "reason: _"],
        );
        assert_eq!(fg_of(&buf, "new due date"), Some(Color::Yellow));
    }
}

#[test]
fn retention_and_backups_say_when_the_server_lacks_them() {
    let mut app = app(Role::PrivacyOfficer);
    update(&mut app, Action::Show(Tab::Retention));
    update(
        &mut app,
        Action::Net(NetEvent::Retention(Err(missing(
            "/admin/api/v1/retention/rules",
        )))),
    );
    for (w, h) in SIZES {
        let screen = text(&render(&app, w, h));
        assert_has(
            &screen,
            &[
                "Retention: not available from this server",
                "GET /admin/api/v1/retention/rules",
            ],
        );
    }
    update(&mut app, Action::Show(Tab::Backups));
    update(
        &mut app,
        Action::Net(NetEvent::Backups(Err(missing("/admin/api/v1/backups")))),
    );
    for (w, h) in SIZES {
        let screen = text(&render(&app, w, h));
        assert_has(
            &screen,
            &[
                "Backups: not available from this server",
                "GET /admin/api/v1/backups",
            ],
        );
    }
}

#[test]
fn retention_lists_rules_with_runs() {
    let mut app = app(Role::PrivacyOfficer);
    update(&mut app, Action::Show(Tab::Retention));
    let rule = RetentionRule {
        rule: "email_log".into(),
        period: "12 months".into(),
        schedule: Some("0 3 * * *".into()),
        next_run: Some("2026-06-02T03:00:00.000Z".into()),
        last_run: Some(RetentionRun {
            finished_at: Some("2026-06-01T03:00:00.000Z".into()),
            outcome: "ok".into(),
            rows_affected: 42,
            ..RetentionRun::default()
        }),
        ..RetentionRule::default()
    };
    update(&mut app, Action::Net(NetEvent::Retention(Ok(vec![rule]))));
    for (w, h) in SIZES {
        let screen = text(&render(&app, w, h));
        assert_has(
            &screen,
            &[
                "email_log",
                "12 months",
                "0 3 * * *",
                "42 rows ok",
                "2026-06-02",
                "dry run",
            ],
        );
    }
}

#[test]
fn backups_show_age_and_verification() {
    let mut app = app(Role::PrivacyOfficer);
    update(&mut app, Action::Show(Tab::Backups));
    let b = |id: &str, days: i64, verified: bool| Backup {
        id: id.into(),
        created_at_ms: NOW - days * DAY_MS,
        size_bytes: 3 * 1_048_576,
        verified_at_ms: verified.then_some(NOW - days * DAY_MS + 60_000),
        ..Backup::default()
    };
    update(
        &mut app,
        Action::Net(NetEvent::Backups(Ok(heepr_admin_api::BackupList {
            backups: vec![b("bk-00001", 2, true), b("bk-00002", 9, false)],
            warnings: vec!["the last backup attempt failed".into()],
        }))),
    );
    for (w, h) in SIZES {
        let buf = render(&app, w, h);
        let screen = text(&buf);
        assert_has(
            &screen,
            &[
                "bk-00001",
                "2d",
                "3.0 MB",
                "verified 2026-05-30",
                "never verified",
                "the last backup attempt failed",
            ],
        );
        assert_eq!(fg_of(&buf, "never verified"), Some(Color::Red));
        assert_eq!(
            fg_of(&buf, "the last backup attempt failed"),
            Some(Color::Red)
        );
    }
}

#[test]
fn audit_shows_entries_filters_and_the_chain_state() {
    let mut app = app(Role::PrivacyOfficer);
    update(&mut app, Action::Show(Tab::Audit));
    let entry = |seq: i64, actor: &str, action: &str| AuditEntry {
        seq,
        occurred_at: NOW,
        actor: actor.into(),
        action: action.into(),
        outcome: "ok".into(),
        ..AuditEntry::default()
    };
    update(
        &mut app,
        Action::Net(NetEvent::Audit(Ok(vec![
            entry(9, "staff:dpo", "dsr.transition"),
            entry(8, "subject:acct-1", "dsr.receive"),
        ]))),
    );
    update(
        &mut app,
        Action::Net(NetEvent::ChainVerified(Ok(ChainVerification {
            entries: 9,
            first_broken: None,
        }))),
    );
    for (w, h) in SIZES {
        let buf = render(&app, w, h);
        let screen = text(&buf);
        assert_has(
            &screen,
            &[
                "chain intact: 9 entries verified",
                "dsr.transition",
                "dsr.receive",
                "staff:dpo",
                "[a] actor",
            ],
        );
        assert_eq!(fg_of(&buf, "chain intact"), Some(Color::Green));
    }
    update(&mut app, Action::StartActorFilter);
    for c in "staff".chars() {
        update(&mut app, Action::Input(c));
    }
    update(
        &mut app,
        Action::Net(NetEvent::ChainVerified(Ok(ChainVerification {
            entries: 9,
            first_broken: Some(BrokenLink {
                seq: 4,
                reason: "hash mismatch".into(),
            }),
        }))),
    );
    let buf = render(&app, 80, 24);
    let screen = text(&buf);
    assert_has(
        &screen,
        &[
            "CHAIN BROKEN at entry 4: hash mismatch",
            "audit actor: staff_",
        ],
    );
    assert!(
        !screen.contains("dsr.receive"),
        "actor filter hides the subject's entry"
    );
    assert_eq!(fg_of(&buf, "CHAIN BROKEN"), Some(Color::Red));
}

#[test]
fn help_lists_every_key() {
    let mut app = app(Role::PrivacyOfficer);
    update(&mut app, Action::ToggleHelp);
    for (w, h) in SIZES {
        let screen = text(&render(&app, w, h));
        assert_has(
            &screen,
            &["Keys (Esc or ? to close)", "Queue", "Detail", "Audit"],
        );
        for b in BINDINGS {
            let what: String = if w < 120 {
                b.what.chars().take(12).collect()
            } else {
                b.what.to_string()
            };
            assert!(
                screen.contains(&what),
                "help at {w}x{h} lacks {:?}\n{screen}",
                b.what
            );
            assert!(
                screen.contains(b.keys),
                "help at {w}x{h} lacks key {:?}",
                b.keys
            );
        }
    }
}

#[test]
fn tiny_and_resized_terminals_do_not_break_drawing() {
    let mut app = app_on_detail(Role::PrivacyOfficer, true);
    update(&mut app, Action::Begin(heepr_admin_tui::action::Op::Extend));
    for (w, h) in [(20, 6), (80, 24), (40, 10), (200, 60)] {
        let screen = text(&render(&app, w, h));
        assert!(
            screen.contains("heepr-admin") || w < 30,
            "{w}x{h}\n{screen}"
        );
    }
}

#[test]
fn timeline_hides_read_calls_until_asked() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    if let Some(b) = app.detail.bundle.data.as_mut() {
        b.detail.timeline.push(AuditEntry {
            seq: 8,
            occurred_at: NOW,
            actor: "staff:s1".into(),
            action: "GET /admin/api/v1/requests/{id}".into(),
            outcome: "http 200".into(),
            ..AuditEntry::default()
        });
    }
    let screen = text(&render(&app, 160, 48));
    assert_has(&screen, &["1 reads hidden", "dsr.receive"]);
    assert!(!screen.contains("GET /requests/{id}"));
    update(&mut app, Action::ToggleReads);
    let screen = text(&render(&app, 160, 48));
    assert_has(&screen, &["GET /requests/{id}", "dsr.receive"]);
}
