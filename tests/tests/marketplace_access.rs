//! Authorization and the privacy boundary: API keys (shown once, hashed, usage timestamps,
//! revocation), bearer authentication, 404 for every non-party on order, chat, file and key
//! routes, and owners and agents never seeing a customer's email, other orders or IP.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

use anyhow::{Result, ensure};
use heepr_tests::market::{
    bearer, deliver, get, id_of, issue_key, leaks, market, place_order, post, publish_agent, send,
};
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use serde_json::json;

async fn api_keys_are_hashed_shown_once_and_revocable(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    ensure!(m.key.starts_with("hpr_") && m.key.len() == 52, "{}", m.key);
    let stored = app
        .count("SELECT COUNT(*) FROM api_keys WHERE key_hash = $1", &m.key)
        .await?;
    ensure!(stored == 0, "the key itself is never stored");
    let (s, list) = get(
        &app,
        &m.owner,
        &format!("/api/v1/my/agents/{}/keys", m.agent_id),
    )
    .await?;
    ensure!(
        s == 200 && leaks(&list, &[&m.key]).is_none(),
        "the list never shows the key: {list}"
    );
    ensure!(
        list["keys"][0]["prefix"] == m.key[..12] && list["keys"][0]["last_used_at"].is_null(),
        "{list}"
    );

    let (s, body) = post(&app, &m.agent, "/api/v1/agent/heartbeat", json!({})).await?;
    ensure!(s == 200 && body["online"] == true, "{s} {body}");
    // The use is recorded off the request's path.
    app.flush().await;
    let (_, list) = get(
        &app,
        &m.owner,
        &format!("/api/v1/my/agents/{}/keys", m.agent_id),
    )
    .await?;
    ensure!(
        list["keys"][0]["last_used_at"].is_string(),
        "usage recorded: {list}"
    );
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM agent_events WHERE kind = $1",
            "heartbeat"
        )
        .await?
            == 1
    );

    // Unknown, malformed, missing and revoked keys get 401.
    let mut typo = m.key.clone();
    typo.replace_range(10..11, if &m.key[10..11] == "a" { "b" } else { "a" });
    let unknown = format!("hpr_{}", "0".repeat(48));
    for key in [typo.as_str(), unknown.as_str(), "not-a-key"] {
        let (s, body) = get(&app, &bearer(key)?, "/api/v1/agent/orders").await?;
        ensure!(
            s == 401 && error_code(&body) == "unauthenticated",
            "{key}: {s} {body}"
        );
    }
    let (s, _) = get(&app, &app.client()?, "/api/v1/agent/orders").await?;
    ensure!(s == 401);
    // Another owner can neither list nor revoke the key.
    let (stranger, _) = app.member("Sam Stranger", "sam@example.com").await?;
    let kid = list["keys"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (s, _) = get(
        &app,
        &stranger,
        &format!("/api/v1/my/agents/{}/keys", m.agent_id),
    )
    .await?;
    ensure!(s == 404);
    let (s, _) =
        send(stranger.delete(app.url(&format!("/api/v1/my/agents/{}/keys/{kid}", m.agent_id))))
            .await?;
    ensure!(s == 404);
    let (s, _) = post(
        &app,
        &stranger,
        &format!("/api/v1/my/agents/{}/keys", m.agent_id),
        json!({}),
    )
    .await?;
    ensure!(s == 404);
    let (s, _) = get(
        &app,
        &stranger,
        &format!("/api/v1/my/agents/{}", m.agent_id),
    )
    .await?;
    ensure!(s == 404);
    let (s, _) = get(
        &app,
        &stranger,
        &format!("/api/v1/my/agents/{}/events", m.agent_id),
    )
    .await?;
    ensure!(s == 404);
    let (s, events) = get(
        &app,
        &m.owner,
        &format!("/api/v1/my/agents/{}/events", m.agent_id),
    )
    .await?;
    ensure!(
        s == 200 && events["events"][0]["kind"] == "heartbeat",
        "{s} {events}"
    );
    let (s, _) = send(
        m.owner
            .delete(app.url(&format!("/api/v1/my/agents/{}/keys/{kid}", m.agent_id))),
    )
    .await?;
    ensure!(s == 204);
    let (s, _) = post(&app, &m.agent, "/api/v1/agent/heartbeat", json!({})).await?;
    ensure!(s == 401, "a revoked key is refused");
    let (_, list) = get(
        &app,
        &m.owner,
        &format!("/api/v1/my/agents/{}/keys", m.agent_id),
    )
    .await?;
    ensure!(list["keys"][0]["revoked_at"].is_string(), "{list}");
    Ok(())
}
backend_test!(api_keys_are_hashed_shown_once_and_revocable);

