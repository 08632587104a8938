//! The pseudonym goes on first: an erasure cut short after its first transaction already
//! shows the person under their pseudonym; the rerun still finds them in other people's
//! text (the real identifiers are kept in the job's own row meanwhile), and once it
//! completes no copy of the real identifiers is left in any table.

mod privacy_support;

use anyhow::Result;
use heepr_compliance::erasure::{self, ErasureError, ErasureJob};
use heepr_tests::market::{id_of, place_order, post};
use heepr_tests::{Backend, TestApp, backend_test};
use privacy_support::*;
use serde_json::json;
use sqlx::Row;

const NAME: &str = "Zoë Ångström";
const EMAIL: &str = "zoe.resume@example.com";

async fn an_interrupted_erasure_shows_the_pseudonym_and_resumes(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member(NAME, EMAIL).await?;
    let owner_id = account_id(&app, EMAIL).await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id =
        heepr_tests::market::publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    let order = id_of(&place_order(&app, &customer, &agent_id).await?);
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{order}/messages"),
        json!({"body": format!("Thanks {NAME}! I'll write to {EMAIL}.")}),
    )
    .await?;
    assert_eq!(s, 201, "{body}");

    // The order emails have gone out (the service's erasure drains mail first; this test
    // drives the erasure itself).
    wait_mail_out(&app, &owner_id).await?;

    // The erasure stops (a crash) right after its first transaction.
    let mut job = ErasureJob {
        map: &app.state.policies.data_map,
        account_id: &owner_id,
        request_id: None,
        actor: "test",
        data_dir: app.test_db.data_dir.path(),
        batch_rows: erasure::DEFAULT_BATCH_ROWS,
        stop_after_batches: Some(1),
    };
    let first = erasure::run(&app.state.db, &job, app.clock_now()).await;
    assert!(
        matches!(first, Err(ErasureError::Interrupted(1))),
        "{first:?}"
    );
    let pseudonym = pseudonym_of(&app, &owner_id).await?;
    let row = sqlx::query("SELECT email, display_name FROM accounts WHERE id = $1")
        .bind(&owner_id)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(row.try_get::<String, _>("display_name")?, pseudonym);
    assert_eq!(row.try_get::<String, _>("email")?, pseudonym);

    // The rerun completes the scrub of the customer's message, with the identifiers the
    // first step kept aside.
    job.stop_after_batches = None;
    let done = erasure::run(&app.state.db, &job, app.clock_now()).await?;
    assert!(!done.already_erased);
    let kept: String = sqlx::query_scalar("SELECT body FROM order_messages WHERE order_id = $1")
        .bind(&order)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(
        kept,
        format!("Thanks {pseudonym}! I'll write to {pseudonym}.")
    );
    // No copy of the real identifiers anywhere, the job's own row included.
    let hits = db_mentions(&app, &[EMAIL, NAME, "Ångström"]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM erasure_jobs WHERE account_id = $1",
            &owner_id
        )
        .await?,
        0
    );
    Ok(())
}
backend_test!(an_interrupted_erasure_shows_the_pseudonym_and_resumes);

async fn two_concurrent_erasures_of_one_person_complete_once(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (_twin, _) = app.member("Tess Twice", "tess.twice@example.com").await?;
    let tess = account_id(&app, "tess.twice@example.com").await?;
    wait_mail_out(&app, &tess).await?;
    let job = ErasureJob {
        map: &app.state.policies.data_map,
        account_id: &tess,
        request_id: None,
        actor: "test",
        data_dir: app.test_db.data_dir.path(),
        batch_rows: erasure::DEFAULT_BATCH_ROWS,
        stop_after_batches: None,
    };
    let now = app.clock_now();
    let (a, b) = tokio::join!(
        erasure::run(&app.state.db, &job, now),
        erasure::run(&app.state.db, &job, now)
    );
    let (a, b) = (a?, b?);
    assert_eq!(
        [a.already_erased, b.already_erased]
            .iter()
            .filter(|done| !**done)
            .count(),
        1,
        "exactly one run completes the erasure"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'erasure.complete' AND subject_account_id = $1",
            &tess
        )
        .await?,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1",
            &tess
        )
        .await?,
        1
    );
    Ok(())
}
backend_test!(two_concurrent_erasures_of_one_person_complete_once);
