//! `update`: key → action → state, for the queue filters and search, opening a request,
//! every action's confirmation (support disabled with the reason, erasure confirmed only by
//! the subject's id, extension months and reason), the server's refusal shown with the
//! allowed transitions, missing endpoints, live refresh, and quitting from anywhere; only
//! actions the request's state allows open a dialog; the new-request form, rectification,
//! restriction and notes; the audit screen hiding read-only calls.

mod support;

use heepr_admin_tui::action::{Action, Command, Effect, NetEvent, Op, Tab};
use heepr_admin_tui::api::{
    ApiError, AuditEntry, CreateRequest, Kind, Objection, PlaceObjection, PlaceRestriction,
    Rectify, Restriction, Role, Status,
};
use heepr_admin_tui::app::{App, update};
use heepr_admin_tui::keys::{BINDINGS, map_key};
use heepr_admin_tui::screens::queue::QUEUE_REFRESH_MS;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use support::*;

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    match map_key(app, KeyEvent::new(code, KeyModifiers::NONE)) {
        Some(a) => update(app, a),
        None => Vec::new(),
    }
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn ids(app: &App) -> Vec<String> {
    app.visible_requests()
        .iter()
        .map(|r| r.account_id.clone())
        .collect()
}

#[test]
fn queue_is_sorted_by_due_date_and_counts_every_status() {
    let app = app(Role::PrivacyOfficer);
    assert_eq!(
        ids(&app),
        ["acct-1", "acct-2", "acct-3", "acct-4"],
        "open first, by due date"
    );
    let counts = app.counts();
    assert!(counts.contains(&(Status::Received, 1)));
    assert!(counts.contains(&(Status::InProgress, 1)));
    assert!(counts.contains(&(Status::OnHold, 0)));
}

#[test]
fn filters_cycle_and_search_matches_email_or_id() {
    let mut app = app(Role::PrivacyOfficer);
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.queue.status_filter, Some(Status::Received));
    assert_eq!(ids(&app), ["acct-3"]);
    key(&mut app, KeyCode::Char('z'));
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.queue.kind_filter, Some(Kind::Access));
    assert_eq!(ids(&app), ["acct-2", "acct-4"]);
    key(&mut app, KeyCode::Char('z'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "BOB@");
    assert_eq!(
        ids(&app),
        ["acct-2"],
        "search is by email, case-insensitive"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.input, None, "Enter keeps the search and leaves the box");
    assert_eq!(ids(&app), ["acct-2"]);
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(ids(&app).len(), 4, "Esc clears the search");
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "00000000003");
    assert_eq!(ids(&app), ["acct-3"], "search by request id");
}

#[test]
fn enter_opens_the_selected_request_and_loads_it() {
    let mut app = app(Role::PrivacyOfficer);
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Detail);
    let id = app.detail.open_id.clone().unwrap_or_default();
    assert!(id.ends_with('1'), "{id}");
    assert_eq!(effects, vec![Effect::LoadDetail(id)]);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.tab, Tab::Queue);
}

#[test]
fn support_sees_actions_disabled_with_the_reason() {
    let mut app = app_on_detail(Role::Support, false);
    for op in Op::ALL {
        let effects = key(&mut app, KeyCode::Char(op.key()));
        assert!(effects.is_empty());
        assert!(app.dialog.is_none(), "{op:?} opened a dialog for support");
        let flash = app.flash.clone().unwrap_or_default();
        assert!(flash.contains("support role is read-only"), "{flash}");
    }
}

#[test]
fn erasure_is_sent_only_when_the_subject_id_is_typed() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    key(&mut app, KeyCode::Char('E'));
    assert_eq!(app.dialog.as_ref().map(|d| d.op), Some(Op::ApproveErasure));
    type_text(&mut app, "acct-2");
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "wrong id sends nothing"
    );
    let error = app
        .dialog
        .as_ref()
        .and_then(|d| d.error.clone())
        .unwrap_or_default();
    assert!(error.contains("not the subject's id"), "{error}");
    for _ in 0..6 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "acct-1");
    let effects = key(&mut app, KeyCode::Enter);
    let id = app.detail.open_id.clone().unwrap_or_default();
    assert_eq!(effects, vec![Effect::Perform(Command::Erase { id })]);
    assert!(app.dialog.is_none());
    assert!(
        app.busy.is_some(),
        "the action shows as sent until answered"
    );
    // A second action waits for the answer.
    key(&mut app, KeyCode::Char('s'));
    assert!(app.dialog.is_none());
}

