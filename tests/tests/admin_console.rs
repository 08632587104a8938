//! The admin console (`heepr-admin`) end to end: its own update and network code, without a
//! terminal, drives a real server on 127.0.0.1. A privacy officer opens a staff-entered
//! erasure request, starts it, is refused a transition the state machine forbids (the
//! server's reason and allowed states shown), places a legal hold and sees the erasure
//! refused with the hold's reason, lifts the hold, types the subject's id to approve the
//! erasure — and the server really erased the subject. A support token sees emails masked
//! and every action disabled, and sends nothing.

mod privacy_support;

use anyhow::{Context, Result, bail};
use heepr_admin_tui::action::{Action, Tab};
use heepr_admin_tui::api::{AdminClient, Status, Token};
use heepr_admin_tui::headless::{Headless, KeyCode};
use heepr_core::identity::staff::StaffRole;
use heepr_tests::{Backend, START_MS, TestApp, backend_test};
use privacy_support::*;
use serde_json::{Value, json};

async fn console(app: &TestApp, token: &str) -> Result<Headless> {
    let client = AdminClient::new(&app.base, Token::new(token))?;
    Ok(Headless::start(client, START_MS).await)
}

/// Reloads the open request until `done` holds (bounded, ~15 s).
async fn reload_until(c: &mut Headless, done: impl Fn(&Headless) -> bool) -> Result<()> {
    for _ in 0..300 {
        c.dispatch(Action::Refresh).await;
        if done(c) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!(
        "the console never saw the expected state: {:?}",
        c.app.open_request()
    )
}

fn outcome(c: &Headless) -> String {
    c.app
        .detail
        .outcome
        .as_ref()
        .map(|o| format!("{} | {}", o.headline, o.lines.join(" | ")))
        .unwrap_or_default()
}

async fn officer_approves_an_erasure_in_the_console(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let (_erin, account) = app.member("Erin Erase", "erin.erase@example.com").await?;
    let erin = account["id"].as_str().context("id")?.to_string();
    let created: Value = app
        .client()?
        .post(app.url("/admin/api/v1/requests"))
        .header("Authorization", format!("Bearer {officer}"))
        .json(&json!({"email": "erin.erase@example.com", "kind": "erasure"}))
        .send()
        .await?
        .json()
        .await?;
    let rid = created["id"].as_str().context("request id")?.to_string();

    let mut c = console(&app, &officer).await?;
    assert!(c.app.may_act());
    let queue = c.app.visible_requests();
    assert_eq!(queue.len(), 1);
    assert_eq!(c.app.subject_email(&erin), "erin.erase@example.com");
    c.press(KeyCode::Enter).await;
    assert_eq!(c.app.tab, Tab::Detail);
    let r = c.app.open_request().context("detail loaded")?;
    assert_eq!(
        (r.id.as_str(), r.status),
        (rid.as_str(), Status::AwaitingVerification)
    );
    let preview = c
        .app
        .detail
        .bundle
        .data
        .as_ref()
        .and_then(|b| b.preview.clone());
    let preview = preview
        .context("preview")?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(preview.tables.get("accounts").map(|t| t.rows), Some(1));

    // Start: the server accepts and the console shows its answer.
    c.press(KeyCode::Char('s')).await;
    c.press(KeyCode::Enter).await;
    assert!(
        outcome(&c).contains("accepted, request is now in_progress"),
        "{}",
        outcome(&c)
    );
    assert_eq!(status_of(&app, &rid).await?, "in_progress");

    // A forbidden transition: the server's reason and the allowed states.
    c.press(KeyCode::Char('v')).await;
    c.press(KeyCode::Enter).await;
    let o = outcome(&c);
    assert!(
        o.contains("refused") && o.contains("transition_not_allowed"),
        "{o}"
    );
    assert!(
        o.contains("allowed from here: on_hold, completed, rejected, failed"),
        "{o}"
    );

    // A legal hold placed in the console refuses the erasure with the hold's reason.
    c.press(KeyCode::Char('h')).await;
    c.type_text("Litigation 2026-17").await;
    c.press(KeyCode::Enter).await;
    assert!(outcome(&c).contains("placed"), "{}", outcome(&c));
    c.press(KeyCode::Char('E')).await;
    c.type_text(&erin).await;
    c.press(KeyCode::Enter).await;
    let o = outcome(&c);
    assert!(
        o.contains("legal_hold") && o.contains("Litigation 2026-17"),
        "{o}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1",
            &erin
        )
        .await?,
        0
    );
    c.press(KeyCode::Char('l')).await;
    c.type_text("Claim settled").await;
    c.press(KeyCode::Enter).await;
    assert!(outcome(&c).contains("lifted"), "{}", outcome(&c));

    // Approve the erasure: a wrong id sends nothing; the subject's id does.
    c.press(KeyCode::Char('E')).await;
    c.type_text("not-the-id").await;
    c.press(KeyCode::Enter).await;
    assert!(c.app.dialog.is_some(), "still asking");
    for _ in 0.."not-the-id".len() {
        c.press(KeyCode::Backspace).await;
    }
    c.type_text(&erin).await;
    c.press(KeyCode::Enter).await;
    assert!(
        outcome(&c).contains("approve erasure: accepted"),
        "{}",
        outcome(&c)
    );
    reload_until(&mut c, |c| {
        c.app
            .open_request()
            .is_some_and(|r| r.status == Status::Completed)
    })
    .await?;
    assert!(
        outcome(&c).contains("job finished: request is now completed"),
        "{}",
        outcome(&c)
    );

    // On the server: erased for real.
    wait_status(&app, &rid, "completed").await?;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1",
            &erin
        )
        .await?,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM accounts WHERE email = $1",
            "erin.erase@example.com"
        )
        .await?,
        0
    );
    assert!(
        db_mentions(&app, &["erin.erase@example.com"])
            .await?
            .is_empty()
    );
    let subject = &c
        .app
        .detail
        .bundle
        .data
        .as_ref()
        .context("detail")?
        .detail
        .subject;
    assert!(subject.erased, "the console shows the subject erased");
    Ok(())
}
backend_test!(officer_approves_an_erasure_in_the_console);

