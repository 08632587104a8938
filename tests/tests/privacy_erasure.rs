//! Account deletion from the dashboard: the password is asked again, the erasure runs in the
//! background, and afterwards no text column and no file in the data dir holds the old
//! email or display name; sessions are gone; the same email can sign up again. Legal holds
//! block erasure with the hold's reason; the children flag starts erasure at once.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

mod privacy_support;

use anyhow::{Context, Result};
use heepr_core::identity::staff::StaffRole;
use heepr_tests::market::{
    Footprint, complete_order, get, id_of, market, marketplace_footprint, place_order, post, upload,
};
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

    // Personal data in several stores: the marketplace (as customer and owner, with
    // uploads naming her), a request whose text names her, an export archive, the welcome
    // email (log and .eml file), sessions, the request log.
    let market =
        marketplace_footprint(&app, &zelda, &format!("Private notes of {NAME} <{EMAIL}>")).await?;
    let private_blob = stored_path(&app, &market.private_file_id).await?;
    let thread_blob = stored_path(&app, &market.thread_file_id).await?;
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
    // The order emails to her counterparties (which name her) have gone out.
    app.wait_for_count(
        "SELECT COUNT(*) FROM accounts WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM email_outbox)",
        &zelda_id,
        1,
    )
    .await?;
    // One to the seller that names her is still queued (its delivery keeps failing).
    let seller_id = account_id(&app, "bob.seller@example.com").await?;
    sqlx::query(
        "INSERT INTO email_outbox (id, account_id, recipient, template, subject, body_text, attempts, next_attempt_at, created_at) \
         VALUES ('retrying-1', $1, 'bob.seller@example.com', 'order_update', $2, $3, 3, $4, 0)",
    )
    .bind(&seller_id)
    .bind(format!("Your order with {NAME}"))
    .bind(format!("Hi Bob Seller,\nWith: {NAME} ({EMAIL})\n"))
    .bind(i64::MAX / 2)
    .execute(app.pool())
    .await?;

    // The password is asked again.
    let r = zelda
        .post(app.url("/account/delete"))
        .form(&[("password", "not my password")])
        .send()
        .await?;
    assert_eq!(r.status(), 422);
    assert!(r.text().await?.contains("your account was not deleted"));
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
    assert_eq!(r.status(), 303, "post/redirect/get");
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
    marketplace_after_erasure(&app, &market, &zelda_id, &pseudonym).await?;
    let queued: (String, String) =
        sqlx::query_as("SELECT subject, body_text FROM email_outbox WHERE id = 'retrying-1'")
            .fetch_one(app.pool())
            .await?;
    assert_eq!(
        queued,
        (
            format!("Your order with {pseudonym}"),
            format!("Hi Bob Seller,\nWith: {pseudonym} ({pseudonym})\n")
        ),
        "the seller's queued email is kept, naming her pseudonym"
    );
    assert!(!app.test_db.data_dir.path().join(&private_blob).exists());
    assert!(!app.test_db.data_dir.path().join(&thread_blob).exists());
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

/// `files.stored_path` of file `id`.
async fn stored_path(app: &TestApp, id: &str) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT stored_path FROM files WHERE id = $1")
            .bind(id)
            .fetch_one(app.pool())
            .await?,
    )
}

/// What erasure left of an erased member's marketplace rows (see `marketplace_footprint`).
async fn marketplace_after_erasure(
    app: &TestApp,
    market: &Footprint,
    erased_id: &str,
    pseudonym: &str,
) -> Result<()> {
    // Uploads only she could see, and her pre-sale thread with its messages, attachment
    // and unanswered offer, are gone.
    for (sql, id) in [
        (
            "SELECT COUNT(*) FROM files WHERE id = $1",
            &market.private_file_id,
        ),
        (
            "SELECT COUNT(*) FROM files WHERE id = $1",
            &market.thread_file_id,
        ),
        (
            "SELECT COUNT(*) FROM presale_threads WHERE id = $1",
            &market.thread_id,
        ),
        (
            "SELECT COUNT(*) FROM presale_messages WHERE thread_id = $1",
            &market.thread_id,
        ),
        (
            "SELECT COUNT(*) FROM offers WHERE id = $1",
            &market.open_offer_id,
        ),
        (
            "SELECT COUNT(*) FROM offers WHERE thread_id = $1 AND order_id IS NULL",
            &market.thread_id,
        ),
        (
            "SELECT COUNT(*) FROM presale_messages WHERE author_id = $1",
            &erased_id.to_string(),
        ),
    ] {
        assert_eq!(app.count(sql, id).await?, 0, "{sql} {id}");
    }
    // Her agent is unpublished, its keys and events deleted.
    let (s, _) = get(
        app,
        &market.buyer,
        &format!("/api/v1/agents/{}", market.subject_agent_id),
    )
    .await?;
    assert_eq!(s, 404, "an erased owner's agent is not shown");
    let (s, _) = post(
        app,
        &market.subject_agent,
        "/api/v1/agent/heartbeat",
        json!({}),
    )
    .await?;
    assert_eq!(s, 401, "an erased owner's keys are gone");
    for sql in [
        "SELECT COUNT(*) FROM api_keys WHERE agent_id = $1",
        "SELECT COUNT(*) FROM agent_events WHERE agent_id = $1",
    ] {
        assert_eq!(app.count(sql, &market.subject_agent_id).await?, 0, "{sql}");
    }
    // The counterparties still read the completed orders' chats, her messages attributed
    // to her pseudonym, and still download the orders' files.
    for (client, order, hers) in [
        (
            &market.seller,
            &market.bought_order_id,
            "The cat is called Miso",
        ),
        (&market.buyer, &market.sold_order_id, "Will do"),
    ] {
        let (s, body) = get(app, client, &format!("/api/v1/orders/{order}/messages")).await?;
        assert_eq!(s, 200, "{body}");
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        let mine = messages
            .iter()
            .find(|m| m["body"] == hers)
            .with_context(|| format!("{hers:?} missing: {body}"))?;
        assert_eq!(mine["author_name"], pseudonym, "{mine}");
        let (s, order_view) = get(app, client, &format!("/api/v1/orders/{order}")).await?;
        assert_eq!(s, 200, "{order_view}");
        assert_eq!(order_view["status"], "completed");
        for file in order_view["files"].as_array().cloned().unwrap_or_default() {
            let r = client
                .get(app.url(&format!("/api/v1/files/{}", id_of(&file))))
                .send()
                .await?;
            assert_eq!(r.status(), 200, "{file}");
        }
    }
    let (_, bought) = get(
        app,
        &market.seller,
        &format!("/api/v1/orders/{}", market.bought_order_id),
    )
    .await?;
    assert_eq!(bought["customer_name"], pseudonym, "{bought}");
    assert!(
        bought["files"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| id_of(f) == market.brief_file_id)),
        "the brief stays with the order: {bought}"
    );
    Ok(())
}

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
    assert_eq!(r.status(), 303, "post/redirect/get");
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
    let hits = db_mentions(&app, &["kid.young@example.com", "Kid Young"]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");
    Ok(())
}
backend_test!(child_flag_starts_erasure_at_once);

