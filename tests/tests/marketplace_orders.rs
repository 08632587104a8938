//! Orders with escrow: every state transition, settlement exactly once, the escrow
//! invariant, the automatic refund at the deadline, concurrency and bad inputs.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

use anyhow::{Result, ensure};
use heepr_core::market::orders::deadlines::refund_missed_deadlines;
use heepr_tests::market::{
    assert_ledger_balanced, balance, bearer, deliver, escrow_balance, get, issue_key, place_order,
    post, publish_agent, send,
};
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use serde_json::json;

/// Emails of `template` queued or sent, read in one statement: the worker moves a row from
/// the outbox to the log atomically, so two separate counts could see it twice.
async fn emails_with(app: &TestApp, template: &str) -> Result<i64> {
    app.count(
        "SELECT (SELECT COUNT(*) FROM email_outbox WHERE template = $1) + (SELECT COUNT(*) FROM email_log WHERE template = $1)",
        template,
    )
    .await
}

async fn full_lifecycle_with_revision(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id = publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    let agent = bearer(&issue_key(&app, &owner, &agent_id).await?)?;
    assert_ledger_balanced(&app).await?;

    let order = place_order(&app, &customer, &agent_id).await?;
    let id = order["id"].as_str().unwrap_or_default().to_owned();
    ensure!(order["status"] == "placed", "{order}");
    ensure!(balance(&app, &customer).await? == 400);
    ensure!(escrow_balance(&app, &id).await? == 100);
    assert_ledger_balanced(&app).await?;
    ensure!(
        emails_with(&app, "order_placed").await? == 2,
        "customer and owner are emailed"
    );

    // Accept, then a second accept is refused.
    let (s, body) = post(
        &app,
        &agent,
        &format!("/api/v1/agent/orders/{id}/accept"),
        json!({}),
    )
    .await?;
    ensure!(s == 200 && body["status"] == "in_progress", "{s} {body}");
    let (s, body) = post(
        &app,
        &agent,
        &format!("/api/v1/agent/orders/{id}/accept"),
        json!({}),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "invalid_transition",
        "{s} {body}"
    );
    // The customer cannot cancel an accepted order.
    let (s, _) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/cancel"),
        json!({}),
    )
    .await?;
    ensure!(s == 409);

    let (s, body) = post(
        &app,
        &agent,
        &format!("/api/v1/agent/orders/{id}/events"),
        json!({"kind": "progress", "message": "outline done"}),
    )
    .await?;
    ensure!(s == 201, "{s} {body}");
    let (s, body) = deliver(&app, &agent, &id).await?;
    ensure!(s == 200 && body["status"] == "delivered", "{s} {body}");
    ensure!(body["files"].as_array().map(Vec::len) == Some(1), "{body}");

    // Revision: requested by the customer, approved by the owner.
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/request-revision"),
        json!({"reason": ""}),
    )
    .await?;
    ensure!(s == 422, "an empty reason is refused: {s} {body}");
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/request-revision"),
        json!({"reason": "More cats"}),
    )
    .await?;
    ensure!(
        s == 200 && body["status"] == "revision_requested",
        "{s} {body}"
    );
    // Only the owner decides: the customer gets 404 on the owner's action.
    let (s, _) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/revision-decision"),
        json!({"approve": true}),
    )
    .await?;
    ensure!(s == 404);
    // An approved revision gets a fresh deadline: delivery time from the approval.
    app.clock.advance_ms(3_600_000);
    let first_deadline = order["deadline_at"].clone();
    let (s, body) = post(
        &app,
        &owner,
        &format!("/api/v1/orders/{id}/revision-decision"),
        json!({"approve": true}),
    )
    .await?;
    ensure!(
        s == 200 && body["status"] == "in_progress" && body["revisions_used"] == 1,
        "{s} {body}"
    );
    ensure!(
        body["deadline_at"] != first_deadline && body["deadline_at"] == "2026-06-02T01:00:00.000Z",
        "{body}"
    );
    let (s, body) = deliver(&app, &agent, &id).await?;
    ensure!(s == 200 && body["status"] == "delivered", "{s} {body}");
    // The limit (1) is used up.
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/request-revision"),
        json!({"reason": "Even more"}),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "revision_limit_reached",
        "{s} {body}"
    );

    // A review before completion is refused.
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/review"),
        json!({"rating": 5, "body": "early"}),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "order_not_completed",
        "{s} {body}"
    );

    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/accept-delivery"),
        json!({}),
    )
    .await?;
    ensure!(s == 200 && body["status"] == "completed", "{s} {body}");
    ensure!(escrow_balance(&app, &id).await? == 0);
    ensure!(
        balance(&app, &owner).await? == 600,
        "escrow released to the owner"
    );
    assert_ledger_balanced(&app).await?;
    // Settled exactly once: no further move and no second release.
    let (s, _) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/accept-delivery"),
        json!({}),
    )
    .await?;
    ensure!(s == 409);
    let releases = app.count("SELECT COUNT(*) FROM ledger_transfers WHERE reference = $1 AND kind IN ('escrow_release', 'escrow_refund')", &id).await?;
    ensure!(releases == 1);
    for t in [
        "order_accepted",
        "order_delivered",
        "order_revision_requested",
        "order_revision_approved",
        "order_completed",
    ] {
        ensure!(
            emails_with(&app, t).await? >= 2,
            "{t} emailed to both parties"
        );
    }
    // Deadline refunds never touch a completed order.
    app.clock.advance_ms(25 * 3_600_000);
    ensure!(refund_missed_deadlines(&app.state).await? == 0);

    // Review once, reply once; rating derived.
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/review"),
        json!({"rating": 6, "body": "x"}),
    )
    .await?;
    ensure!(s == 422, "{s} {body}");
    let (s, review) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/review"),
        json!({"rating": 4, "body": "Great cats"}),
    )
    .await?;
    ensure!(
        s == 201 && review["reviewer_name"] == "Carl Customer",
        "{s} {review}"
    );
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/review"),
        json!({"rating": 5, "body": "again"}),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "already_reviewed",
        "{s} {body}"
    );
    let rid = review["id"].as_str().unwrap_or_default();
    let (s, _) = post(
        &app,
        &customer,
        &format!("/api/v1/reviews/{rid}/reply"),
        json!({"body": "me"}),
    )
    .await?;
    ensure!(s == 404, "only the owner replies");
    let (s, body) = post(
        &app,
        &owner,
        &format!("/api/v1/reviews/{rid}/reply"),
        json!({"body": "Thanks!"}),
    )
    .await?;
    ensure!(s == 200 && body["reply"] == "Thanks!", "{s} {body}");
    let (s, body) = post(
        &app,
        &owner,
        &format!("/api/v1/reviews/{rid}/reply"),
        json!({"body": "Again"}),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "already_replied",
        "{s} {body}"
    );
    let (_, profile) = get(&app, &customer, &format!("/api/v1/agents/{agent_id}")).await?;
    ensure!(
        profile["rating"] == 4.0
            && profile["review_count"] == 1
            && profile["completed_orders"] == 1,
        "{profile}"
    );
    ensure!(profile["reviews"][0]["reply"] == "Thanks!", "{profile}");
    Ok(())
}
backend_test!(full_lifecycle_with_revision);

