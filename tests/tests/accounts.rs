//! Sign-up, duplicate emails, the under-16 refusal, password hashing, the welcome email.

use anyhow::Result;
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test, error_code};
use serde_json::{Value, json};

backend_test!(sign_up_credits_bonus_hashes_password_and_sends_welcome);
async fn sign_up_credits_bonus_hashes_password_and_sends_welcome(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    let account = app
        .sign_up(&client, "Ada Lovelace", "Ada@Example.COM", DEFAULT_PASSWORD)
        .await?;
    assert_eq!(account["email"], "ada@example.com");
    assert_eq!(account["display_name"], "Ada Lovelace");
    // Signed up, the bonus waits for the address to be verified (the harness followed the link).
    assert_eq!(account["points_balance"], 0);
    let id = account["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(heepr_core::ledger::balance(app.pool(), &id).await?, 500);

    let hash: String = sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await?;
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(DEFAULT_PASSWORD));

    // The verification email, then the welcome email once verified: delivered by the
    // worker, logged, written as .eml files.
    app.wait_for_count(
        "SELECT COUNT(*) FROM email_log WHERE account_id = $1 AND status = 'sent'",
        &id,
        2,
    )
    .await?;
    let (template, recipient, subject): (String, String, String) = sqlx::query_as(
        "SELECT template, recipient, subject FROM email_log WHERE account_id = $1 AND template <> 'verify_email'",
    )
    .bind(&id)
    .fetch_one(app.pool())
    .await?;
    assert_eq!(
        (template.as_str(), recipient.as_str()),
        ("welcome", "ada@example.com")
    );
    assert_eq!(subject, "Welcome to heepr");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM email_outbox WHERE account_id = $1",
            &id
        )
        .await?,
        0
    );
    let mail_dir = app.test_db.data_dir.path().join("mail");
    let eml: Vec<_> = std::fs::read_dir(&mail_dir)?.collect::<Result<_, _>>()?;
    assert_eq!(eml.len(), 2);
    for file in eml {
        let text = std::fs::read_to_string(file.path())?;
        assert!(text.contains("To: ada@example.com"), "{text}");
        assert!(text.contains("500 points"), "{text}");
    }
    Ok(())
}

backend_test!(email_is_unique_regardless_of_case);
async fn email_is_unique_regardless_of_case(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    app.sign_up(&client, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let sign_up = |email: &'static str| {
        client
            .post(app.url("/api/v1/accounts"))
            .json(&json!({"display_name": "Other", "email": email, "password": DEFAULT_PASSWORD, "age_16_or_over": true, "accept_terms": true}))
            .send()
    };
    // The same answer as for a free address (no enumeration); the address is told instead.
    let taken = sign_up(" ADA@example.com ").await?;
    let (status, body): (u16, Value) = (taken.status().as_u16(), taken.json().await?);
    let free = sign_up("grace@example.com").await?;
    let free_body: Value = free.json().await?;
    assert_eq!(
        (status, body["message"].clone()),
        (202, free_body["message"].clone())
    );
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(
        // One statement: two counts race the mail sender (a mail delivered in between is
        // in both tables).
        app.count(
            "SELECT (SELECT COUNT(*) FROM email_outbox WHERE template = 'signup_in_use' AND recipient = $1) \
             + (SELECT COUNT(*) FROM email_log WHERE template = 'signup_in_use' AND recipient = $1)",
            "ada@example.com"
        )
        .await?,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM accounts WHERE email = $1",
            "ada@example.com"
        )
        .await?,
        1
    );
    // The loser got no bonus and no email: one bonus transfer in the whole ledger.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM ledger_transfers WHERE kind = $1",
            "signup_bonus"
        )
        .await?,
        1
    );
    Ok(())
}