/// Deletes the signed-in `client`'s account from the dashboard and waits for the erasure.
async fn delete_account(app: &TestApp, client: &reqwest::Client, account_id: &str) -> Result<()> {
    // The order emails to the other party (which name this one) have gone out first.
    wait_mail_out(app, account_id).await?;
    let id = ask_erasure(app, client, account_id).await?;
    wait_status(app, &id, "completed").await
}

/// The public profile of `agent_id` as `client` sees it, without its reviews, and the
/// reviews.
async fn profile(
    app: &TestApp,
    client: &reqwest::Client,
    agent_id: &str,
) -> Result<(Value, Value)> {
    let (s, mut body) = get(app, client, &format!("/api/v1/agents/{agent_id}")).await?;
    assert_eq!(s, 200, "{body}");
    let reviews = body["reviews"].take();
    Ok((body, reviews))
}

/// `orders.status` of `order`.
async fn order_status(app: &TestApp, order: &str) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(app.pool())
            .await?,
    )
}

/// The points balance of account `id`'s ledger account.
async fn balance_of(app: &TestApp, id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT balance FROM ledger_accounts WHERE id = $1")
            .bind(format!("member:{id}"))
            .fetch_one(app.pool())
            .await?,
    )
}

/// `orders.customer_id` of `order`.
async fn customer_of(app: &TestApp, order: &str) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT customer_id FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(app.pool())
            .await?,
    )
}

/// An agent's counters, as stored.
async fn counters(app: &TestApp, agent_id: &str) -> Result<(i64, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT rating_total, review_count, completed_orders FROM agents WHERE id = $1",
    )
    .bind(agent_id)
    .fetch_one(app.pool())
    .await?)
}