#[test]
fn extension_needs_a_reason_and_offers_one_or_two_months() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.dialog.as_ref().map(|d| d.months), Some(2));
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "no reason, nothing sent"
    );
    type_text(&mut app, "complex request - two countries");
    let effects = key(&mut app, KeyCode::Enter);
    let id = app.detail.open_id.clone().unwrap_or_default();
    assert_eq!(
        effects,
        vec![Effect::Perform(Command::Extend {
            id,
            months: 2,
            reason: "complex request - two countries".into()
        })]
    );
}

#[test]
fn esc_cancels_a_dialog_without_sending() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    key(&mut app, KeyCode::Char('R'));
    type_text(&mut app, "q");
    assert_eq!(
        app.dialog.as_ref().map(|d| d.input.as_str()),
        Some("q"),
        "q is typed, not quit"
    );
    assert!(!app.quit);
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.dialog.is_none() && app.busy.is_none());
}

#[test]
fn lifting_needs_an_active_hold_and_names_it() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    key(&mut app, KeyCode::Char('l'));
    assert!(app.dialog.is_none());
    let mut app = app_on_detail(Role::PrivacyOfficer, true);
    key(&mut app, KeyCode::Char('l'));
    type_text(&mut app, "case closed");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::Perform(Command::LiftHold {
            hold_id: "hold-1".into(),
            reason: "case closed".into()
        })]
    );
}

#[test]
fn refused_transition_shows_reason_and_allowed_states_then_reloads() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    key(&mut app, KeyCode::Char('c'));
    let effects = key(&mut app, KeyCode::Enter);
    let Some(Effect::Perform(command)) = effects.first().cloned() else {
        panic!("nothing sent: {effects:?}");
    };
    let refusal = ApiError::Refused {
        status: 409,
        code: "transition_not_allowed".into(),
        message: "cannot move from in_progress to completed".into(),
        field: None,
        allowed: vec![Status::OnHold, Status::Completed],
        holds: Vec::new(),
    };
    let effects = update(&mut app, Action::Net(NetEvent::Done(command, Err(refusal))));
    let o = app
        .detail
        .outcome
        .clone()
        .unwrap_or_else(|| panic!("no outcome"));
    assert!(!o.ok);
    assert!(
        o.headline.contains("cannot move from in_progress"),
        "{}",
        o.headline
    );
    assert!(
        o.lines
            .iter()
            .any(|l| l == "allowed from here: on_hold, completed"),
        "{:?}",
        o.lines
    );
    assert!(app.busy.is_none());
    let id = app.detail.open_id.clone().unwrap_or_default();
    assert_eq!(effects, vec![Effect::LoadDetail(id), Effect::LoadQueue]);
}

#[test]
fn accepted_extension_shows_the_new_due_date() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    let command = Command::Extend {
        id: "x".into(),
        months: 1,
        reason: "r".into(),
    };
    let body = json!({"id": "x", "status": "in_progress", "due_at": "2026-08-01T00:00:00.000Z"});
    update(&mut app, Action::Net(NetEvent::Done(command, Ok(body))));
    let o = app
        .detail
        .outcome
        .clone()
        .unwrap_or_else(|| panic!("no outcome"));
    assert!(
        o.ok && o.lines.contains(&"new due date: 2026-08-01".to_string()),
        "{o:?}"
    );
}

#[test]
fn missing_retention_endpoint_is_not_an_error() {
    let mut app = app(Role::PrivacyOfficer);
    let effects = key(&mut app, KeyCode::Char('3'));
    assert_eq!(effects, vec![Effect::LoadRetention]);
    let missing = ApiError::Refused {
        status: 404,
        code: "not_found".into(),
        message: "no such endpoint: GET /admin/api/v1/retention/rules".into(),
        field: None,
        allowed: Vec::new(),
        holds: Vec::new(),
    };
    update(&mut app, Action::Net(NetEvent::Retention(Err(missing))));
    assert!(app.retention.rules.unavailable);
    assert!(app.retention.rules.error.is_none());
}

#[test]
fn failed_read_shows_inline_and_keeps_old_data() {
    let mut app = app(Role::PrivacyOfficer);
    update(&mut app, Action::Refresh);
    update(
        &mut app,
        Action::Net(NetEvent::Queue(Err(ApiError::Network(
            "connection refused".into(),
        )))),
    );
    assert_eq!(app.visible_requests().len(), 4);
    assert!(
        app.queue
            .requests
            .error
            .clone()
            .unwrap_or_default()
            .contains("connection refused")
    );
}

