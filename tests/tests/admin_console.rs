//! The admin console (`heepr-admin`) end to end: its own update and network code, without a
//! terminal, drives a real server on 127.0.0.1. A privacy officer opens a staff-entered
//! erasure request, starts it, is refused a transition the state machine forbids (the
//! server's reason and allowed states shown), places a legal hold and sees the erasure
//! refused with the hold's reason, lifts the hold, types the subject's id to approve the
//! erasure — and the server really erased the subject. A support token sees emails masked
//! and every action disabled, and sends nothing. The privacy desk's own work runs from the
//! console too: a letter recorded with the form, a rectification that completes its
//! request, a restriction, a note, the subject found by email.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

mod privacy_support;

use anyhow::{Context, Result, bail};
use heepr_admin_tui::action::{Action, Tab};
use heepr_admin_tui::api::{AdminClient, Kind, Status, Token};
use heepr_admin_tui::headless::{Headless, KeyCode};
use heepr_core::identity::staff::StaffRole;
use heepr_core::platform::time::rfc3339;
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

    // Start: the subject has not confirmed, so the console asks how their identity was
    // checked and sends nothing without it; then the server accepts and it shows the answer.
    c.press(KeyCode::Char('s')).await;
    c.press(KeyCode::Enter).await;
    let asked = c.app.dialog.as_ref().and_then(|d| d.error.clone());
    assert!(
        asked
            .as_deref()
            .unwrap_or_default()
            .contains("how you checked"),
        "{asked:?}"
    );
    assert_eq!(status_of(&app, &rid).await?, "awaiting_verification");
    c.type_text("called the number on file").await;
    c.press(KeyCode::Enter).await;
    assert!(
        outcome(&c).contains("accepted, request is now in_progress"),
        "{}",
        outcome(&c)
    );
    assert_eq!(status_of(&app, &rid).await?, "in_progress");
    let (by, note): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT verified_by, verification_note FROM dsr_requests WHERE id = $1")
            .bind(&rid)
            .fetch_one(app.pool())
            .await?;
    assert_eq!(
        (by.as_deref(), note.as_deref()),
        (Some("staff"), Some("called the number on file"))
    );

    // A transition the state machine forbids is not offered: no dialog, nothing sent.
    let audited = app
        .count("SELECT COUNT(*) FROM audit_log WHERE request_id = $1", &rid)
        .await?;
    c.press(KeyCode::Char('v')).await;
    assert!(c.app.dialog.is_none());
    let flash = c.app.flash.clone().unwrap_or_default();
    assert!(
        flash.contains("is not possible") && flash.contains("in_progress"),
        "{flash}"
    );
    c.press(KeyCode::Enter).await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE request_id = $1 AND action = 'dsr.transition' AND outcome = 'refused'",
            &rid
        )
        .await?,
        0,
        "nothing was sent ({audited} entries before)"
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
    // `c` on the completed request opens nothing (it used to open a dialog that failed).
    c.press(KeyCode::Char('c')).await;
    assert!(c.app.dialog.is_none() && c.app.busy.is_none());
    Ok(())
}
backend_test!(officer_approves_an_erasure_in_the_console);

/// The privacy desk's day in the console: a letter received two days ago recorded with the
/// form, started, the display name rectified (which completes the request), processing
/// restricted, a note added, the subject found by email, and the audit screen without the
/// console's own reads.
async fn officer_runs_the_desk_from_the_console(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let (_, account) = app.member("Dora Desk", "dora.desk@example.com").await?;
    let dora = account["id"].as_str().context("id")?.to_string();
    let mut c = console(&app, &officer).await?;
    let letter = rfc3339(START_MS - 2 * 24 * 3_600_000);
    c.press(KeyCode::Char('N')).await;
    c.type_text("dora.desk@example.com").await;
    c.press(KeyCode::Tab).await;
    c.press(KeyCode::Up).await; // access → rectification
    c.press(KeyCode::Tab).await;
    c.type_text("Letter: my name is Dora Martin now").await;
    c.press(KeyCode::Tab).await;
    c.type_text(&letter[..10]).await;
    c.press(KeyCode::Enter).await;
    assert_eq!(c.app.tab, Tab::Detail, "{}", outcome(&c));
    let r = c.app.open_request().context("the new request")?.clone();
    assert_eq!(
        (r.kind, r.status, r.channel.as_str()),
        (Kind::Rectification, Status::AwaitingVerification, "staff")
    );
    assert_eq!(&r.received_at[..10], &letter[..10]);

    c.press(KeyCode::Char('s')).await;
    c.type_text("her letter is signed and matches the account")
        .await;
    c.press(KeyCode::Enter).await;
    c.press(KeyCode::Char('e')).await;
    c.type_text("Dora Martin").await;
    c.press(KeyCode::Enter).await;
    let o = outcome(&c);
    assert!(o.contains("corrected") && o.contains("completed"), "{o}");
    let name: String = sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
        .bind(&dora)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(name, "Dora Martin");
    assert_eq!(status_of(&app, &r.id).await?, "completed");

    c.press(KeyCode::Char('p')).await;
    c.type_text("Accuracy contested by letter").await;
    c.press(KeyCode::Enter).await;
    assert!(outcome(&c).contains("in force"), "{}", outcome(&c));
    let bundle = c.app.detail.bundle.data.clone().context("detail")?;
    assert!(bundle.restrictions.iter().any(|x| x.lifted_at.is_none()));
    c.press(KeyCode::Char('p')).await;
    assert!(
        c.app.dialog.is_none(),
        "a second restriction is not offered"
    );
    c.press(KeyCode::Char('n')).await;
    c.type_text("Signed letter kept on file").await;
    c.press(KeyCode::Enter).await;
    let bundle = c.app.detail.bundle.data.clone().context("detail")?;
    assert_eq!(
        bundle.detail.notes.first().map(|n| n.text.as_str()),
        Some("Signed letter kept on file")
    );

    c.press(KeyCode::Esc).await;
    c.press(KeyCode::Char('F')).await;
    c.type_text("DORA.desk@example.com").await;
    c.press(KeyCode::Enter).await;
    let flash = c.app.flash.clone().unwrap_or_default();
    assert!(
        flash.contains("Dora Martin") && flash.contains("restricted"),
        "{flash}"
    );
    assert!(
        c.app
            .visible_requests()
            .iter()
            .all(|r| r.account_id == dora)
    );

    c.press(KeyCode::Char('5')).await;
    assert!(
        c.app
            .visible_audit()
            .iter()
            .all(|e| !e.action.starts_with("GET ")),
        "the console's own reads are hidden"
    );
    c.press(KeyCode::Char('w')).await;
    assert!(
        c.app
            .visible_audit()
            .iter()
            .any(|e| e.action.starts_with("GET "))
    );
    Ok(())
}
backend_test!(officer_runs_the_desk_from_the_console);

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