/// Orders, offers and reviews link to an owner through `agents.owner_id` as well as to the
/// customer through `customer_id`: erasing either party pseudonymises only the erased
/// person's id. Erasing a customer leaves the owner's rating and review count unchanged;
/// erasing the owner leaves every customer's orders and reviews attributed to them. Bytes
/// two people uploaded (stored once) survive the erasure of one of them.
async fn erasing_one_party_keeps_the_other_partys_records(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let olivia = account_id(&app, "olivia@example.com").await?;
    let carl = account_id(&app, "carl@example.com").await?;
    let (dana_client, dana) = app.member("Dana Diner", "dana@example.com").await?;
    let dana = dana["id"].as_str().context("id")?.to_string();
    let mut orders = Vec::new();
    for (client, rating) in [(&m.customer, 5), (&dana_client, 3)] {
        let id = id_of(&place_order(&app, client, &m.agent_id).await?);
        complete_order(&app, &m.agent, client, &id).await?;
        let (s, body) = post(
            &app,
            client,
            &format!("/api/v1/orders/{id}/review"),
            json!({"rating": rating, "body": "Fine work"}),
        )
        .await?;
        assert_eq!(s, 201, "{body}");
        orders.push(id);
    }
    let (carl_order, dana_order) = (orders[0].clone(), orders[1].clone());
    // The same bytes uploaded by Carl and by Dana are stored once.
    let same = b"shared checklist: cats, dogs";
    upload(&app, &m.customer, "/api/v1/files", "list.txt", same).await?;
    let danas_file = upload(&app, &dana_client, "/api/v1/files", "list.txt", same).await?;
    let before = counters(&app, &m.agent_id).await?;
    assert_eq!(before, (8, 2, 2));
    let (profile_before, _) = profile(&app, &dana_client, &m.agent_id).await?;

    // Erasing the customer Carl: the owner's reputation is not rewritten.
    delete_account(&app, &m.customer, &carl).await?;
    let pseudonym: String =
        sqlx::query_scalar("SELECT pseudonym FROM pseudonyms WHERE account_id = $1")
            .bind(&carl)
            .fetch_one(app.pool())
            .await?;
    assert_eq!(counters(&app, &m.agent_id).await?, before);
    let (profile_after, reviews) = profile(&app, &dana_client, &m.agent_id).await?;
    assert_eq!(profile_before, profile_after);
    let names: Vec<&str> = reviews
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|r| r["reviewer_name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names.len(), 2, "{reviews}");
    assert!(
        names.contains(&pseudonym.as_str()) && names.contains(&"Dana Diner"),
        "{names:?}"
    );
    assert_eq!(customer_of(&app, &carl_order).await?, pseudonym);
    assert_eq!(customer_of(&app, &dana_order).await?, dana);
    let (s, _) = get(&app, &dana_client, &format!("/api/v1/files/{danas_file}")).await?;
    assert_eq!(s, 200, "bytes Dana uploaded too survive Carl's erasure");

    // Erasing the owner Olivia: Dana's order and review stay Dana's.
    delete_account(&app, &m.owner, &olivia).await?;
    assert_eq!(customer_of(&app, &dana_order).await?, dana);
    assert_eq!(customer_of(&app, &carl_order).await?, pseudonym);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reviews WHERE customer_id = $1", &dana)
            .await?,
        1
    );
    let (s, mine) = get(&app, &dana_client, "/api/v1/orders").await?;
    assert_eq!(s, 200);
    assert!(
        mine["orders"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| id_of(o) == dana_order)),
        "Dana still sees her order: {mine}"
    );
    let (s, order) = get(&app, &dana_client, &format!("/api/v1/orders/{dana_order}")).await?;
    assert_eq!(s, 200, "{order}");
    assert_eq!(order["customer_name"], "Dana Diner");
    let owner_pseudonym: String =
        sqlx::query_scalar("SELECT pseudonym FROM pseudonyms WHERE account_id = $1")
            .bind(&olivia)
            .fetch_one(app.pool())
            .await?;
    let (status, private_notes): (String, String) =
        sqlx::query_as("SELECT status, private_notes FROM agents WHERE id = $1")
            .bind(&m.agent_id)
            .fetch_one(app.pool())
            .await?;
    assert_eq!((status.as_str(), private_notes.as_str()), ("draft", ""));
    assert_eq!(counters(&app, &m.agent_id).await?, before);
    assert!(
        db_mentions(
            &app,
            &[
                "olivia@example.com",
                "Olivia Owner",
                "carl@example.com",
                "Carl Customer"
            ]
        )
        .await?
        .is_empty()
    );
    assert_ne!(owner_pseudonym, pseudonym);
    Ok(())
}
backend_test!(erasing_one_party_keeps_the_other_partys_records);

/// Unfinished orders are cancelled and refunded before erasure (as customer and as owner):
/// the points go back to the customer, not to a pseudonym no ledger account has, the
/// agent's refund count is not touched, and the deadline job later finds nothing to do.
async fn erasure_refunds_unfinished_orders_first(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let olivia = account_id(&app, "olivia@example.com").await?;
    let carl = account_id(&app, "carl@example.com").await?;
    let (dana_client, _) = app.member("Dana Diner", "dana@example.com").await?;
    let carls = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let danas = id_of(&place_order(&app, &dana_client, &m.agent_id).await?);
    let (s, body) = post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/orders/{danas}/accept"),
        json!({}),
    )
    .await?;
    assert_eq!(s, 200, "{body}");
    assert_eq!(balance_of(&app, &carl).await?, 400);

    // The customer Carl leaves: his placed order is cancelled, his points refunded.
    delete_account(&app, &m.customer, &carl).await?;
    assert_eq!(order_status(&app, &carls).await?, "cancelled");
    assert_eq!(balance_of(&app, &carl).await?, 500);
    assert_eq!(heepr_tests::market::escrow_balance(&app, &carls).await?, 0);

    // The owner Olivia leaves: Dana's order in progress is cancelled and refunded to Dana.
    delete_account(&app, &m.owner, &olivia).await?;
    assert_eq!(order_status(&app, &danas).await?, "cancelled");
    assert_eq!(heepr_tests::market::balance(&app, &dana_client).await?, 500);
    let refunded: i64 = sqlx::query_scalar("SELECT refunded_orders FROM agents WHERE id = $1")
        .bind(&m.agent_id)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(
        refunded, 0,
        "closing for erasure is not the agent's failure"
    );
    heepr_tests::market::assert_ledger_balanced(&app).await?;
    app.clock.advance_ms(30 * 24 * 3_600_000);
    assert_eq!(
        heepr_core::market::orders::deadlines::refund_missed_deadlines(&app.state).await?,
        0
    );
    Ok(())
}
backend_test!(erasure_refunds_unfinished_orders_first);

