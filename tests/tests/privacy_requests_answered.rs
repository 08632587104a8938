//! Every request gets an answer within its 30 days, on the paths where none came before:
//! a request whose subject never clicks the emailed confirmation link is closed as rejected
//! when the link expires (14 days), with the reason emailed; an export or erasure whose job
//! failed stays open (it is listed as overdue past its due date) and is retried by itself
//! with a growing delay before it is left to staff.

mod privacy_support;

use std::time::Duration;

use anyhow::{Context, Result};
use heepr_core::identity::staff::StaffRole;
use heepr_core::privacy::requests::retry_failed::{self, RETRY_DELAYS_MS};
use heepr_core::privacy::requests::unconfirmed;
use heepr_core::privacy::requests::{DsrFilter, list};
use heepr_tests::{Backend, TestApp, backend_test};
use privacy_support::{spawn_keeping_mail, staff_token, status_of, wait_status};
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

async fn record_by_staff(app: &TestApp, token: &str, email: &str, kind: &str) -> Result<String> {
    let r = app
        .client()?
        .post(app.url("/admin/api/v1/requests"))
        .header("Authorization", format!("Bearer {token}"))
        .json(&json!({"email": email, "kind": kind}))
        .send()
        .await?;
    let status = r.status();
    let body: Value = r.json().await?;
    anyhow::ensure!(status == 201, "recording failed: {status} {body}");
    Ok(body["id"].as_str().context("id")?.to_string())
}

async fn an_unconfirmed_request_is_answered_when_its_link_expires(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let (_c, account) = app.member("Una Confirmed", "una@example.com").await?;
    let una = account["id"].as_str().context("id")?.to_string();
    let id = record_by_staff(&app, &officer, "una@example.com", "erasure").await?;
    assert_eq!(status_of(&app, &id).await?, "awaiting_verification");

    // Day 13: the link still works, nothing is closed.
    app.clock.advance_ms(13 * DAY_MS);
    assert_eq!(unconfirmed::close_expired(&app.state).await?, 0);
    assert_eq!(status_of(&app, &id).await?, "awaiting_verification");

    // Just past 14 days: answered (rejected, with the reason), well inside the 30.
    app.clock.advance_ms(DAY_MS + 1);
    // The server's own worker may have closed it first; either way it is closed once.
    unconfirmed::close_expired(&app.state).await?;
    assert_eq!(status_of(&app, &id).await?, "rejected");
    let reason: String = sqlx::query_scalar("SELECT status_reason FROM dsr_requests WHERE id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await?;
    assert!(reason.contains("confirmation link"), "{reason}");
    let mails = app
        .count(
            "SELECT COUNT(*) FROM email_outbox WHERE account_id = $1 AND template = 'dsr_completed'",
            &una,
        )
        .await?;
    assert_eq!(mails, 1, "the subject is told, once");
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM email_outbox WHERE account_id = $1 AND template = 'dsr_completed'",
    )
    .bind(&una)
    .fetch_one(app.pool())
    .await?;
    assert!(
        body.contains("privacy@heepr.ai"),
        "says how to ask again: {body}"
    );
    assert_eq!(
        unconfirmed::close_expired(&app.state).await?,
        0,
        "idempotent"
    );
    // The account is untouched: an unconfirmed erasure erases nothing.
    let status: String = sqlx::query_scalar("SELECT status FROM accounts WHERE id = $1")
        .bind(&una)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(status, "active");
    Ok(())
}
backend_test!(an_unconfirmed_request_is_answered_when_its_link_expires);

/// Puts a plain file where the exports directory goes, so building an archive fails.
fn block_exports(app: &TestApp) -> Result<()> {
    let dir = app.test_db.data_dir.path().join("exports");
    if dir.is_dir() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::write(&dir, b"not a directory")?;
    Ok(())
}

