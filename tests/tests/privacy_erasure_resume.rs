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

/// An owner ([`NAME`], [`EMAIL`]) with an agent, and a customer ("Carl Customer") whose
/// message on their order names the owner by name and email; the order emails have gone
/// out (the service's erasure drains mail first; these tests drive the erasure
/// themselves). Returns the owner's id, the customer's client and the order id.
async fn owner_named_by_customer(app: &TestApp) -> Result<(String, reqwest::Client, String)> {
    let (owner, _) = app.member(NAME, EMAIL).await?;
    let owner_id = account_id(app, EMAIL).await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id =
        heepr_tests::market::publish_agent(app, &owner, "Blog Writer", 100, "writing").await?;
    let order = id_of(&place_order(app, &customer, &agent_id).await?);
    let (s, body) = post(
        app,
        &customer,
        &format!("/api/v1/orders/{order}/messages"),
        json!({"body": format!("Thanks {NAME}! I'll write to {EMAIL}.")}),
    )
    .await?;
    anyhow::ensure!(s == 201, "{body}");
    wait_mail_out(app, &owner_id).await?;
    Ok((owner_id, customer, order))
}

/// The erasure of `owner_id`, stopped (as by a crash) right after its first transaction:
/// the pseudonym is on, other people's text not yet redacted. Run it again with
/// `stop_after_batches = None` to complete it.
async fn interrupted_erasure<'a>(app: &'a TestApp, owner_id: &'a str) -> Result<ErasureJob<'a>> {
    let job = ErasureJob {
        map: &app.state.policies.data_map,
        account_id: owner_id,
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
    Ok(job)
}

async fn an_interrupted_erasure_shows_the_pseudonym_and_resumes(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner_id, _customer, order) = owner_named_by_customer(&app).await?;

    // The erasure stops (a crash) right after its first transaction.
    let mut job = interrupted_erasure(&app, &owner_id).await?;
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

/// A counterparty's export built while the person is being erased is not published with
/// their name: it is held back while the erasure runs, built again once it has completed,
/// and the archive finally published names them only by pseudonym.
async fn an_export_built_during_a_counterpartys_erasure_is_held_until_redacted(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner_id, customer, _order) = owner_named_by_customer(&app).await?;
    let carl = account_id(&app, "carl@example.com").await?;

    // The owner's erasure is under way (cut short after its first transaction): the
    // customer's message is not redacted yet.
    let mut job = interrupted_erasure(&app, &owner_id).await?;

    // The customer asks for their export meanwhile: it is built, found to name the owner,
    // and held back; nothing is downloadable.
    let r = customer
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let id = latest_request(&app, &carl, "access").await?;
    app.wait_for_count(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'export.discard' AND request_id = $1",
        &id,
        1,
    )
    .await?;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM export_archives WHERE request_id = $1",
            &id
        )
        .await?,
        0
    );
    assert_eq!(status_of(&app, &id).await?, "in_progress");
    let exports = app.test_db.data_dir.path().join("exports");
    let held = tempfile::tempdir()?;
    for name in std::fs::read_dir(&exports).into_iter().flatten() {
        gnu_tar_extract(&name?.path(), held.path())?;
    }
    assert!(files_mentioning(held.path(), &[EMAIL, "Ångström"])?.is_empty());

    // Regression: while the erasure still runs, the held export was built again every
    // minute (a full archive each time, held back each time). Now the worker sees the
    // erasure it waits for still running and only looks again a minute later.
    let asked_at = |app: &TestApp| {
        let (pool, id) = (app.pool().clone(), id.clone());
        async move {
            let at: Option<i64> =
                sqlx::query_scalar("SELECT job_requested_at FROM dsr_requests WHERE id = $1")
                    .bind(&id)
                    .fetch_one(&pool)
                    .await?;
            anyhow::Ok(at.unwrap_or_default())
        }
    };
    for _ in 0..2 {
        let before = asked_at(&app).await?;
        app.clock
            .advance_ms(heepr_core::privacy::export_archive::HELD_FOR_ERASURE_MS + 1);
        app.state.privacy_wakeup.notify_one();
        let mut moved = false;
        for _ in 0..300 {
            if asked_at(&app).await? > before {
                moved = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(moved, "the worker looked at the held export again");
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'export.discard' AND request_id = $1",
            &id
        )
        .await?,
        1,
        "no archive was built again while the erasure ran"
    );

    // The erasure completes; a minute later the export is built again and published,
    // with the owner only under their pseudonym.
    job.stop_after_batches = None;
    erasure::run(&app.state.db, &job, app.clock_now()).await?;
    app.clock
        .advance_ms(heepr_core::privacy::export_archive::HELD_FOR_ERASURE_MS + 1);
    app.state.privacy_wakeup.notify_one();
    wait_status(&app, &id, "completed").await?;
    let published = tempfile::tempdir()?;
    gnu_tar_extract(&exports.join(format!("{id}.tar.gz")), published.path())?;
    assert!(
        files_mentioning(published.path(), &[EMAIL, "Ångström", "Angstrom"])?.is_empty(),
        "the published archive does not name the erased owner"
    );
    let pseudonym = pseudonym_of(&app, &owner_id).await?;
    assert!(
        !files_mentioning(published.path(), &[&pseudonym])?.is_empty(),
        "the archive holds the message, under the owner's pseudonym"
    );
    Ok(())
}
backend_test!(an_export_built_during_a_counterpartys_erasure_is_held_until_redacted);