/// Erasing an agent owner redacts them from what their customers wrote on their orders:
/// the name in another case, another Unicode normalisation and without its decoration, the
/// email in another case, and a single word of the name; an ordinary word that merely
/// contains the name is left alone (issue 10, "erasure reaches every copy").
async fn erasing_an_owner_redacts_customers_messages_naming_them(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app
        .member("Zoë Ångström ✨", "zoe.angstrom@example.com")
        .await?;
    let owner_id = account_id(&app, "zoe.angstrom@example.com").await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id =
        heepr_tests::market::publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    let order = id_of(&place_order(&app, &customer, &agent_id).await?);
    // Decomposed accents (e + U+0308, A + U+030A), upper case, no sparkle; then the email in
    // mixed case; then a single word; "Zoëtrope" only contains the first name.
    let text = "Thanks ZOE\u{308} A\u{30a}NGSTRÖM! I'll write to Zoe.Angstrom@Example.COM. \
                Cheers, Zoë. My Zoëtrope arrived.";
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{order}/messages"),
        json!({"body": text}),
    )
    .await?;
    assert_eq!(s, 201, "{body}");
    // A pre-sale chat the customer opened with the owner's agent, naming the owner.
    let (s, thread) = post(
        &app,
        &customer,
        &format!("/api/v1/agents/{agent_id}/thread"),
        json!({}),
    )
    .await?;
    assert_eq!(s, 200, "{thread}");
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/threads/{}/messages", id_of(&thread)),
        json!({"body": "Hi Zoë Ångström, another job for you?"}),
    )
    .await?;
    assert_eq!(s, 201, "{body}");
    // A copy in the mail spool whose raw bytes hold neither identifier: the name in an
    // RFC 2047 header, the email in a base64 body. Another message naming someone else.
    let spool = app.test_db.data_dir.path().join("mail");
    std::fs::create_dir_all(&spool)?;
    let encoded = "From: heepr <no-reply@heepr.localhost>\r\n\
                   To: =?UTF-8?B?Wm/DqyDDhW5nc3Ryw7Zt?= <x@example.net>\r\n\
                   Subject: =?ISO-8859-1?Q?Order_for_Zo=EB_=C5ngstr=F6m?=\r\n\
                   MIME-Version: 1.0\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: base64\r\n\r\n\
                   V3JpdGUgdG8gem9lLmFuZ3N0cm9tQGV4YW1wbGUuY29t\r\n";
    std::fs::write(spool.join("encoded.eml"), encoded)?;
    std::fs::write(
        spool.join("other.eml"),
        "Subject: Hello Carl\r\n\r\nNothing about the owner.\r\n",
    )?;

    delete_account(&app, &owner, &owner_id).await?;
    assert!(!spool.join("encoded.eml").exists(), "encoded copy scrubbed");
    assert!(spool.join("other.eml").exists(), "unrelated mail kept");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM presale_messages WHERE thread_id = $1",
            &id_of(&thread)
        )
        .await?,
        0,
        "a pre-sale chat is deleted on erasure of either party"
    );
    let pseudonym = pseudonym_of(&app, &owner_id).await?;
    let kept: String = sqlx::query_scalar("SELECT body FROM order_messages WHERE order_id = $1")
        .bind(&order)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(
        kept,
        format!(
            "Thanks {pseudonym}! I'll write to {pseudonym}. Cheers, {pseudonym}. My Zoëtrope arrived."
        )
    );
    Ok(())
}
backend_test!(erasing_an_owner_redacts_customers_messages_naming_them);