#[test]
fn queue_refreshes_itself_for_live_counts() {
    let mut app = app(Role::PrivacyOfficer);
    assert!(
        update(
            &mut app,
            Action::Tick {
                now_ms: NOW + 1_000
            }
        )
        .is_empty()
    );
    let effects = update(
        &mut app,
        Action::Tick {
            now_ms: NOW + QUEUE_REFRESH_MS,
        },
    );
    assert_eq!(effects, vec![Effect::LoadQueue]);
    assert!(
        update(
            &mut app,
            Action::Tick {
                now_ms: NOW + 2 * QUEUE_REFRESH_MS
            }
        )
        .is_empty(),
        "no second load while one runs"
    );
}

#[test]
fn ctrl_c_quits_from_anywhere_and_q_from_screens() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    key(&mut app, KeyCode::Char('R'));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(map_key(&app, ctrl_c), Some(Action::Quit));
    let mut other = support::app(Role::Support);
    key(&mut other, KeyCode::Char('q'));
    assert!(other.quit);
}

#[test]
fn tabs_switch_by_number_and_tab_key() {
    let mut app = app(Role::PrivacyOfficer);
    assert_eq!(
        key(&mut app, KeyCode::Char('5')),
        vec![Effect::LoadAudit { subject: None }, Effect::VerifyAudit]
    );
    assert_eq!(app.tab, Tab::Audit);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Queue);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.tab, Tab::Audit);
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "acct-1");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::LoadAudit {
            subject: Some("acct-1".into())
        }]
    );
}

#[test]
fn every_single_key_in_the_help_does_something() {
    for b in BINDINGS {
        let tab = match b.scope {
            "Queue" => Tab::Queue,
            "Detail" => Tab::Detail,
            "Retention" => Tab::Retention,
            "Audit" => Tab::Audit,
            _ => continue,
        };
        let mut app = app_on_detail(Role::PrivacyOfficer, true);
        update(&mut app, Action::Show(tab));
        for token in b.keys.split_whitespace() {
            let code = match token {
                "Enter" => KeyCode::Enter,
                t if t.chars().count() == 1 => KeyCode::Char(t.chars().next().unwrap_or(' ')),
                _ => continue,
            };
            assert!(
                map_key(&app, KeyEvent::new(code, KeyModifiers::NONE)).is_some(),
                "{} on {}: no action",
                token,
                b.scope
            );
        }
    }
}

#[test]
fn a_finished_job_updates_the_answer_and_the_queue_counts() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    let id = app.detail.open_id.clone().unwrap_or_default();
    let body = json!({"id": id, "status": "in_progress", "job_requested": true});
    update(
        &mut app,
        Action::Net(NetEvent::Done(Command::Erase { id: id.clone() }, Ok(body))),
    );
    let lines = app
        .detail
        .outcome
        .clone()
        .map(|o| o.lines)
        .unwrap_or_default();
    assert!(
        lines.iter().any(|l| l.starts_with("job queued")),
        "{lines:?}"
    );
    // The reloads asked for by the answer come back: the job is done.
    let mut bundle = detail(false, false);
    bundle.detail.request.status = Status::Completed;
    update(&mut app, Action::Net(NetEvent::Queue(Ok(queue()))));
    let effects = update(
        &mut app,
        Action::Net(NetEvent::Detail(id, Ok(Box::new(bundle)))),
    );
    let lines = app
        .detail
        .outcome
        .clone()
        .map(|o| o.lines)
        .unwrap_or_default();
    assert!(
        lines.contains(&"job finished: request is now completed".to_string()),
        "{lines:?}"
    );
    assert_eq!(
        effects,
        vec![Effect::LoadQueue],
        "counts reload when a status changed"
    );
}