async fn non_parties_get_404_everywhere(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let (other_customer, _) = app.member("Otto Other", "otto@example.com").await?;
    let (other_owner, _) = app.member("Bea Owner", "bea@example.com").await?;
    let other_agent_id = publish_agent(&app, &other_owner, "Other Agent", 50, "coding").await?;
    let other_agent = bearer(&issue_key(&app, &other_owner, &other_agent_id).await?)?;

    let order = place_order(&app, &m.customer, &m.agent_id).await?;
    let id = id_of(&order);
    let form = || {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"),
        )
    };
    let (s, up) = send(
        m.customer
            .post(app.url(&format!("/api/v1/orders/{id}/files")))
            .multipart(form()),
    )
    .await?;
    ensure!(s == 201, "{s} {up}");
    let file_id = id_of(&up["files"][0]);
    let (s, thread) = post(
        &app,
        &m.customer,
        &format!("/api/v1/agents/{}/thread", m.agent_id),
        json!({}),
    )
    .await?;
    ensure!(s == 200, "{s} {thread}");
    let thread_id = id_of(&thread);
    let (s, offer) = post(
        &app,
        &m.owner,
        &format!("/api/v1/threads/{thread_id}/offers"),
        json!({"scope": "x", "price_points": 5, "delivery_hours": 1, "expires_in_hours": 1}),
    )
    .await?;
    ensure!(s == 201, "{s} {offer}");
    let offer_id = id_of(&offer);

    for stranger in [&other_customer, &other_owner] {
        for action in ["accept", "decline"] {
            let (s, body) = post(
                &app,
                stranger,
                &format!("/api/v1/offers/{offer_id}/{action}"),
                json!({}),
            )
            .await?;
            ensure!(s == 404, "offer {action}: {s} {body}");
        }
        for path in [
            format!("/api/v1/orders/{id}"),
            format!("/api/v1/orders/{id}/messages"),
            format!("/api/v1/files/{file_id}"),
            format!("/api/v1/threads/{thread_id}"),
            format!("/api/v1/threads/{thread_id}/messages"),
        ] {
            let (s, body) = get(&app, stranger, &path).await?;
            ensure!(s == 404, "GET {path}: {s} {body}");
        }
        for (path, body) in [
            (format!("/api/v1/orders/{id}/cancel"), json!({})),
            (format!("/api/v1/orders/{id}/accept-delivery"), json!({})),
            (
                format!("/api/v1/orders/{id}/request-revision"),
                json!({"reason": "x"}),
            ),
            (
                format!("/api/v1/orders/{id}/revision-decision"),
                json!({"approve": true}),
            ),
            (
                format!("/api/v1/orders/{id}/review"),
                json!({"rating": 5, "body": ""}),
            ),
            (
                format!("/api/v1/orders/{id}/messages"),
                json!({"body": "hi"}),
            ),
            (
                format!("/api/v1/threads/{thread_id}/messages"),
                json!({"body": "hi"}),
            ),
            (
                format!("/api/v1/threads/{thread_id}/offers"),
                json!({"scope": "x", "price_points": 5, "delivery_hours": 1, "expires_in_hours": 1}),
            ),
        ] {
            let (s, resp) = post(&app, stranger, &path, body).await?;
            ensure!(s == 404, "POST {path}: {s} {resp}");
        }
        let (s, _) = send(
            stranger
                .post(app.url(&format!("/api/v1/orders/{id}/files")))
                .multipart(form()),
        )
        .await?;
        ensure!(s == 404);
        let (s, _) = send(
            stranger
                .post(app.url(&format!("/api/v1/threads/{thread_id}/files")))
                .multipart(form()),
        )
        .await?;
        ensure!(s == 404);
    }
    // The key of agent B never reaches agent A's orders, threads or files.
    for path in [
        format!("/api/v1/agent/orders/{id}"),
        format!("/api/v1/agent/orders/{id}/messages"),
        format!("/api/v1/agent/threads/{thread_id}"),
        format!("/api/v1/agent/files/{file_id}"),
    ] {
        let (s, body) = get(&app, &other_agent, &path).await?;
        ensure!(s == 404, "GET {path}: {s} {body}");
    }
    for (path, body) in [
        (format!("/api/v1/agent/orders/{id}/accept"), json!({})),
        (
            format!("/api/v1/agent/orders/{id}/events"),
            json!({"kind": "progress", "message": "x"}),
        ),
        (
            format!("/api/v1/agent/orders/{id}/messages"),
            json!({"body": "x"}),
        ),
        (
            format!("/api/v1/agent/threads/{thread_id}/messages"),
            json!({"body": "x"}),
        ),
        (
            format!("/api/v1/agent/threads/{thread_id}/offers"),
            json!({"scope": "x", "price_points": 5, "delivery_hours": 1, "expires_in_hours": 1}),
        ),
    ] {
        let (s, resp) = post(&app, &other_agent, &path, body).await?;
        ensure!(s == 404, "POST {path}: {s} {resp}");
    }
    let (s, _) = deliver(&app, &other_agent, &id).await?;
    ensure!(s == 404);
    let (_, list) = get(&app, &other_agent, "/api/v1/agent/orders").await?;
    ensure!(
        list["orders"].as_array().is_some_and(Vec::is_empty),
        "{list}"
    );
    // Nothing changed.
    let (_, thread_now) = get(&app, &m.customer, &format!("/api/v1/threads/{thread_id}")).await?;
    ensure!(thread_now["offers"][0]["status"] == "open", "{thread_now}");
    let (_, o) = get(&app, &m.customer, &format!("/api/v1/orders/{id}")).await?;
    ensure!(o["status"] == "placed", "{o}");
    // The rightful parties do reach everything.
    let (s, _) = get(&app, &m.agent, &format!("/api/v1/agent/files/{file_id}")).await?;
    ensure!(s == 200);
    let (s, _) = get(&app, &m.owner, &format!("/api/v1/files/{file_id}")).await?;
    ensure!(s == 200);
    Ok(())
}
backend_test!(non_parties_get_404_everywhere);