async fn support_sees_masked_emails_and_cannot_act(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let support = staff_token(&app, "help@heepr.example", StaffRole::Support).await?;
    app.member("Sam Support", "sam.support@example.com").await?;
    let r = app
        .client()?
        .post(app.url("/admin/api/v1/requests"))
        .header("Authorization", format!("Bearer {officer}"))
        .json(&json!({"email": "sam.support@example.com", "kind": "access"}))
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let mut c = console(&app, &support).await?;
    assert!(!c.app.may_act());
    let account = c.app.visible_requests()[0].account_id.clone();
    assert_eq!(c.app.subject_email(&account), "s***@example.com");
    c.press(KeyCode::Enter).await;
    assert!(c.app.open_request().is_some());
    c.press(KeyCode::Char('s')).await;
    assert!(c.app.dialog.is_none());
    assert!(
        c.app
            .flash
            .clone()
            .unwrap_or_default()
            .contains("read-only")
    );
    // The audit tab loads and the chain verifies.
    c.press(KeyCode::Char('5')).await;
    let chain = c.app.audit.chain.data.clone().context("chain verified")?;
    assert!(chain.first_broken.is_none() && chain.entries > 0);
    assert!(!c.app.visible_audit().is_empty());
    // The retention tab lists the server's rules (email log: 12 months); the backups tab
    // loads the server's catalog (empty here).
    c.press(KeyCode::Char('3')).await;
    assert!(!c.app.retention.rules.unavailable);
    let rules = c
        .app
        .retention
        .rules
        .data
        .clone()
        .context("retention rules loaded")?;
    assert!(
        rules
            .iter()
            .any(|r| r.rule == "email_log" && r.period == "12 months"),
        "{rules:?}"
    );
    c.press(KeyCode::Char('4')).await;
    assert!(!c.app.backups.catalog.unavailable);
    assert!(
        c.app
            .backups
            .catalog
            .data
            .clone()
            .context("backups loaded")?
            .is_empty()
    );
    Ok(())
}
backend_test!(support_sees_masked_emails_and_cannot_act);