#[test]
fn retention_dry_run_is_an_officer_action() {
    let rules = vec![heepr_admin_tui::api::RetentionRule {
        rule: "email_log".into(),
        ..Default::default()
    }];
    let mut officer = app(Role::PrivacyOfficer);
    key(&mut officer, KeyCode::Char('3'));
    update(
        &mut officer,
        Action::Net(NetEvent::Retention(Ok(rules.clone()))),
    );
    assert_eq!(
        key(&mut officer, KeyCode::Enter),
        vec![Effect::Perform(Command::DryRun {
            rule: "email_log".into()
        })]
    );
    let mut support = support::app(Role::Support);
    key(&mut support, KeyCode::Char('3'));
    update(&mut support, Action::Net(NetEvent::Retention(Ok(rules))));
    assert!(key(&mut support, KeyCode::Enter).is_empty());
    assert!(
        support
            .flash
            .clone()
            .unwrap_or_default()
            .contains("read-only")
    );
}

#[test]
fn the_selection_follows_its_request_across_reloads() {
    let mut app = app(Role::PrivacyOfficer);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(
        app.visible_requests()[app.queue.selected].account_id,
        "acct-3"
    );
    // A new, more urgent request arrives first in the list.
    let mut fresh = queue();
    fresh.push(request(5, Kind::Access, Status::Received, -9));
    update(&mut app, Action::Net(NetEvent::Queue(Ok(fresh))));
    assert_eq!(
        app.visible_requests()[app.queue.selected].account_id,
        "acct-3"
    );
}

#[test]
fn a_lost_answer_never_leaves_the_console_waiting() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    key(&mut app, KeyCode::Char('c'));
    let effects = key(&mut app, KeyCode::Enter);
    let Some(effect) = effects.into_iter().next() else {
        panic!("nothing sent");
    };
    assert!(app.busy.is_some() && app.loading());
    update(
        &mut app,
        Action::Net(heepr_admin_tui::net::lost_answer(effect)),
    );
    assert!(app.busy.is_none());
    let o = app
        .detail
        .outcome
        .clone()
        .unwrap_or_else(|| panic!("no outcome"));
    assert!(
        !o.ok && o.headline.contains("reload to see the server's state"),
        "{}",
        o.headline
    );
}

#[test]
fn dry_run_answers_of_both_shapes_are_described() {
    let command = Command::DryRun {
        rule: "email_log".into(),
    };
    let tables = json!({"rule": "email_log", "run_id": "r", "dry_run": true,
        "cutoff": "2025-06-01T00:00:00.000Z", "outcome": "succeeded", "error": null,
        "rows_examined": 3, "rows_affected": 0, "tables": []});
    let o = heepr_admin_tui::screens::outcome::describe_answer(&command, &Ok(tables));
    assert_eq!(
        o.headline,
        "dry run of email_log: 0 rows would be removed (of 3 examined), outcome succeeded"
    );
    let files = json!({"rule": "backups", "store": "backups", "dry_run": true,
        "cutoff": "2025-06-01T00:00:00.000Z", "outcome": "succeeded",
        "rows_affected": 0, "rows_examined": 2});
    let o = heepr_admin_tui::screens::outcome::describe_answer(&command, &Ok(files));
    assert!(
        o.headline.contains("(of 2 examined), outcome succeeded"),
        "{}",
        o.headline
    );
    let o = heepr_admin_tui::screens::outcome::describe_answer(&command, &Ok(json!({})));
    assert!(o.headline.ends_with("outcome ?"), "{}", o.headline);
}

#[test]
fn a_queue_reload_seen_from_another_tab_keeps_the_selection_on_a_row() {
    let mut app = app(Role::PrivacyOfficer);
    for _ in 0..3 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char('5'));
    // The queue reloads while the Audit tab is shown, and shrinks to one request.
    let one = vec![request(3, Kind::Objection, Status::Received, 20)];
    update(&mut app, Action::Net(NetEvent::Queue(Ok(one))));
    assert_eq!(app.queue.selected, 0);
    key(&mut app, KeyCode::Char('1'));
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Detail, "Enter opens the one request left");
    assert!(matches!(effects.as_slice(), [Effect::LoadDetail(id)] if id.ends_with('3')));
}

/// The open request of `app` moved to `status` (as a reload would bring it).
fn with_status(app: &mut App, kind: Kind, status: Status) {
    let id = app.detail.open_id.clone().unwrap_or_default();
    let mut bundle = detail(false, false);
    bundle.detail.request.kind = kind;
    bundle.detail.request.status = status;
    bundle.detail.request.allowed_transitions = allowed(status);
    update(app, Action::Net(NetEvent::Detail(id, Ok(Box::new(bundle)))));
}