/// What the other party keeps about an erased person beyond their messages: the order
/// emails' subjects in the customer's email log name the owner through the agent's name
/// ("Order with Marta Nowak Translations: placed"), and the progress events the owner's
/// agent wrote on an erased customer's order name the customer. Both go (issue 10, "erasure
/// reaches every copy"; data map: `email_log.redact_everywhere`, `agent_events` linked
/// through the order to both parties).
async fn erasure_reaches_email_subjects_and_agent_events_naming_the_person(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Marta Nowak", "marta.n@example.com").await?;
    let owner_id = account_id(&app, "marta.n@example.com").await?;
    let (customer, _) = app.member("Pia Race", "pia.r@example.com").await?;
    let pia_id = account_id(&app, "pia.r@example.com").await?;
    let agent_id = heepr_tests::market::publish_agent(
        &app,
        &owner,
        "Marta Nowak Translations",
        100,
        "writing",
    )
    .await?;
    let key = heepr_tests::market::issue_key(&app, &owner, &agent_id).await?;
    let worker = heepr_tests::market::bearer(&key)?;
    let order = id_of(&place_order(&app, &customer, &agent_id).await?);
    let (s, body) = post(
        &app,
        &worker,
        &format!("/api/v1/agent/orders/{order}/accept"),
        json!({}),
    )
    .await?;
    assert_eq!(s, 200, "{body}");
    let (s, body) = post(
        &app,
        &worker,
        &format!("/api/v1/agent/orders/{order}/events"),
        json!({"kind": "progress", "message": "Drafting for Pia Race <pia.r@example.com>"}),
    )
    .await?;
    assert!(s == 200 || s == 201, "{s} {body}");

    // Pia leaves: the owner's agent's events on her order go with her.
    delete_account(&app, &customer, &pia_id).await?;
    let hits = db_mentions(&app, &["pia.r@example.com", "Pia Race"]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");

    // Marta leaves: her name goes from the subjects of the customer's order emails too.
    let (customer2, _) = app.member("Carl Second", "carl.second@example.com").await?;
    place_order(&app, &customer2, &agent_id).await?;
    delete_account(&app, &owner, &owner_id).await?;
    let hits = db_mentions(&app, &["marta.n@example.com", "Marta Nowak"]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");
    Ok(())
}
backend_test!(erasure_reaches_email_subjects_and_agent_events_naming_the_person);

/// The other party's export archive, built before the erasure, holds the erased person's
/// name and messages (their order chat, their name on the order). The erasure withdraws it:
/// the file is deleted and its download answers 410 with what to do (issue 10; data map:
/// `scrub_dirs` includes `exports`).
async fn erasure_withdraws_a_counterpartys_export_naming_the_person(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olga Owner", "olga.owner@example.com").await?;
    let olga_id = account_id(&app, "olga.owner@example.com").await?;
    let (customer, _) = app.member("Quinn Quoted", "quinn.q@example.com").await?;
    let quinn_id = account_id(&app, "quinn.q@example.com").await?;
    let agent_id =
        heepr_tests::market::publish_agent(&app, &owner, "Tidy Writer", 100, "writing").await?;
    let order = id_of(&place_order(&app, &customer, &agent_id).await?);
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{order}/messages"),
        json!({"body": "Hello, Quinn Quoted here: write to quinn.q@example.com"}),
    )
    .await?;
    assert_eq!(s, 201, "{body}");

    let r = owner
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let export: String =
        sqlx::query_scalar("SELECT id FROM dsr_requests WHERE account_id = $1 AND kind = 'access'")
            .bind(&olga_id)
            .fetch_one(app.pool())
            .await?;
    wait_status(&app, &export, "completed").await?;
    let download = app.url(&format!("/account/privacy/exports/{export}"));
    assert_eq!(owner.get(&download).send().await?.status(), 200);

    delete_account(&app, &customer, &quinn_id).await?;
    let r = owner.get(&download).send().await?;
    assert_eq!(r.status(), 410);
    assert!(r.text().await?.contains("request a new one"));
    let files = files_mentioning(
        &app.test_db.data_dir.path().join("exports"),
        &["quinn.q@example.com"],
    )?;
    assert!(files.is_empty(), "{files:?}");
    let exports = std::fs::read_dir(app.test_db.data_dir.path().join("exports"))?.count();
    assert_eq!(exports, 0, "the archive was deleted, not left compressed");
    Ok(())
}
backend_test!(erasure_withdraws_a_counterpartys_export_naming_the_person);

/// Erasure reaches mentions of the person in conversations they are not part of: a
/// customer telling another owner about them on an order, in a pre-sale chat and in a
/// review (and the owner's reply) loses the full name and the email; a bare first name in
/// someone else's conversation is left alone, as it may be anyone's (issue 10, "erasure
/// reaches every copy"; the rule in `heepr_compliance::subject::identifiers`).
async fn erasure_reaches_mentions_in_other_peoples_conversations(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (zed, _) = app.member("Zed Quillfeather", "zed.q@example.com").await?;
    let zed_id = account_id(&app, "zed.q@example.com").await?;
    let m = heepr_tests::market::market(&app).await?;
    let order = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let text = "Zed Quillfeather sent me; reach him at Zed.Q@example.com. Zed says hi.";
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{order}/messages"),
        json!({"body": text}),
    )
    .await?;
    assert_eq!(s, 201, "{body}");
    let (s, thread) = post(
        &app,
        &m.customer,
        &format!("/api/v1/agents/{}/thread", m.agent_id),
        json!({}),
    )
    .await?;
    assert_eq!(s, 200, "{thread}");
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/threads/{}/messages", id_of(&thread)),
        // Written to dodge a plain search: case-joined, tagged and spelled out, underscored.
        json!({"body": "Did ZedQuillfeather hire you too? Ask zed.q+work (at) example (dot) com or zed_quillfeather."}),
    )
    .await?;
    assert_eq!(s, 201, "{body}");
    heepr_tests::market::complete_order(&app, &m.agent, &m.customer, &order).await?;
    let (s, review) = post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{order}/review"),
        json!({"rating": 5, "body": "As good as Zed Quillfeather promised"}),
    )
    .await?;
    assert_eq!(s, 201, "{review}");
    let (s, body) = post(
        &app,
        &m.owner,
        &format!("/api/v1/reviews/{}/reply", id_of(&review)),
        json!({"body": "Say thanks to zed quillfeather from us"}),
    )
    .await?;
    assert!(s == 200 || s == 201, "{s} {body}");

    delete_account(&app, &zed, &zed_id).await?;
    let p = pseudonym_of(&app, &zed_id).await?;
    let message: String = sqlx::query_scalar("SELECT body FROM order_messages WHERE order_id = $1")
        .bind(&order)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(
        message,
        format!("{p} sent me; reach him at {p}. Zed says hi.")
    );
    let chat: String = sqlx::query_scalar("SELECT body FROM presale_messages WHERE thread_id = $1")
        .bind(id_of(&thread))
        .fetch_one(app.pool())
        .await?;
    assert_eq!(chat, format!("Did {p} hire you too? Ask {p} or {p}."));
    let (review_body, reply): (String, String) =
        sqlx::query_as("SELECT body, reply_body FROM reviews WHERE order_id = $1")
            .bind(&order)
            .fetch_one(app.pool())
            .await?;
    assert_eq!(review_body, format!("As good as {p} promised"));
    assert_eq!(reply, format!("Say thanks to {p} from us"));
    assert!(
        db_mentions(&app, &["Quillfeather", "zed.q@example.com"])
            .await?
            .is_empty(),
        "no copy anywhere in the database"
    );
    Ok(())
}
backend_test!(erasure_reaches_mentions_in_other_peoples_conversations);

