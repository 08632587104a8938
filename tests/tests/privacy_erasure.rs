//! Account deletion from the dashboard: the password is asked again, the erasure runs in the
//! background, and afterwards no text column and no file in the data dir holds the old
//! email or display name; sessions are gone; the same email can sign up again. Legal holds
//! block erasure with the hold's reason; the children flag starts erasure at once.

mod privacy_support;

use anyhow::{Context, Result};
use heepr_core::staff::StaffRole;
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test, error_code};
use privacy_support::*;
use serde_json::{Value, json};

const EMAIL: &str = "zelda.quixote@example.com";
const NAME: &str = "Zelda Quixote";

async fn deleting_account_erases_identifiers_everywhere(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (zelda, account) = app.member(NAME, EMAIL).await?;
    let zelda_id = account["id"].as_str().context("id")?.to_string();
    let (bob, _) = app.member("Bob Keeper", "bob.keeper@example.com").await?;
    let bob_before: (String, i64) =
        sqlx::query_as("SELECT display_name, updated_at FROM accounts WHERE email = $1")
            .bind("bob.keeper@example.com")
            .fetch_one(app.pool())
            .await?;

    // Personal data in several stores: a request whose text names her, an export archive,
    // the welcome email (log and .eml file), sessions, the request log.
    let r = zelda
        .post(app.url("/account/privacy/requests"))
        .form(&[
            ("kind", "rectification"),
            (
                "details",
                "Please spell my name Zelda Quixote, mail zelda.quixote@example.com",
            ),
        ])
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    zelda
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    let export_id = latest_request(&app, &zelda_id, "access").await?;
    wait_status(&app, &export_id, "completed").await?;
    app.wait_for_count(
        "SELECT COUNT(*) FROM email_log WHERE account_id = $1",
        &zelda_id,
        1,
    )
    .await?;
    assert!(!files_mentioning(app.test_db.data_dir.path(), &[EMAIL])?.is_empty());

    // The password is asked again.
    let r = zelda
        .post(app.url("/account/delete"))
        .form(&[("password", "not my password")])
        .send()
        .await?;
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1 AND kind = 'erasure'",
            &zelda_id
        )
        .await?,
        0
    );
    let r = zelda
        .post(app.url("/account/delete"))
        .form(&[("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let id = latest_request(&app, &zelda_id, "erasure").await?;
    wait_status(&app, &id, "completed").await?;

    // Nothing in the database or the data dir holds her email or name.
    let hits = db_mentions(&app, &[EMAIL, NAME]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");
    let files = files_mentioning(app.test_db.data_dir.path(), &[EMAIL, NAME])?;
    assert!(files.is_empty(), "left in the data dir: {files:?}");
    // No request-log row of hers survives (the deletion request itself is not tied to her).
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM request_log WHERE account_id = $1",
            &zelda_id
        )
        .await?,
        0
    );
    // Sessions gone; the old cookie no longer works.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM sessions WHERE account_id = $1",
            &zelda_id
        )
        .await?,
        0
    );
    assert_eq!(zelda.get(app.url("/api/v1/me")).send().await?.status(), 401);
    // Kept records point at a stable random pseudonym.
    let pseudonym: String = sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
        .bind(&zelda_id)
        .fetch_one(app.pool())
        .await?;
    assert!(pseudonym.starts_with("Former member "), "{pseudonym}");
    let details: Option<String> = sqlx::query_scalar(
        "SELECT details FROM dsr_requests WHERE account_id = $1 AND kind = 'rectification'",
    )
    .bind(&zelda_id)
    .fetch_one(app.pool())
    .await?;
    assert_eq!(
        details.as_deref(),
        Some(format!("Please spell my name {pseudonym}, mail {pseudonym}").as_str())
    );
    // Other people's rows untouched (updated_at included).
    let bob_after: (String, i64) =
        sqlx::query_as("SELECT display_name, updated_at FROM accounts WHERE email = $1")
            .bind("bob.keeper@example.com")
            .fetch_one(app.pool())
            .await?;
    assert_eq!(bob_before, bob_after);
    assert_eq!(bob.get(app.url("/api/v1/me")).send().await?.status(), 200);
    // Erasure ledger: database and file.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1",
            &zelda_id
        )
        .await?,
        1
    );
    let ledger = heepr_compliance::erasure_ledger::read_file(app.test_db.data_dir.path())?;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].request_id.as_deref(), Some(id.as_str()));
    // The same email can sign up again, as a new person.
    let again = app.client()?;
    let new = app
        .sign_up(&again, "Zelda Again", EMAIL, DEFAULT_PASSWORD)
        .await?;
    assert_ne!(new["id"].as_str(), Some(zelda_id.as_str()));
    // The audit chain holds.
    let v = heepr_compliance::audit::verify(app.pool()).await?;
    assert_eq!(v.first_broken, None);
    Ok(())
}
backend_test!(deleting_account_erases_identifiers_everywhere);

