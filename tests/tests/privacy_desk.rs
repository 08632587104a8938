//! The privacy desk acts: a restriction of processing takes a person's agents out of
//! browse, search, categories and the leaderboard and refuses new orders to or from them
//! (lifted, all is back), and the person sees it on their privacy page; staff rectify a
//! field (validated, unique, audited by name only, the person told at both addresses) and
//! complete the rectification request with it, refused while the request cannot complete;
//! a request entered by hand is dated when the letter came, within sane bounds; a person
//! corrects their own display name (API and page form), validated and audited.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

mod privacy_support;

use anyhow::{Context, Result};
use heepr_core::identity::staff::StaffRole;
use heepr_core::platform::time::rfc3339;
use heepr_tests::market::{get, market, place_order, post};
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use privacy_support::*;
use reqwest::Method;
use serde_json::{Value, json};

const DAY_MS: i64 = 24 * 3_600_000;

/// Names of the agents `path` lists (`agents` of a browse page, or a bare list).
async fn listed(app: &TestApp, client: &reqwest::Client, path: &str) -> Result<Vec<String>> {
    let (s, body) = get(app, client, path).await?;
    anyhow::ensure!(s == 200, "{path}: {s} {body}");
    let list = body.get("agents").unwrap_or(&body);
    Ok(list
        .as_array()
        .context("a list of agents")?
        .iter()
        .filter_map(|a| a["name"].as_str().map(str::to_owned))
        .collect())
}

async fn writing_agents(app: &TestApp, client: &reqwest::Client) -> Result<i64> {
    let (_, body) = get(app, client, "/api/v1/categories").await?;
    let list = body.get("categories").unwrap_or(&body);
    list.as_array()
        .and_then(|cats| cats.iter().find(|c| c["key"] == "writing"))
        .and_then(|c| c["agents"].as_i64())
        .context("the writing category")
}

async fn a_restricted_account_is_stored_not_processed(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let m = market(&app).await?;
    let olivia = account_id(&app, "olivia@example.com").await?;
    let carl = account_id(&app, "carl@example.com").await?;
    let shown = ["Blog Writer".to_string()];
    let views = [
        "/api/v1/agents",
        "/api/v1/agents?q=blog",
        "/api/v1/leaderboard",
    ];
    for path in views {
        assert_eq!(listed(&app, &m.customer, path).await?, shown, "{path}");
    }
    assert_eq!(writing_agents(&app, &m.customer).await?, 1);

    let (s, placed) = admin(
        &app,
        Method::POST,
        &format!("/accounts/{olivia}/restriction"),
        &officer,
        Some(json!({"reason": "Accuracy of the agent listing contested"})),
    )
    .await?;
    assert_eq!(s, 201, "{placed}");
    for path in views {
        assert!(listed(&app, &m.customer, path).await?.is_empty(), "{path}");
    }
    assert_eq!(writing_agents(&app, &m.customer).await?, 0);
    let order = json!({"agent_id": m.agent_id, "answers": {"topic": "Cats", "words": 500}});
    let (s, refused) = post(&app, &m.customer, "/api/v1/orders", order.clone()).await?;
    assert_eq!(
        (s, error_code(&refused)),
        (409, "account_restricted"),
        "{refused}"
    );
    assert!(refused.to_string().contains("owner"), "{refused}");
    let (_, page) = heepr_tests::market::send(m.owner.get(app.url("/account/privacy"))).await?;
    let page = page.as_str().unwrap_or_default().to_owned();
    assert!(
        page.contains("Restriction of processing")
            && page.contains("Accuracy of the agent listing contested")
            && page.contains("in force"),
        "{page}"
    );
    // Export still works: the person's own data is theirs to take.
    let (s, _) =
        heepr_tests::market::send(m.owner.post(app.url("/account/privacy/export"))).await?;
    assert!(s < 400, "export while restricted: {s}");
    wait_status(
        &app,
        &latest_request(&app, &olivia, "access").await?,
        "completed",
    )
    .await?;

    let rid = placed["id"].as_str().context("restriction id")?;
    let (s, lifted) = admin(
        &app,
        Method::POST,
        &format!("/restrictions/{rid}/lift"),
        &officer,
        Some(json!({"reason": "Listing checked"})),
    )
    .await?;
    assert_eq!(s, 200, "{lifted}");
    for path in views {
        assert_eq!(listed(&app, &m.customer, path).await?, shown, "{path}");
    }
    place_order(&app, &m.customer, &m.agent_id).await?;

    // A restricted customer places no order either.
    let (s, body) = admin(
        &app,
        Method::POST,
        &format!("/accounts/{carl}/restriction"),
        &officer,
        Some(json!({"reason": "Restriction asked by phone"})),
    )
    .await?;
    assert_eq!(s, 201, "{body}");
    let (s, refused) = post(&app, &m.customer, "/api/v1/orders", order).await?;
    assert_eq!(
        (s, error_code(&refused)),
        (409, "account_restricted"),
        "{refused}"
    );
    assert!(refused.to_string().contains("your account"), "{refused}");

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE subject_account_id = $1 AND action LIKE 'restriction.%' ORDER BY seq",
    )
    .bind(&olivia)
    .fetch_all(app.pool())
    .await?;
    assert_eq!(actions, ["restriction.place", "restriction.lift"]);
    Ok(())
}
backend_test!(a_restricted_account_is_stored_not_processed);