async fn decline_revision_and_cancel(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id = publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    let agent = bearer(&issue_key(&app, &owner, &agent_id).await?)?;

    // Cancel before acceptance: refunded, then nothing more is possible.
    let a = place_order(&app, &customer, &agent_id).await?;
    let a = a["id"].as_str().unwrap_or_default().to_owned();
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{a}/cancel"),
        json!({}),
    )
    .await?;
    ensure!(
        s == 200 && body["status"] == "cancelled" && body["closed_at"].is_string(),
        "{s} {body}"
    );
    ensure!(balance(&app, &customer).await? == 500);
    let (s, body) = deliver(&app, &agent, &a).await?;
    ensure!(
        s == 409 && error_code(&body) == "invalid_transition",
        "deliver on a cancelled order: {s} {body}"
    );
    ensure!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("cancelled"),
        "{body}"
    );
    let (s, _) = post(
        &app,
        &agent,
        &format!("/api/v1/agent/orders/{a}/accept"),
        json!({}),
    )
    .await?;
    ensure!(s == 409);
    let (s, _) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{a}/cancel"),
        json!({}),
    )
    .await?;
    ensure!(s == 409);
    ensure!(
        app.count("SELECT COUNT(*) FROM files WHERE order_id = $1", &a)
            .await?
            == 0,
        "a refused delivery stores nothing"
    );
    ensure!(emails_with(&app, "order_cancelled").await? == 2);

    // Owner declines a revision: back to delivered, then the customer accepts.
    let b = place_order(&app, &customer, &agent_id).await?;
    let b = b["id"].as_str().unwrap_or_default().to_owned();
    post(
        &app,
        &agent,
        &format!("/api/v1/agent/orders/{b}/accept"),
        json!({}),
    )
    .await?;
    deliver(&app, &agent, &b).await?;
    post(
        &app,
        &customer,
        &format!("/api/v1/orders/{b}/request-revision"),
        json!({"reason": "Change it"}),
    )
    .await?;
    let (s, body) = post(
        &app,
        &owner,
        &format!("/api/v1/orders/{b}/revision-decision"),
        json!({"approve": false}),
    )
    .await?;
    ensure!(
        s == 200 && body["status"] == "delivered" && body["revisions_used"] == 0,
        "{s} {body}"
    );
    let (s, body) = post(
        &app,
        &customer,
        &format!("/api/v1/orders/{b}/accept-delivery"),
        json!({}),
    )
    .await?;
    ensure!(s == 200 && body["status"] == "completed", "{s} {body}");
    ensure!(balance(&app, &owner).await? == 600);
    assert_ledger_balanced(&app).await?;
    Ok(())
}
backend_test!(decline_revision_and_cancel);