/// The server answers the action awaiting its answer, so the next one may start.
fn answer_last_action(app: &mut App, id: &str) {
    update(
        app,
        Action::Net(NetEvent::Done(
            Command::AddNote {
                id: id.to_owned(),
                text: "x".into(),
            },
            Ok(json!({})),
        )),
    );
}

#[test]
fn only_actions_the_state_allows_open_a_dialog() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    with_status(&mut app, Kind::Access, Status::Completed);
    for c in ['c', 's', 'v', 'R', 'x', 'E', 'd', 'l', 'u'] {
        assert!(key(&mut app, KeyCode::Char(c)).is_empty());
        assert!(
            app.dialog.is_none(),
            "{c} opened a dialog on a completed request"
        );
        let flash = app.flash.clone().unwrap_or_default();
        assert!(flash.contains("is not possible"), "{c}: {flash}");
    }
    let flash = {
        key(&mut app, KeyCode::Char('c'));
        app.flash.clone().unwrap_or_default()
    };
    assert!(
        flash.contains("completed cannot become completed"),
        "{flash}"
    );
    // What a closed request still allows: a note, a correction, a restriction.
    for c in ['n', 'e', 'p'] {
        key(&mut app, KeyCode::Char(c));
        assert!(app.dialog.is_some(), "{c} offered no dialog");
        key(&mut app, KeyCode::Esc);
    }
}

#[test]
fn rectify_and_restrict_complete_the_request_they_answer() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    with_status(&mut app, Kind::Rectification, Status::InProgress);
    let id = app.detail.open_id.clone().unwrap_or_default();
    key(&mut app, KeyCode::Char('e'));
    key(&mut app, KeyCode::Down);
    type_text(&mut app, "alice.new@example.com");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::Perform(Command::Rectify {
            account_id: "acct-1".into(),
            body: Box::new(Rectify {
                field: "email".into(),
                value: "alice.new@example.com".into(),
                reason: format!("asked in request {id}"),
                request_id: Some(id.clone()),
            }),
        })]
    );
    answer_last_action(&mut app, &id);
    // Another kind's request is not completed by a restriction.
    key(&mut app, KeyCode::Char('p'));
    type_text(&mut app, "accuracy contested");
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::Perform(Command::Restrict {
            account_id: "acct-1".into(),
            body: PlaceRestriction {
                reason: "accuracy contested".into(),
                request_id: None,
            },
        })]
    );
}

#[test]
fn a_restriction_in_force_can_be_lifted_not_placed_again() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    let id = app.detail.open_id.clone().unwrap_or_default();
    let mut bundle = detail(false, false);
    bundle.restrictions = vec![Restriction {
        id: "restr-1".into(),
        account_id: "acct-1".into(),
        reason: "contested".into(),
        placed_at: NOW,
        ..Restriction::default()
    }];
    update(&mut app, Action::Refresh);
    update(
        &mut app,
        Action::Net(NetEvent::Detail(id, Ok(Box::new(bundle)))),
    );
    key(&mut app, KeyCode::Char('p'));
    assert!(app.dialog.is_none());
    key(&mut app, KeyCode::Char('u'));
    type_text(&mut app, "checked");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::Perform(Command::LiftRestriction {
            id: "restr-1".into(),
            reason: "checked".into(),
        })]
    );
}

#[test]
fn an_objection_completes_its_request_and_one_in_force_can_only_end() {
    let mut app = app_on_detail(Role::PrivacyOfficer, false);
    with_status(&mut app, Kind::Objection, Status::InProgress);
    let id = app.detail.open_id.clone().unwrap_or_default();
    key(&mut app, KeyCode::Char('O'));
    assert!(app.dialog.is_none(), "no objection to end yet");
    key(&mut app, KeyCode::Char('o'));
    type_text(&mut app, "leave me out of statistics");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::Perform(Command::Object {
            account_id: "acct-1".into(),
            body: Box::new(PlaceObjection {
                processing: "product_analytics".into(),
                reason: "leave me out of statistics".into(),
                request_id: Some(id.clone()),
            }),
        })]
    );
    answer_last_action(&mut app, &id);
    let mut bundle = detail(false, false);
    bundle.objections = vec![Objection {
        id: "obj-1".into(),
        account_id: "acct-1".into(),
        processing: "product_analytics".into(),
        reason: "leave me out".into(),
        placed_at: NOW,
        ..Objection::default()
    }];
    update(&mut app, Action::Refresh);
    update(
        &mut app,
        Action::Net(NetEvent::Detail(id, Ok(Box::new(bundle)))),
    );
    key(&mut app, KeyCode::Char('o'));
    assert!(app.dialog.is_none(), "a second objection offered");
    key(&mut app, KeyCode::Char('O'));
    type_text(&mut app, "withdrawn by email");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::Perform(Command::EndObjection {
            id: "obj-1".into(),
            reason: "withdrawn by email".into(),
        })]
    );
}