async fn staff_rectify_and_the_person_is_told(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let support = staff_token(&app, "help@heepr.example", StaffRole::Support).await?;
    app.member("Rita Old", "rita.old@example.com").await?;
    app.member("Taken Name", "taken@example.com").await?;
    let rita = account_id(&app, "rita.old@example.com").await?;
    let now = app.clock_now();

    // A letter is dated when it came, within bounds.
    let ask = |received_at: String| {
        json!({"email": "Rita.Old@example.com", "kind": "rectification",
               "details": "By letter: new address", "received_at": received_at})
    };
    for bad in [
        rfc3339(now + DAY_MS),
        rfc3339(now - 31 * DAY_MS),
        "last Tuesday".into(),
    ] {
        let (s, body) = admin(&app, Method::POST, "/requests", &officer, Some(ask(bad))).await?;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (422, Some("received_at")),
            "{body}"
        );
    }
    let letter = now - 3 * DAY_MS;
    let (s, created) = admin(
        &app,
        Method::POST,
        "/requests",
        &officer,
        Some(ask(rfc3339(letter))),
    )
    .await?;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["received_at"], rfc3339(letter));
    assert_eq!(created["due_at_ms"], letter + 30 * DAY_MS);
    let rid = created["id"].as_str().context("id")?.to_string();

    // Support finds the subject by email, masked; the lookup folds case and spaces.
    let (s, found) = admin(
        &app,
        Method::GET,
        "/accounts?email=%20RITA.old@example.com%20",
        &support,
        None,
    )
    .await?;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["subject"]["account_id"], rita.as_str());
    assert_eq!(found["subject"]["email"], "r***@example.com");
    let (s, _) = admin(
        &app,
        Method::GET,
        "/accounts?email=nobody@example.com",
        &officer,
        None,
    )
    .await?;
    assert_eq!(s, 404);

    // Not yet verified: the request cannot complete, so nothing is changed.
    let rectify = |field: &str, value: &str| json!({"field": field, "value": value, "reason": "letter of the subject", "request_id": rid});
    let path = format!("/accounts/{rita}/rectify");
    let (s, body) = admin(
        &app,
        Method::POST,
        &path,
        &officer,
        Some(rectify("email", "rita.new@example.com")),
    )
    .await?;
    assert_eq!(
        (s, error_code(&body)),
        (409, "transition_not_allowed"),
        "{body}"
    );
    assert_eq!(account_id(&app, "rita.old@example.com").await?, rita);
    let start = json!({"to": "in_progress", "reason": "she wrote from the account's address"});
    let (s, body) = admin(
        &app,
        Method::POST,
        &format!("/requests/{rid}/transition"),
        &officer,
        Some(start),
    )
    .await?;
    assert_eq!(s, 200, "{body}");

    let (s, body) = admin(
        &app,
        Method::POST,
        &path,
        &officer,
        Some(rectify("email", "Taken@Example.com")),
    )
    .await?;
    assert_eq!((s, error_code(&body)), (409, "email_taken"), "{body}");
    let (s, body) = admin(
        &app,
        Method::POST,
        &path,
        &officer,
        Some(rectify("email", "not an email")),
    )
    .await?;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (422, Some("value")),
        "{body}"
    );
    let (s, body) = admin(
        &app,
        Method::POST,
        &path,
        &officer,
        Some(rectify("password", "x")),
    )
    .await?;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (422, Some("field")),
        "{body}"
    );
    let (s, body) = admin(
        &app,
        Method::POST,
        &path,
        &support,
        Some(rectify("email", "rita.new@example.com")),
    )
    .await?;
    assert_eq!(s, 403, "{body}");

    let (s, done) = admin(
        &app,
        Method::POST,
        &path,
        &officer,
        Some(rectify("email", " Rita.New@Example.com ")),
    )
    .await?;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["subject"]["email"], "rita.new@example.com");
    assert_eq!(done["completed_request"], rid.as_str());
    assert_eq!(status_of(&app, &rid).await?, "completed");
    assert_eq!(account_id(&app, "rita.new@example.com").await?, rita);
    for to in ["rita.new@example.com", "rita.old@example.com"] {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM email_outbox WHERE recipient = $1 AND template = 'rectification_notice'",
        )
        .bind(to)
        .fetch_one(app.pool())
        .await?;
        assert_eq!(n, 1, "notice to {to}");
    }
    let details: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'account.rectify' AND subject_account_id = $1",
    )
    .bind(&rita)
    .fetch_all(app.pool())
    .await?;
    assert_eq!(details.len(), 1);
    assert!(
        details[0].contains("\"email\"") && !details[0].contains("rita"),
        "{details:?}"
    );

    // The request is completed: naming it again is refused, and the name stays.
    let (s, body) = admin(
        &app,
        Method::POST,
        &path,
        &officer,
        Some(rectify("display_name", "Rita New")),
    )
    .await?;
    assert_eq!(
        (s, error_code(&body)),
        (409, "transition_not_allowed"),
        "{body}"
    );
    let unnamed = json!({"field": "display_name", "value": "Rita New", "reason": "phone call"});
    let (s, body) = admin(&app, Method::POST, &path, &officer, Some(unnamed)).await?;
    assert_eq!(
        (s, body["subject"]["display_name"].as_str()),
        (200, Some("Rita New")),
        "{body}"
    );

    // A note on the closed request is kept with it; support reads it masked.
    let note = json!({"text": "Old address rita.old@example.com confirmed the change."});
    let (s, body) = admin(
        &app,
        Method::POST,
        &format!("/requests/{rid}/notes"),
        &officer,
        Some(note),
    )
    .await?;
    assert_eq!(s, 201, "{body}");
    let (_, detail) = admin(
        &app,
        Method::GET,
        &format!("/requests/{rid}"),
        &support,
        None,
    )
    .await?;
    let text = detail["notes"][0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("r***@example.com") && !text.contains("rita.old"),
        "{detail}"
    );
    Ok(())
}
backend_test!(staff_rectify_and_the_person_is_told);