/// Regression: a text file someone else uploaded that names the erased person (a brief
/// addressed to them) was kept byte for byte. Its text is now rewritten redacted, the row
/// points at the copy (new SHA-256, new size) and the original bytes are gone; an image
/// that names nobody is kept as uploaded.
async fn erasure_rewrites_text_files_that_name_the_person(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (zed, _) = app.member("Zed Quillfeather", "zed.q@example.com").await?;
    let zed_id = account_id(&app, "zed.q@example.com").await?;
    let m = heepr_tests::market::market(&app).await?;
    let order = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let brief = "Brief for Zed Quillfeather\nCopy zed.q@example.com on every draft.\n";
    let path = format!("/api/v1/orders/{order}/files");
    let text_id =
        heepr_tests::market::upload(&app, &m.customer, &path, "brief.md", brief.as_bytes()).await?;
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend_from_slice(b"tEXtAuthor Ada Lovelace");
    let png_id = heepr_tests::market::upload(&app, &m.customer, &path, "mock.png", &png).await?;
    let original = stored_path(&app, &text_id).await?;
    let png_path = stored_path(&app, &png_id).await?;

    delete_account(&app, &zed, &zed_id).await?;
    let p = pseudonym_of(&app, &zed_id).await?;
    let r = m
        .customer
        .get(app.url(&format!("/api/v1/files/{text_id}")))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let got = r.text().await?;
    assert_eq!(got, format!("Brief for {p}\nCopy {p} on every draft.\n"));
    let (sha, size): (String, i64) =
        sqlx::query_as("SELECT content_sha256, size_bytes FROM files WHERE id = $1")
            .bind(&text_id)
            .fetch_one(app.pool())
            .await?;
    use sha2::Digest;
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(got.as_bytes())));
    assert_eq!(size, got.len() as i64);
    let data = app.test_db.data_dir.path();
    assert!(
        !data.join(&original).exists(),
        "the original bytes are gone"
    );
    assert!(data.join(stored_path(&app, &text_id).await?).exists());
    assert!(
        data.join(&png_path).exists(),
        "an image naming nobody is kept as uploaded"
    );
    Ok(())
}
backend_test!(erasure_rewrites_text_files_that_name_the_person);