async fn automatic_refund_at_the_deadline(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id = publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    let agent = bearer(&issue_key(&app, &owner, &agent_id).await?)?;
    let placed = place_order(&app, &customer, &agent_id).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let accepted = place_order(&app, &customer, &agent_id).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let delivered = place_order(&app, &customer, &agent_id).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    post(
        &app,
        &agent,
        &format!("/api/v1/agent/orders/{accepted}/accept"),
        json!({}),
    )
    .await?;
    post(
        &app,
        &agent,
        &format!("/api/v1/agent/orders/{delivered}/accept"),
        json!({}),
    )
    .await?;
    deliver(&app, &agent, &delivered).await?;
    ensure!(balance(&app, &customer).await? == 200);

    // One millisecond before the deadline (24 h): nothing.
    app.clock.advance_ms(24 * 3_600_000 - 1);
    ensure!(refund_missed_deadlines(&app.state).await? == 0);
    // At the deadline: the two undelivered orders are refunded, once.
    app.clock.advance_ms(1);
    ensure!(refund_missed_deadlines(&app.state).await? == 2);
    ensure!(
        refund_missed_deadlines(&app.state).await? == 0,
        "idempotent"
    );
    for id in [&placed, &accepted] {
        let (_, o) = get(&app, &customer, &format!("/api/v1/orders/{id}")).await?;
        ensure!(o["status"] == "refunded", "{o}");
        ensure!(escrow_balance(&app, id).await? == 0);
    }
    let (_, o) = get(&app, &customer, &format!("/api/v1/orders/{delivered}")).await?;
    ensure!(o["status"] == "delivered", "{o}");
    ensure!(balance(&app, &customer).await? == 400);
    ensure!(emails_with(&app, "order_refunded").await? == 4);
    // A refunded order can no longer be delivered or released.
    let (s, _) = deliver(&app, &agent, &accepted).await?;
    ensure!(s == 409);
    assert_ledger_balanced(&app).await?;
    let refunds = app
        .count(
            "SELECT COUNT(*) FROM ledger_transfers WHERE kind = $1",
            "escrow_refund",
        )
        .await?;
    ensure!(refunds == 2);
    Ok(())
}
backend_test!(automatic_refund_at_the_deadline);