/// An erasure deletes a row's stored file after the batch that deleted the row committed
/// (file I/O outside the write transaction), from a list the batch wrote in the job's row:
/// stopped after any batch, as by a crash, and run again, it leaves none of the subject's
/// files behind.
async fn files_of_rows_deleted_before_a_crash_go_when_the_erasure_resumes(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (fay, account) = app.member("Fay Files", "fay.files@example.com").await?;
    let fay_id = account["id"].as_str().unwrap_or_default().to_string();
    wait_mail_out(&app, &fay_id).await?;
    for i in 0..3 {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(format!("draft number {i}").into_bytes())
                .file_name(format!("draft{i}.txt")),
        );
        let r = fay
            .post(app.url("/api/v1/files"))
            .multipart(form)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "{}", r.status());
    }
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT stored_path FROM files WHERE uploader_id = $1")
            .bind(&fay_id)
            .fetch_all(app.pool())
            .await?;
    assert_eq!(stored.len(), 3);
    let mut job = ErasureJob {
        map: &app.state.policies.data_map,
        account_id: &fay_id,
        request_id: None,
        actor: "test",
        data_dir: app.test_db.data_dir.path(),
        batch_rows: 1,
        stop_after_batches: None,
    };
    let mut stops = 0;
    for k in 1..500 {
        job.stop_after_batches = Some(k);
        match erasure::run(&app.state.db, &job, app.clock_now()).await {
            Err(ErasureError::Interrupted(_)) => stops += 1,
            Ok(_) => break,
            Err(other) => anyhow::bail!("{other}"),
        }
    }
    anyhow::ensure!(
        stops > 3,
        "the erasure was stopped between its batches ({stops})"
    );
    let data_dir = app.test_db.data_dir.path();
    for path in &stored {
        anyhow::ensure!(!data_dir.join(path).exists(), "{path} outlived the erasure");
    }
    Ok(())
}
backend_test!(files_of_rows_deleted_before_a_crash_go_when_the_erasure_resumes);

/// Regression (fresh tester): an agent's progress notes naming the customer, posted on her
/// order while her erasure ran (after its pass over events), were kept with her name. While
/// a party's erasure runs, new messages, events and files on the order answer 409
/// `party_being_erased`, and once it completed 409 `party_erased`.
async fn nothing_new_lands_on_an_order_while_a_party_is_erased(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner_id, customer, order) = owner_named_by_customer(&app).await?;
    let mut job = interrupted_erasure(&app, &owner_id).await?;

    let path = format!("/api/v1/orders/{order}/messages");
    let message = |text: String| {
        let (app, customer, path) = (&app, &customer, &path);
        async move { post(app, customer, path, json!({"body": text})).await }
    };
    let (s, body) = message(format!("Still there, {NAME}?")).await?;
    assert_eq!(s, 409, "{body}");
    assert_eq!(body["error"]["code"], "party_being_erased", "{body}");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(format!("for {NAME}").into_bytes()).file_name("n.txt"),
    );
    let (s, body) = heepr_tests::market::send(
        customer
            .post(app.url(&format!("/api/v1/orders/{order}/files")))
            .multipart(form),
    )
    .await?;
    assert_eq!(s, 409, "{body}");

    job.stop_after_batches = None;
    erasure::run(&app.state.db, &job, app.clock_now()).await?;
    // Once it completed, nobody is there to read new words, which would only name them
    // again (fresh tester: a thousand events naming her landed on her cancelled order).
    let (s, body) = message(format!("Are you there, {NAME}?")).await?;
    assert_eq!(s, 409, "{body}");
    assert_eq!(body["error"]["code"], "party_erased", "{body}");
    Ok(())
}
backend_test!(nothing_new_lands_on_an_order_while_a_party_is_erased);

/// Regression (third fresh pass): after a CUSTOMER's erasure the agent kept posting on her
/// cancelled order, and the words were stored with her name: the order's `customer_id` holds
/// her pseudonym by then, which the check did not recognise.
async fn nothing_new_lands_on_an_erased_customers_order(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = heepr_tests::market::market(&app).await?;
    let carl = account_id(&app, "carl@example.com").await?;
    let order = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let (s, body) = post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/orders/{order}/accept"),
        json!({}),
    )
    .await?;
    assert!(s < 300, "{s} {body}");
    wait_mail_out(&app, &carl).await?;
    let job = ErasureJob {
        map: &app.state.policies.data_map,
        account_id: &carl,
        request_id: None,
        actor: "test",
        data_dir: app.test_db.data_dir.path(),
        batch_rows: erasure::DEFAULT_BATCH_ROWS,
        stop_after_batches: None,
    };
    erasure::run(&app.state.db, &job, app.clock_now()).await?;
    let (s, body) = post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/orders/{order}/messages"),
        json!({"body": "Customer Carl, carl@example.com, are you there?"}),
    )
    .await?;
    assert_eq!(s, 409, "{body}");
    assert_eq!(body["error"]["code"], "party_erased", "{body}");
    let r = m
        .agent
        .post(app.url(&format!("/api/v1/agent/orders/{order}/events")))
        .json(&json!({"kind": "progress", "message": "still on it for Carl Customer"}))
        .send()
        .await?;
    assert_eq!(r.status(), 409);
    Ok(())
}
backend_test!(nothing_new_lands_on_an_erased_customers_order);