/// A minimal Word document whose body is `paragraph_runs` (each `<w:t>` a formatting run)
/// and whose author is `creator`.
fn docx(paragraph_runs: &[&str], creator: &str) -> Result<Vec<u8>> {
    use std::io::Write;
    let runs: String = paragraph_runs
        .iter()
        .map(|t| format!(r#"<w:r><w:t xml:space="preserve">{t}</w:t></w:r>"#))
        .collect();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("[Content_Types].xml", opts)?;
    w.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#)?;
    w.start_file("_rels/.rels", opts)?;
    w.write_all(br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#)?;
    w.start_file("word/document.xml", opts)?;
    write!(
        w,
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>{runs}</w:p></w:body></w:document>"#
    )?;
    w.start_file("docProps/core.xml", opts)?;
    write!(
        w,
        "<cp:coreProperties><dc:creator>{creator}</dc:creator></cp:coreProperties>"
    )?;
    Ok(w.finish()?.into_inner())
}

/// The text of part `name` of the ZIP archive `bytes`.
fn zip_part(bytes: &[u8], name: &str) -> Result<String> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut part = archive.by_name(name)?;
    let mut out = String::new();
    part.read_to_string(&mut out)?;
    Ok(out)
}

/// A one-page PDF showing `line` (Helvetica), its content stream compressed.
fn pdf(line: &str) -> Result<Vec<u8>> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 12.into()]),
    ];
    for i in 0..30 {
        ops.push(Operation::new("Td", vec![0.into(), (-14).into()]));
        ops.push(Operation::new(
            "Tj",
            vec![Object::string_literal(format!("Item {i}: done"))],
        ));
    }
    ops.push(Operation::new("Tj", vec![Object::string_literal(line)]));
    ops.push(Operation::new("ET", vec![]));
    let content = doc.add_object(Stream::new(
        dictionary! {},
        Content { operations: ops }.encode()?,
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

/// Regression: erasure rewrote only text files, so an office document, a PDF or an image
/// someone else uploaded that named the erased person kept the name. Now an office
/// document is rewritten in place (still a valid document), and a PDF or an image whose
/// metadata names them is withheld: its content becomes a plain-text notice, its name
/// gets ".removed.txt", the original bytes are gone. A PDF naming nobody is untouched.
async fn erasure_rewrites_office_documents_and_withholds_pdfs_and_images(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (zed, _) = app.member("Zed Quillfeather", "zed.q@example.com").await?;
    let zed_id = account_id(&app, "zed.q@example.com").await?;
    let m = heepr_tests::market::market(&app).await?;
    let order = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let path = format!("/api/v1/orders/{order}/files");
    let up = |name: &'static str, bytes: Vec<u8>| {
        let (app, client, path) = (&app, &m.customer, &path);
        async move { heepr_tests::market::upload(app, client, path, name, &bytes).await }
    };
    let doc_id = up(
        "brief.docx",
        docx(&["Brief for Zed Quillfeather"], "Zed Quillfeather")?,
    )
    .await?;
    let pdf_id = up("invoice.pdf", pdf("Invoice for Zed Quillfeather")?).await?;
    let other_pdf = pdf("Invoice for Ada Lovelace")?;
    let other_id = up("other.pdf", other_pdf.clone()).await?;
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe1, 0x00, 0x40];
    jpeg.extend_from_slice(b"Exif\0\0MM\0*\0\0\0\x08Artist\0zed.q@example.com\0\xff\xd9");
    let jpeg_id = up("photo.jpg", jpeg).await?;
    let originals = [
        stored_path(&app, &doc_id).await?,
        stored_path(&app, &pdf_id).await?,
        stored_path(&app, &jpeg_id).await?,
    ];

    delete_account(&app, &zed, &zed_id).await?;
    let p = pseudonym_of(&app, &zed_id).await?;
    let get = |id: String| {
        let (app, client) = (&app, &m.customer);
        async move {
            let r = client
                .get(app.url(&format!("/api/v1/files/{id}")))
                .send()
                .await?;
            anyhow::ensure!(r.status() == 200, "GET file {id}: {}", r.status());
            let kind = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            anyhow::Ok((kind, r.bytes().await?.to_vec()))
        }
    };
    let (_, doc) = get(doc_id.clone()).await?;
    let body = zip_part(&doc, "word/document.xml")?;
    assert!(body.contains(&format!("Brief for {p}")), "{body}");
    assert!(
        zip_part(&doc, "docProps/core.xml")?.contains(&format!("<dc:creator>{p}</dc:creator>"))
    );
    for id in [&pdf_id, &jpeg_id] {
        let (kind, bytes) = get(id.clone()).await?;
        assert!(kind.starts_with("text/plain"), "{kind}");
        let notice = String::from_utf8(bytes)?;
        assert!(notice.contains("This file was removed"), "{notice}");
    }
    let names: Vec<(String, String)> =
        sqlx::query_as("SELECT original_name, mime_type FROM files WHERE id = $1 OR id = $2 ORDER BY original_name")
            .bind(&pdf_id)
            .bind(&jpeg_id)
            .fetch_all(app.pool())
            .await?;
    assert_eq!(
        names,
        [
            (
                "invoice.pdf.removed.txt".to_owned(),
                "text/plain".to_owned()
            ),
            ("photo.jpg.removed.txt".to_owned(), "text/plain".to_owned()),
        ]
    );
    assert_eq!(
        get(other_id).await?.1,
        other_pdf,
        "a PDF naming nobody is untouched"
    );
    let data = app.test_db.data_dir.path();
    for original in &originals {
        assert!(!data.join(original).exists(), "{original} is gone");
    }
    let details: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = $1 AND subject_account_id = $2",
    )
    .bind(
        heepr_compliance::audit::AuditAction::ErasureComplete
            .text()
            .as_ref(),
    )
    .bind(&zed_id)
    .fetch_one(app.pool())
    .await?;
    let details: serde_json::Value = serde_json::from_str(&details)?;
    assert_eq!(details["files_withheld"], 2, "{details}");
    Ok(())
}
backend_test!(erasure_rewrites_office_documents_and_withholds_pdfs_and_images);

/// Regression (fresh tester): an owner's agent tagged with a customer's name and its
/// private notes naming them, and an agent's progress note on another customer's order,
/// kept the erased person's name: those columns were searched only in the erased person's
/// own rows. Every column whose erasure is `redact` is now searched in everyone's rows, and
/// so are private notes and event details.
async fn erasure_reaches_agent_tags_notes_and_events_of_others(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (zed, _) = app.member("Zed Quillfeather", "zed.q@example.com").await?;
    let zed_id = account_id(&app, "zed.q@example.com").await?;
    let m = heepr_tests::market::market(&app).await?;
    let (s, body) = heepr_tests::market::send(
        m.owner
            .patch(app.url(&format!("/api/v1/my/agents/{}", m.agent_id)))
            .json(&json!({
                "tags": ["blog", "zed-quillfeather-approved"],
                "private_notes": "Regular customer Zed Quillfeather (zed.q@example.com)",
            })),
    )
    .await?;
    assert_eq!(s, 200, "{body}");
    let order = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let (s, body) = post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/orders/{order}/accept"),
        json!({}),
    )
    .await?;
    assert!(s == 200 || s == 201, "{s} {body}");
    let r = m
        .agent
        .post(app.url(&format!("/api/v1/agent/orders/{order}/events")))
        .json(&json!({"kind": "progress", "message": "Doing it the way Zed Quillfeather liked"}))
        .send()
        .await?;
    assert_eq!(r.status(), 201);

    delete_account(&app, &zed, &zed_id).await?;
    let p = pseudonym_of(&app, &zed_id).await?;
    let (tags, notes): (String, String) =
        sqlx::query_as("SELECT tags, private_notes FROM agents WHERE id = $1")
            .bind(&m.agent_id)
            .fetch_one(app.pool())
            .await?;
    assert!(tags.contains(&format!("{p}-approved")), "{tags}");
    assert_eq!(notes, format!("Regular customer {p} ({p})"));
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM agent_events WHERE order_id = $1 AND detail LIKE 'Doing it%'",
    )
    .bind(&order)
    .fetch_one(app.pool())
    .await?;
    assert_eq!(detail, format!("Doing it the way {p} liked"));
    assert!(
        db_mentions(&app, &["Quillfeather", "zed.q@example.com"])
            .await?
            .is_empty(),
        "no copy anywhere in the database"
    );
    Ok(())
}
backend_test!(erasure_reaches_agent_tags_notes_and_events_of_others);