async fn concurrent_orders_exceeding_the_balance(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id = publish_agent(&app, &owner, "Pricey", 300, "writing").await?;
    let body = json!({"agent_id": agent_id, "answers": {"topic": "Cats"}});
    let (a, b) = tokio::join!(
        send(customer.post(app.url("/api/v1/orders")).json(&body)),
        send(customer.post(app.url("/api/v1/orders")).json(&body)),
    );
    let (a, b) = (a?, b?);
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    ensure!(
        statuses == [201, 409],
        "one succeeds, one is refused: {a:?} {b:?}"
    );
    let refused = if a.0 == 409 { &a.1 } else { &b.1 };
    ensure!(error_code(refused) == "insufficient_points", "{refused}");
    ensure!(balance(&app, &customer).await? == 200);
    ensure!(
        app.count("SELECT COUNT(*) FROM orders WHERE agent_id = $1", &agent_id)
            .await?
            == 1,
        "nothing half-written"
    );
    assert_ledger_balanced(&app).await?;
    Ok(())
}
backend_test!(concurrent_orders_exceeding_the_balance);

async fn bad_order_inputs_change_nothing(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id = publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    for answers in [
        json!({}),
        json!({"topic": "Cats", "colour": "red"}),
        json!({"topic": 42}),
        json!({"topic": "Cats", "words": 5}),
        json!({"topic": "Cats", "words": "many"}),
        json!({"topic": "Cats", "tone": "angry"}),
        json!({"topic": "Bad\u{0007}bell"}),
        json!({"topic": "x".repeat(101)}),
        json!(["topic"]),
    ] {
        let (s, body) = post(
            &app,
            &customer,
            "/api/v1/orders",
            json!({"agent_id": agent_id, "answers": answers}),
        )
        .await?;
        ensure!(
            s == 422 && body["error"]["field"] == "answers",
            "{answers}: {s} {body}"
        );
    }
    let (s, _) = post(
        &app,
        &customer,
        "/api/v1/orders",
        json!({"agent_id": "nope", "answers": {"topic": "x"}}),
    )
    .await?;
    ensure!(s == 404);
    let (s, body) = post(
        &app,
        &owner,
        "/api/v1/orders",
        json!({"agent_id": agent_id, "answers": {"topic": "x"}}),
    )
    .await?;
    ensure!(s == 422, "ordering from one's own agent: {s} {body}");
    // Prices <= 0 are refused by the wizard and offers.
    for price in [0, -5] {
        let (s, body) = send(
            owner
                .patch(app.url(&format!("/api/v1/my/agents/{agent_id}")))
                .json(&json!({"price_points": price})),
        )
        .await?;
        ensure!(
            s == 422 && body["error"]["field"] == "price_points",
            "{s} {body}"
        );
    }
    // Insufficient balance.
    let pricey = publish_agent(&app, &owner, "Pricey", 501, "writing").await?;
    let (s, body) = post(
        &app,
        &customer,
        "/api/v1/orders",
        json!({"agent_id": pricey, "answers": {"topic": "x"}}),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "insufficient_points",
        "{s} {body}"
    );
    ensure!(
        app.count("SELECT COUNT(*) FROM orders WHERE customer_id <> $1", "")
            .await?
            == 0,
        "no order was written"
    );
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM ledger_accounts WHERE kind = $1",
            "escrow"
        )
        .await?
            == 0
    );
    ensure!(balance(&app, &customer).await? == 500);
    assert_ledger_balanced(&app).await?;
    Ok(())
}
backend_test!(bad_order_inputs_change_nothing);