#[test]
fn the_new_request_form_sends_what_was_typed() {
    let mut app = app(Role::PrivacyOfficer);
    key(&mut app, KeyCode::Char('N'));
    assert!(app.form.is_some());
    assert!(
        key(&mut app, KeyCode::Enter).is_empty(),
        "no email, nothing sent"
    );
    type_text(&mut app, "alice@example.com");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "Letter of 28 May");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "2026-05-28");
    let effects = key(&mut app, KeyCode::Enter);
    let sent = CreateRequest {
        email: "alice@example.com".into(),
        kind: Kind::ALL[2].as_str().into(),
        details: Some("Letter of 28 May".into()),
        received_at: Some("2026-05-28T00:00:00Z".into()),
    };
    let sent = Box::new(sent);
    assert_eq!(
        effects,
        vec![Effect::Perform(Command::CreateRequest(sent.clone()))]
    );
    assert!(app.form.is_none());
    // The created request opens on Detail.
    let body = json!({"id": "new-1", "status": "awaiting_verification"});
    let effects = update(
        &mut app,
        Action::Net(NetEvent::Done(Command::CreateRequest(sent), Ok(body))),
    );
    assert_eq!(app.tab, Tab::Detail);
    assert_eq!(effects.first(), Some(&Effect::LoadDetail("new-1".into())));
    // Support cannot open the form.
    let mut app = support::app(Role::Support);
    key(&mut app, KeyCode::Char('N'));
    assert!(app.form.is_none());
}

#[test]
fn find_looks_the_subject_up_by_email() {
    let mut app = app(Role::PrivacyOfficer);
    key(&mut app, KeyCode::Char('F'));
    type_text(&mut app, "Bob@Example.com");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::FindSubject("Bob@Example.com".into())]
    );
    let account = heepr_admin_tui::api::Account {
        subject: subject(2, false),
        ..Default::default()
    };
    update(
        &mut app,
        Action::Net(NetEvent::Found(
            "Bob@Example.com".into(),
            Ok(Box::new(account)),
        )),
    );
    assert_eq!(ids(&app), ["acct-2"]);
    let flash = app.flash.clone().unwrap_or_default();
    assert!(
        flash.contains("bob@example.com") && flash.contains("N records one"),
        "{flash}"
    );
}

/// Find and new request work on every screen: on Detail, `F` used to do nothing and the
/// address typed next ran as actions (`R` opened reject, the rest became its reason).
#[test]
fn find_and_new_request_work_on_every_screen() {
    for screen in ['2', '3', '4', '5'] {
        let mut finding = app(Role::PrivacyOfficer);
        key(&mut finding, KeyCode::Char(screen));
        key(&mut finding, KeyCode::Char('F'));
        type_text(&mut finding, "RITA@example.com");
        assert_eq!(
            key(&mut finding, KeyCode::Enter),
            vec![Effect::FindSubject("RITA@example.com".into())],
            "screen {screen}"
        );
        let mut recording = app(Role::PrivacyOfficer);
        key(&mut recording, KeyCode::Char(screen));
        key(&mut recording, KeyCode::Char('N'));
        assert!(
            recording.form.is_some(),
            "screen {screen}: the new-request form opens"
        );
    }
}

#[test]
fn the_audit_screen_hides_reads_unless_asked() {
    let mut app = app(Role::PrivacyOfficer);
    key(&mut app, KeyCode::Char('5'));
    let entry = |seq: i64, action: &str| AuditEntry {
        seq,
        action: action.into(),
        actor: "staff:s1".into(),
        ..AuditEntry::default()
    };
    let entries = vec![
        entry(3, "GET /admin/api/v1/requests"),
        entry(2, "dsr.transition"),
        entry(1, "GET /admin/api/v1/me"),
    ];
    update(&mut app, Action::Net(NetEvent::Audit(Ok(entries))));
    let shown = |app: &App| {
        app.visible_audit()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&app), [2]);
    assert_eq!(app.audit.hidden_reads(), 2);
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(shown(&app), [3, 2, 1]);
}
