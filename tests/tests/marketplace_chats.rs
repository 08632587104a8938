//! Chats and offers: pre-sale threads between a customer and an agent (owner and agent
//! answer), offers accepted into orders or declined, and the order thread's 7-day read-only
//! rule at its exact boundary.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

use anyhow::{Result, ensure};
use heepr_tests::market::{
    assert_ledger_balanced, balance, deliver, get, id_of, market, place_order, post,
};
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use serde_json::json;

const DAY_MS: i64 = 24 * 3_600_000;

async fn presale_chat_and_offers(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let (s, thread) = post(
        &app,
        &m.customer,
        &format!("/api/v1/agents/{}/thread", m.agent_id),
        json!({}),
    )
    .await?;
    ensure!(s == 200, "{s} {thread}");
    let tid = id_of(&thread);
    let (_, again) = post(
        &app,
        &m.customer,
        &format!("/api/v1/agents/{}/thread", m.agent_id),
        json!({}),
    )
    .await?;
    ensure!(id_of(&again) == tid, "one thread per customer and agent");
    let (s, _) = post(
        &app,
        &m.owner,
        &format!("/api/v1/agents/{}/thread", m.agent_id),
        json!({}),
    )
    .await?;
    ensure!(s == 422, "an owner does not chat with their own agent");

    let (s, _) = post(
        &app,
        &m.customer,
        &format!("/api/v1/threads/{tid}/messages"),
        json!({"body": "Can you do 2000 words?"}),
    )
    .await?;
    ensure!(s == 201);
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/threads/{tid}/messages"),
        json!({"body": "  "}),
    )
    .await?;
    ensure!(s == 422, "{s} {body}");
    let (s, _) = post(
        &app,
        &m.owner,
        &format!("/api/v1/threads/{tid}/messages"),
        json!({"body": "Yes, with an offer"}),
    )
    .await?;
    ensure!(s == 201);
    let (s, _) = post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/threads/{tid}/messages"),
        json!({"body": "Hello from the agent"}),
    )
    .await?;
    ensure!(s == 201);
    let (_, list) = get(
        &app,
        &m.customer,
        &format!("/api/v1/threads/{tid}/messages"),
    )
    .await?;
    let authors: Vec<String> = list["messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| format!("{}:{}", m["author_role"], m["author_name"]))
                .collect()
        })
        .unwrap_or_default();
    ensure!(
        authors
            == [
                "\"customer\":\"Carl Customer\"",
                "\"owner\":\"Olivia Owner\"",
                "\"agent\":\"Blog Writer\""
            ],
        "{authors:?}"
    );

    // Offers: bad ones refused, an owner's declined, the agent's accepted into an order.
    let offer = |price: i64| json!({"scope": "2000 words on cats", "price_points": price, "delivery_hours": 48, "expires_in_hours": 24});
    let (s, body) = post(
        &app,
        &m.owner,
        &format!("/api/v1/threads/{tid}/offers"),
        offer(0),
    )
    .await?;
    ensure!(
        s == 422 && body["error"]["field"] == "price_points",
        "{s} {body}"
    );
    let (s, _) = post(
        &app,
        &m.customer,
        &format!("/api/v1/threads/{tid}/offers"),
        offer(10),
    )
    .await?;
    ensure!(s == 404, "customers do not send offers");
    let (s, first) = post(
        &app,
        &m.owner,
        &format!("/api/v1/threads/{tid}/offers"),
        offer(150),
    )
    .await?;
    ensure!(s == 201 && first["status"] == "open", "{s} {first}");
    let (s, second) = post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/threads/{tid}/offers"),
        offer(120),
    )
    .await?;
    ensure!(s == 201, "{s} {second}");
    let (s, _) = post(
        &app,
        &m.owner,
        &format!("/api/v1/offers/{}/accept", id_of(&first)),
        json!({}),
    )
    .await?;
    ensure!(s == 404, "only the customer decides");
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/offers/{}/decline", id_of(&first)),
        json!({}),
    )
    .await?;
    ensure!(
        s == 200 && body["offer"]["status"] == "declined" && body["order"].is_null(),
        "{s} {body}"
    );
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/offers/{}/accept", id_of(&first)),
        json!({}),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "offer_decided",
        "{s} {body}"
    );
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/offers/{}/accept", id_of(&second)),
        json!({}),
    )
    .await?;
    ensure!(
        s == 200 && body["order"]["price_points"] == 120 && body["order"]["status"] == "placed",
        "{s} {body}"
    );
    ensure!(body["order"]["offer_id"] == id_of(&second), "{body}");
    ensure!(balance(&app, &m.customer).await? == 380);
    let (s, _) = post(
        &app,
        &m.customer,
        &format!("/api/v1/offers/{}/accept", id_of(&second)),
        json!({}),
    )
    .await?;
    ensure!(s == 409, "accepted once");
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM orders WHERE offer_id = $1",
            &id_of(&second)
        )
        .await?
            == 1
    );

    // An expired offer cannot be accepted.
    let (_, third) = post(
        &app,
        &m.owner,
        &format!("/api/v1/threads/{tid}/offers"),
        offer(10),
    )
    .await?;
    app.clock.advance_ms(DAY_MS);
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/offers/{}/accept", id_of(&third)),
        json!({}),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "offer_expired",
        "{s} {body}"
    );
    let (_, full) = get(&app, &m.owner, &format!("/api/v1/threads/{tid}")).await?;
    ensure!(full["offers"].as_array().map(Vec::len) == Some(3), "{full}");
    ensure!(
        app.count("SELECT COUNT(*) FROM agent_events WHERE kind = $1", "offer")
            .await?
            == 1
    );
    assert_ledger_balanced(&app).await?;
    Ok(())
}
backend_test!(presale_chat_and_offers);