async fn a_failed_export_stays_open_and_is_retried(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (fay, account) = app.member("Fay Failing", "fay@example.com").await?;
    let fay_id = account["id"].as_str().context("id")?.to_string();
    block_exports(&app)?;
    let r = fay.post(app.url("/account/privacy/export")).send().await?;
    assert_eq!(r.status(), 303);
    let id = privacy_support::latest_request(&app, &fay_id, "access").await?;
    wait_status(&app, &id, "failed").await?;

    // Failed is not answered: it stays open, and past its due date it is overdue.
    let now = app.clock_now();
    let open = list(
        app.pool(),
        &DsrFilter {
            account_id: Some(fay_id.clone()),
            ..DsrFilter::default()
        },
        now,
    )
    .await?;
    assert!(open.iter().any(|d| d.id == id && d.status.is_open()));

    // Not retried before its first delay; retried (and failing again) after it.
    assert_eq!(retry_failed::retry_due(&app.state).await?, 0);
    app.clock.advance_ms(RETRY_DELAYS_MS[0] + 1);
    retry_failed::retry_due(&app.state).await?;
    wait_failures(&app, &id, 2).await?;
    wait_status(&app, &id, "failed").await?;

    // The cause goes away; the next retry answers the request.
    std::fs::remove_file(app.test_db.data_dir.path().join("exports"))?;
    app.clock.advance_ms(RETRY_DELAYS_MS[1] + 1);
    retry_failed::retry_due(&app.state).await?;
    wait_status(&app, &id, "completed").await?;

    // A request that keeps failing is retried a bounded number of times, then left to
    // staff, and listed as overdue once its due date passes.
    let (gus, account) = app.member("Gus Failing", "gus@example.com").await?;
    let gus_id = account["id"].as_str().context("id")?.to_string();
    block_exports(&app)?;
    gus.post(app.url("/account/privacy/export")).send().await?;
    let gid = privacy_support::latest_request(&app, &gus_id, "access").await?;
    wait_status(&app, &gid, "failed").await?;
    for (i, delay) in RETRY_DELAYS_MS.iter().enumerate() {
        app.clock.advance_ms(delay + 1);
        retry_failed::retry_due(&app.state).await?;
        wait_failures(&app, &gid, i as i64 + 2).await?;
        wait_status(&app, &gid, "failed").await?;
    }
    app.clock.advance_ms(10 * DAY_MS);
    assert_eq!(
        retry_failed::retry_due(&app.state).await?,
        0,
        "left to staff"
    );
    app.clock.advance_ms(30 * DAY_MS);
    let overdue = list(
        app.pool(),
        &DsrFilter {
            overdue: true,
            ..DsrFilter::default()
        },
        app.clock_now(),
    )
    .await?;
    assert!(
        overdue.iter().any(|d| d.id == gid),
        "a failed request past its due date is overdue"
    );
    Ok(())
}
backend_test!(a_failed_export_stays_open_and_is_retried);

async fn staff_moves(app: &TestApp, token: &str, id: &str, to: &str) -> Result<()> {
    let r = app
        .client()?
        .post(app.url(&format!("/admin/api/v1/requests/{id}/transition")))
        .header("Authorization", format!("Bearer {token}"))
        .json(&json!({"to": to, "reason": "the disk was full"}))
        .send()
        .await?;
    let status = r.status();
    anyhow::ensure!(status == 200, "to {to}: {status} {}", r.text().await?);
    Ok(())
}

/// Regression: a failed erasure went back in progress in one step and had its job asked
/// for in a second, so a crash between them left it in progress with no job (waiting for
/// staff while its due date passed). Leaving `failed` now asks for the job itself, for the
/// worker's retry and the staff's alike.
async fn a_failed_erasure_runs_again_when_it_goes_back_in_progress(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let (_e, account) = app.member("Ezra Failed", "ezra@example.com").await?;
    let ezra = account["id"].as_str().context("id")?.to_string();
    let id = record_by_staff(&app, &officer, "ezra@example.com", "erasure").await?;
    staff_moves(&app, &officer, &id, "in_progress").await?;
    staff_moves(&app, &officer, &id, "failed").await?;
    staff_moves(&app, &officer, &id, "in_progress").await?;
    let asked: Option<i64> =
        sqlx::query_scalar("SELECT job_requested_at FROM dsr_requests WHERE id = $1")
            .bind(&id)
            .fetch_one(app.pool())
            .await?;
    assert!(asked.is_some(), "the job is asked for with the move");
    wait_status(&app, &id, "completed").await?;
    assert!(heepr_compliance::erasure::is_erased(app.pool(), &ezra).await?);
    Ok(())
}
backend_test!(a_failed_erasure_runs_again_when_it_goes_back_in_progress);

async fn wait_failures(app: &TestApp, id: &str, n: i64) -> Result<()> {
    for _ in 0..300 {
        let got: i64 = sqlx::query_scalar("SELECT job_failures FROM dsr_requests WHERE id = $1")
            .bind(id)
            .fetch_one(app.pool())
            .await?;
        if got >= n {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("request {id} never reached {n} job failures")
}