async fn owners_and_agents_see_only_the_customers_name_and_submission(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let (_, me) = get(&app, &m.customer, "/api/v1/me").await?;
    let customer_id = id_of(&me);
    // The customer's order with another owner must stay invisible to this owner.
    let (other_owner, _) = app.member("Bea Owner", "bea@example.com").await?;
    let other_agent = publish_agent(&app, &other_owner, "Other Agent", 50, "coding").await?;
    let elsewhere = id_of(&place_order(&app, &m.customer, &other_agent).await?);

    let order = place_order(&app, &m.customer, &m.agent_id).await?;
    let id = id_of(&order);
    post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{id}/messages"),
        json!({"body": "Please hurry"}),
    )
    .await?;
    let (_, thread) = post(
        &app,
        &m.customer,
        &format!("/api/v1/agents/{}/thread", m.agent_id),
        json!({}),
    )
    .await?;
    let thread_id = id_of(&thread);
    post(
        &app,
        &m.customer,
        &format!("/api/v1/threads/{thread_id}/messages"),
        json!({"body": "Question"}),
    )
    .await?;
    // Responses to what owners and agents post are checked too.
    let offer =
        json!({"scope": "x", "price_points": 5, "delivery_hours": 1, "expires_in_hours": 1});
    let mut posted = vec![
        post(
            &app,
            &m.agent,
            &format!("/api/v1/agent/orders/{id}/accept"),
            json!({}),
        )
        .await?,
        deliver(&app, &m.agent, &id).await?,
        post(
            &app,
            &m.agent,
            &format!("/api/v1/agent/orders/{id}/messages"),
            json!({"body": "Done"}),
        )
        .await?,
        post(
            &app,
            &m.owner,
            &format!("/api/v1/orders/{id}/messages"),
            json!({"body": "Owner here"}),
        )
        .await?,
        post(
            &app,
            &m.owner,
            &format!("/api/v1/threads/{thread_id}/messages"),
            json!({"body": "Hi"}),
        )
        .await?,
        post(
            &app,
            &m.owner,
            &format!("/api/v1/threads/{thread_id}/offers"),
            offer.clone(),
        )
        .await?,
        post(
            &app,
            &m.agent,
            &format!("/api/v1/agent/threads/{thread_id}/offers"),
            offer,
        )
        .await?,
        post(
            &app,
            &m.agent,
            &format!("/api/v1/agent/threads/{thread_id}/messages"),
            json!({"body": "Agent"}),
        )
        .await?,
    ];
    post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{id}/request-revision"),
        json!({"reason": "More"}),
    )
    .await?;
    posted.push(
        post(
            &app,
            &m.owner,
            &format!("/api/v1/orders/{id}/revision-decision"),
            json!({"approve": false}),
        )
        .await?,
    );
    post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{id}/accept-delivery"),
        json!({}),
    )
    .await?;
    let (_, review) = post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{id}/review"),
        json!({"rating": 5, "body": "Good"}),
    )
    .await?;
    posted.push(
        post(
            &app,
            &m.owner,
            &format!("/api/v1/reviews/{}/reply", id_of(&review)),
            json!({"body": "Thanks"}),
        )
        .await?,
    );

    let secrets = [
        "carl@example.com",
        customer_id.as_str(),
        elsewhere.as_str(),
        "127.0.0.1",
    ];
    for (s, body) in &posted {
        ensure!((200..300).contains(s), "{s} {body}");
        ensure!(
            leaks(body, &secrets).is_none(),
            "a response leaks {:?}: {body}",
            leaks(body, &secrets)
        );
    }
    let mut seen = Vec::new();
    for path in [
        format!("/api/v1/orders/{id}"),
        "/api/v1/my/orders".to_owned(),
        format!("/api/v1/orders/{id}/messages"),
        "/api/v1/threads".to_owned(),
        format!("/api/v1/threads/{thread_id}"),
        format!("/api/v1/threads/{thread_id}/messages"),
        "/api/v1/my/agents".to_owned(),
    ] {
        let (s, body) = get(&app, &m.owner, &path).await?;
        ensure!(s == 200, "{path}: {s} {body}");
        ensure!(
            leaks(&body, &secrets).is_none(),
            "owner {path} leaks {:?}: {body}",
            leaks(&body, &secrets)
        );
        seen.push(body);
    }
    for path in [
        "/api/v1/agent/orders".to_owned(),
        format!("/api/v1/agent/orders/{id}"),
        format!("/api/v1/agent/orders/{id}/messages"),
        "/api/v1/agent/threads".to_owned(),
        format!("/api/v1/agent/threads/{thread_id}"),
    ] {
        let (s, body) = get(&app, &m.agent, &path).await?;
        ensure!(s == 200, "{path}: {s} {body}");
        ensure!(
            leaks(&body, &secrets).is_none(),
            "agent {path} leaks {:?}: {body}",
            leaks(&body, &secrets)
        );
        seen.push(body);
    }
    // What they do see: the display name and the submission.
    let all = serde_json::Value::Array(seen).to_string();
    ensure!(
        all.contains("Carl Customer") && all.contains("Cats") && all.contains("Please hurry"),
        "{all}"
    );
    // Customers and visitors never see the owner's private notes or email.
    for client in [&m.customer, &app.client()?] {
        let (_, profile) = get(&app, client, &format!("/api/v1/agents/{}", m.agent_id)).await?;
        let (_, list) = get(&app, client, "/api/v1/agents").await?;
        for body in [&profile, &list] {
            ensure!(
                leaks(body, &["sk-secret", "olivia@example.com", "private_notes"]).is_none(),
                "{body}"
            );
        }
    }
    let (_, mine) = get(&app, &m.owner, &format!("/api/v1/my/agents/{}", m.agent_id)).await?;
    ensure!(
        mine["private_notes"]
            .as_str()
            .unwrap_or("")
            .contains("sk-secret"),
        "the owner sees their notes"
    );
    // Owner emails about the order name the customer but never their address.
    let owner_mails = app
        .wait_for_count(
            "SELECT COUNT(*) FROM email_log WHERE recipient = $1 AND template LIKE 'order_%'",
            "olivia@example.com",
            3,
        )
        .await?;
    let mut checked = 0;
    for entry in std::fs::read_dir(app.test_db.data_dir.path().join("mail"))? {
        let text = std::fs::read_to_string(entry?.path())?;
        if text.contains("To: olivia@example.com") && text.contains("Order with") {
            ensure!(!text.contains("carl@example.com"), "{text}");
            ensure!(text.contains("Carl Customer"), "{text}");
            checked += 1;
        }
    }
    ensure!(
        checked >= owner_mails,
        "{checked} of {owner_mails} owner emails read"
    );
    Ok(())
}
backend_test!(owners_and_agents_see_only_the_customers_name_and_submission);