async fn a_person_corrects_their_display_name(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (nina, account) = app.member("Nina Typo", "nina@example.com").await?;
    let id = account["id"].as_str().context("id")?.to_string();
    let patch = |body: Value| nina.patch(app.url("/api/v1/me")).json(&body);
    let (s, body) =
        heepr_tests::market::send(patch(json!({"display_name": "  Nina Tayo "}))).await?;
    assert_eq!(
        (s, body["display_name"].as_str()),
        (200, Some("Nina Tayo")),
        "{body}"
    );
    for bad in [
        json!({"display_name": "   "}),
        json!({"display_name": "Nina\u{202e}"}),
    ] {
        let (s, body) = heepr_tests::market::send(patch(bad)).await?;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (422, Some("display_name")),
            "{body}"
        );
    }
    let (s, _) = heepr_tests::market::send(patch(
        json!({"display_name": "X", "email": "x@example.com"}),
    ))
    .await?;
    assert_eq!(s, 422, "unknown fields are refused");
    let anonymous = app.client()?;
    let (s, _) = heepr_tests::market::send(
        anonymous
            .patch(app.url("/api/v1/me"))
            .json(&json!({"display_name": "X"})),
    )
    .await?;
    assert_eq!(s, 401);

    // The page form: a refused name is shown again with the reason; a good one is saved.
    let r = nina
        .post(app.url("/account/privacy/display-name"))
        .form(&[("display_name", "")])
        .send()
        .await?;
    assert_eq!(r.status(), 422);
    let page = r.text().await?;
    assert!(page.contains("enter a display name"), "{page}");
    let r = nina
        .post(app.url("/account/privacy/display-name"))
        .form(&[("display_name", "Nina Final")])
        .send()
        .await?;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let name: String = sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(name, "Nina Final");
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, details FROM audit_log WHERE action = 'account.rectify' AND subject_account_id = $1",
    )
    .bind(&id)
    .fetch_all(app.pool())
    .await?;
    assert_eq!(audited.len(), 2);
    assert!(
        audited
            .iter()
            .all(|(actor, details)| actor == &format!("subject:{id}") && !details.contains("Nina")),
        "{audited:?}"
    );
    Ok(())
}
backend_test!(a_person_corrects_their_display_name);