async fn order_thread_is_read_only_7_days_after_the_end(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let id = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let path = format!("/api/v1/orders/{id}/messages");
    let (s, _) = post(&app, &m.customer, &path, json!({"body": "Brief: cats"})).await?;
    ensure!(s == 201);
    let (s, _) = post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/orders/{id}/messages"),
        json!({"body": "On it"}),
    )
    .await?;
    ensure!(s == 201);
    post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/orders/{id}/accept"),
        json!({}),
    )
    .await?;
    deliver(&app, &m.agent, &id).await?;
    let (s, _) = post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{id}/accept-delivery"),
        json!({}),
    )
    .await?;
    ensure!(s == 200);

    // Both sides keep their sessions alive across the week.
    app.clock.advance_ms(6 * DAY_MS);
    let (s, _) = post(&app, &m.owner, &path, json!({"body": "Thanks"})).await?;
    ensure!(s == 201);
    // Last-seen times are written off the request's path.
    app.flush().await;
    app.clock.advance_ms(DAY_MS - 1);
    let (s, body) = post(&app, &m.customer, &path, json!({"body": "Last word"})).await?;
    ensure!(
        s == 201,
        "1 ms before 7 days the thread is open: {s} {body}"
    );
    app.flush().await;
    app.clock.advance_ms(1);
    for (client, p) in [
        (&m.customer, path.clone()),
        (&m.owner, path.clone()),
        (&m.agent, format!("/api/v1/agent/orders/{id}/messages")),
    ] {
        let (s, body) = post(&app, client, &p, json!({"body": "Too late"})).await?;
        ensure!(
            s == 409 && error_code(&body) == "thread_read_only",
            "{s} {body}"
        );
        ensure!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("read-only"),
            "{body}"
        );
        let (s, list) = get(&app, client, &p).await?;
        ensure!(
            s == 200
                && list["read_only"] == true
                && list["messages"].as_array().map(Vec::len) == Some(5),
            "{s} {list}"
        );
    }
    let (_, o) = get(&app, &m.customer, &format!("/api/v1/orders/{id}")).await?;
    ensure!(o["chat_read_only"] == true, "{o}");
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM order_messages WHERE order_id = $1",
            &id
        )
        .await?
            == 5,
        "no change"
    );
    Ok(())
}
backend_test!(order_thread_is_read_only_7_days_after_the_end);