async fn legal_hold_blocks_erasure_until_lifted(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let staff = app.client()?;
    let (held, account) = app
        .member("Harriet Held", "harriet.held@example.com")
        .await?;
    let held_id = account["id"].as_str().context("id")?.to_string();
    let auth = format!("Bearer {officer}");

    let r = staff
        .post(app.url(&format!("/admin/api/v1/accounts/{held_id}/holds")))
        .header("Authorization", &auth)
        .json(&json!({"reason": "  "}))
        .send()
        .await?;
    assert_eq!(r.status(), 422, "a hold needs a reason");
    let r = staff
        .post(app.url(&format!("/admin/api/v1/accounts/{held_id}/holds")))
        .header("Authorization", &auth)
        .json(&json!({"reason": "Court order 2026-117 (fraud claim)"}))
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let hold: Value = r.json().await?;

    // The subject asks for deletion: the request goes on hold, saying why.
    let r = held
        .post(app.url("/account/delete"))
        .form(&[("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let id = latest_request(&app, &held_id, "erasure").await?;
    wait_status(&app, &id, "on_hold").await?;
    let r = staff
        .get(app.url(&format!("/admin/api/v1/requests/{id}")))
        .header("Authorization", &auth)
        .send()
        .await?;
    let shown: Value = r.json().await?;
    let reason = shown["request"]["status_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("Court order 2026-117"), "{reason}");
    assert_eq!(shown["subject"]["on_hold"], true);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1",
            &held_id
        )
        .await?,
        0
    );
    // Staff cannot run it either while held: 409 with the hold's reason.
    staff
        .post(app.url(&format!("/admin/api/v1/requests/{id}/transition")))
        .header("Authorization", &auth)
        .json(&json!({"to": "in_progress"}))
        .send()
        .await?;
    let r = staff
        .post(app.url(&format!("/admin/api/v1/requests/{id}/erasure")))
        .header("Authorization", &auth)
        .send()
        .await?;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await?;
    assert_eq!(error_code(&body), "legal_hold");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Court order")
    );
    // The children flag is refused too.
    let r = staff
        .post(app.url(&format!("/admin/api/v1/accounts/{held_id}/child-flag")))
        .header("Authorization", &auth)
        .json(&json!({}))
        .send()
        .await?;
    assert_eq!(r.status(), 409);

    // Lifted: the erasure runs.
    let r = staff
        .post(app.url(&format!(
            "/admin/api/v1/holds/{}/lift",
            hold["id"].as_str().unwrap_or_default()
        )))
        .header("Authorization", &auth)
        .json(&json!({"reason": "Claim settled"}))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let r = staff
        .post(app.url(&format!("/admin/api/v1/requests/{id}/erasure")))
        .header("Authorization", &auth)
        .send()
        .await?;
    assert_eq!(r.status(), 202);
    wait_status(&app, &id, "completed").await?;
    assert!(
        db_mentions(&app, &["harriet.held@example.com"])
            .await?
            .is_empty()
    );
    Ok(())
}
backend_test!(legal_hold_blocks_erasure_until_lifted);

async fn child_flag_starts_erasure_at_once(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let (_kid, account) = app.member("Kid Young", "kid.young@example.com").await?;
    let kid_id = account["id"].as_str().context("id")?.to_string();
    let r = app
        .client()?
        .post(app.url(&format!("/admin/api/v1/accounts/{kid_id}/child-flag")))
        .header("Authorization", format!("Bearer {officer}"))
        .json(&json!({"note": "parent wrote in"}))
        .send()
        .await?;
    assert_eq!(r.status(), 202);
    let dsr: Value = r.json().await?;
    assert_eq!(dsr["kind"], "erasure");
    wait_status(&app, dsr["id"].as_str().unwrap_or_default(), "completed").await?;
    assert!(
        db_mentions(&app, &["kid.young@example.com", "Kid Young"])
            .await?
            .is_empty()
    );
    Ok(())
}
backend_test!(child_flag_starts_erasure_at_once);