/// Regression (fresh tester): a person who changed their name and address before being
/// erased kept both old ones everywhere written before the change: a counterparty's message
/// ("Hi Carol Dempsey"), a file's name, the mail sent to the old address. Erasure now
/// searches for every name and address the account had (`former_identifiers`).
async fn erasure_finds_the_names_and_addresses_a_person_had_before(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (carol, _) = app
        .member("Carol Dempsey", "carol.dempsey@example.net")
        .await?;
    let carol_id = account_id(&app, "carol.dempsey@example.net").await?;
    let m = heepr_tests::market::market(&app).await?;
    let order = id_of(&place_order(&app, &carol, &m.agent_id).await?);
    let (s, body) = post(
        &app,
        &m.owner,
        &format!("/api/v1/orders/{order}/messages"),
        json!({"body": "Hi Carol Dempsey (carol.dempsey@example.net), starting now"}),
    )
    .await?;
    assert_eq!(s, 201, "{body}");
    let path = format!("/api/v1/orders/{order}/files");
    let file =
        heepr_tests::market::upload(&app, &m.owner, &path, "notes Carol Dempsey.txt", b"draft")
            .await?;

    // She changes her name, then her address (confirmed from the new one).
    let (s, body) = heepr_tests::market::send(
        carol
            .patch(app.url("/api/v1/me"))
            .json(&json!({"display_name": "Caroline Westwood"})),
    )
    .await?;
    assert_eq!(s, 200, "{body}");
    let (s, body) = heepr_tests::market::send(carol.post(app.url("/api/v1/me/email")).json(
        &json!({"new_email": "caroline.westwood@example.net", "password": heepr_tests::DEFAULT_PASSWORD}),
    ))
    .await?;
    assert_eq!(s, 202, "{body}");
    let link = heepr_tests::mail::link_to(
        &app,
        "caroline.westwood@example.net",
        "/account/email/confirm/",
    )
    .await?;
    let at = link.find("/account/email/confirm/").context("link")?;
    let r = app.client()?.post(app.url(&link[at..])).send().await?;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(
        account_id(&app, "caroline.westwood@example.net").await?,
        carol_id
    );

    delete_account(&app, &carol, &carol_id).await?;
    let p = pseudonym_of(&app, &carol_id).await?;
    let body: String = sqlx::query_scalar(
        "SELECT body FROM order_messages WHERE order_id = $1 AND body LIKE 'Hi %'",
    )
    .bind(&order)
    .fetch_one(app.pool())
    .await?;
    assert_eq!(body, format!("Hi {p} ({p}), starting now"));
    let name: String = sqlx::query_scalar("SELECT original_name FROM files WHERE id = $1")
        .bind(&file)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(name, format!("notes {p}.txt"));
    assert!(
        db_mentions(
            &app,
            &["Dempsey", "carol.dempsey", "Westwood", "caroline.westwood"]
        )
        .await?
        .is_empty(),
        "no name or address she ever had is left in the database"
    );
    let spool = app.test_db.data_dir.path().join("mail");
    for entry in std::fs::read_dir(&spool).into_iter().flatten() {
        let path = entry?.path();
        let text = String::from_utf8_lossy(&std::fs::read(&path)?).to_lowercase();
        assert!(
            !text.contains("dempsey") && !text.contains("westwood"),
            "{} names her",
            path.display()
        );
    }
    Ok(())
}
backend_test!(erasure_finds_the_names_and_addresses_a_person_had_before);

/// Regression (second fresh tester): a text file on the erased person's own order naming
/// them by one name only ("Draft for Carl") kept it, while a chat message there saying the
/// same was redacted. Files on the subject's own orders and threads are now searched as
/// their messages are.
async fn a_file_on_the_subjects_own_order_is_searched_for_single_names(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = heepr_tests::market::market(&app).await?;
    let carl_id = account_id(&app, "carl@example.com").await?;
    let order = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let path = format!("/api/v1/orders/{order}/files");
    let own =
        heepr_tests::market::upload(&app, &m.owner, &path, "draft.txt", b"Draft for Carl, v2")
            .await?;
    delete_account(&app, &m.customer, &carl_id).await?;
    let p = pseudonym_of(&app, &carl_id).await?;
    let got = m
        .owner
        .get(app.url(&format!("/api/v1/files/{own}")))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(got, format!("Draft for {p}, v2"));
    Ok(())
}
backend_test!(a_file_on_the_subjects_own_order_is_searched_for_single_names);