backend_test!(under_16_is_refused_and_nothing_is_stored);
async fn under_16_is_refused_and_nothing_is_stored(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    let response = client
        .post(app.url("/api/v1/accounts"))
        .json(&json!({"display_name": "Kid", "email": "kid@example.com", "password": DEFAULT_PASSWORD, "age_16_or_over": false}))
        .send()
        .await?;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await?;
    assert_eq!(body["error"]["field"], "age_16_or_over");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("16"),
        "{body}"
    );
    for table in [
        "accounts",
        "ledger_transfers",
        "email_outbox",
        "email_log",
        "sessions",
    ] {
        let sql = match table {
            "accounts" => "SELECT COUNT(*) FROM accounts WHERE $1 = $1",
            "ledger_transfers" => "SELECT COUNT(*) FROM ledger_transfers WHERE $1 = $1",
            "email_outbox" => "SELECT COUNT(*) FROM email_outbox WHERE $1 = $1",
            "email_log" => "SELECT COUNT(*) FROM email_log WHERE $1 = $1",
            _ => "SELECT COUNT(*) FROM sessions WHERE $1 = $1",
        };
        assert_eq!(app.count(sql, "x").await?, 0, "{table} has rows");
    }
    // The request log keeps the request, not the person: no email anywhere in it.
    app.flush().await;
    let leaked = app
        .count(
            "SELECT COUNT(*) FROM request_log WHERE user_agent LIKE $1 OR route LIKE $1",
            "%kid@%",
        )
        .await?;
    assert_eq!(leaked, 0);
    Ok(())
}

/// Posts `body` as JSON to sign-up and returns (status, error body).
async fn post_signup(app: &TestApp, body: Value) -> Result<(u16, Value)> {
    let response = app
        .client()?
        .post(app.url("/api/v1/accounts"))
        .json(&body)
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}

backend_test!(sign_up_bad_inputs_get_reasons_and_store_nothing);
async fn sign_up_bad_inputs_get_reasons_and_store_nothing(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let ok = |name: &str, email: &str, password: &str| json!({"display_name": name, "email": email, "password": password, "age_16_or_over": true, "accept_terms": true});
    let cases = [
        (ok("", "a@example.com", DEFAULT_PASSWORD), "display_name"),
        (
            ok(&"x".repeat(65), "a@example.com", DEFAULT_PASSWORD),
            "display_name",
        ),
        (
            ok("A\u{0000}B", "a@example.com", DEFAULT_PASSWORD),
            "display_name",
        ),
        (ok("Ada", "", DEFAULT_PASSWORD), "email"),
        (ok("Ada", "not-an-email", DEFAULT_PASSWORD), "email"),
        (
            ok(
                "Ada",
                &format!("{}@example.com", "a".repeat(250)),
                DEFAULT_PASSWORD,
            ),
            "email",
        ),
        (ok("Ada", "a@example.com", "short"), "password"),
        (ok("Ada", "a@example.com", &"p".repeat(1025)), "password"),
    ];
    for (body, field) in cases {
        let (status, err) = post_signup(&app, body).await?;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["error"]["field"], field, "{err}");
        assert!(
            !err["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }
    // Missing and unknown fields, wrong types.
    let (status, err) = post_signup(&app, json!({"email": "a@example.com"})).await?;
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("missing field"),
        "{err}"
    );
    let (status, _) = post_signup(&app, json!({"display_name": "A", "email": "a@example.com", "password": DEFAULT_PASSWORD, "age_16_or_over": "yes"})).await?;
    assert_eq!(status, 422);
    let (status, err) = post_signup(&app, json!({"display_name": "A", "email": "a@example.com", "password": DEFAULT_PASSWORD, "age_16_or_over": true, "accept_terms": true, "is_admin": true})).await?;
    assert_eq!(status, 422, "{err}");

    // Malformed JSON and the wrong content type.
    let client = app.client()?;
    let response = client
        .post(app.url("/api/v1/accounts"))
        .header("content-type", "application/json")
        .body("{\"display_name\": ")
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await?;
    assert_eq!(error_code(&body), "bad_request");
    let response = client
        .post(app.url("/api/v1/accounts"))
        .header("content-type", "text/plain")
        .body("display_name=Ada")
        .send()
        .await?;
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await?;
    assert_eq!(error_code(&body), "unsupported_media_type");

    assert_eq!(
        app.count("SELECT COUNT(*) FROM accounts WHERE $1 = $1", "x")
            .await?,
        0
    );
    Ok(())
}

backend_test!(unknown_routes_and_methods_answer_with_reasons);
async fn unknown_routes_and_methods_answer_with_reasons(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    let response = client.get(app.url("/api/v1/nope")).send().await?;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await?;
    assert_eq!(error_code(&body), "not_found");
    let response = client.delete(app.url("/api/v1/accounts")).send().await?;
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await?;
    assert_eq!(error_code(&body), "method_not_allowed");
    let response = client.get(app.url("/no/such/page")).send().await?;
    assert_eq!(response.status(), 404);
    assert!(response.text().await?.contains("Page not found"));
    let response = client.get(app.url("/healthz")).send().await?;
    assert_eq!(response.status(), 200);
    Ok(())
}
