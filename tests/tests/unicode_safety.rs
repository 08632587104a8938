//! Unicode safety (issue 14 §4): one name rule refuses bidirectional controls and
//! zero-width characters in every name-like field; messages keep any script with their
//! bidirectional controls escaped in pages; look-alike emails are one account, and old
//! look-alike pairs are reported rather than failing the upgrade.

use anyhow::{Result, ensure};
use heepr_core::identity::accounts::email_keys::{self, Collision};
use heepr_tests::market::{id_of, market, post, send};
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// A right-to-left override (the `invoice\u{202E}fdp.exe` trick) and a zero-width joiner.
const HIDDEN: [&str; 2] = ["invoice\u{202E}fdp.exe", "ad\u{200D}a"];

async fn sign_up(app: &TestApp, name: &str, email: &str) -> Result<(u16, Value)> {
    send(app.client()?.post(app.url("/api/v1/accounts")).json(&json!({
        "display_name": name, "email": email, "password": DEFAULT_PASSWORD, "age_16_or_over": true, "accept_terms": true
    })))
    .await
}

/// The account a sign-up's answer is about (its address's key), as `/api/v1/me` shows it:
/// the answer itself is the same whether or not one was created.
async fn account_at(app: &TestApp, answer: &Value) -> Result<Option<Value>> {
    let address = answer["email"].as_str().unwrap_or_default();
    let key = heepr_core::identity::accounts::validate::email_key(address);
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE email_normalized = $1")
            .bind(&key)
            .fetch_optional(app.pool())
            .await?;
    let Some(id) = id else { return Ok(None) };
    let profile = heepr_core::identity::accounts::profile(&app.state, &id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Some(serde_json::to_value(profile)?))
}

/// Accounts whose display name is `name`.
async fn named(app: &TestApp, name: &str) -> Result<i64> {
    app.count(
        "SELECT COUNT(*) FROM accounts WHERE display_name = $1",
        name,
    )
    .await
}

backend_test!(hidden_characters_are_refused_in_every_name_like_field);
async fn hidden_characters_are_refused_in_every_name_like_field(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let agent = format!("/api/v1/my/agents/{}", m.agent_id);
    for bad in HIDDEN {
        let (s, body) = sign_up(&app, bad, "someone@example.com").await?;
        ensure!(
            s == 422 && body["error"]["field"] == "display_name",
            "{s} {body}"
        );
        ensure!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("U+"),
            "the reason names the character: {body}"
        );
        let (s, body) = post(
            &app,
            &m.owner,
            "/api/v1/my/agents",
            json!({"name": bad, "description": "writes"}),
        )
        .await?;
        ensure!(
            s == 422 && body["error"]["field"] == "name",
            "agent name: {s} {body}"
        );
        for (field, value) in [
            ("tags", json!([bad])),
            ("skills", json!([bad])),
            (
                "order_form",
                json!([{"name": "topic", "label": bad, "type": "text"}]),
            ),
            (
                "order_form",
                json!([{"name": "tone", "label": "Tone", "type": "choice", "choices": ["formal", bad]}]),
            ),
        ] {
            let (s, body) = send(
                m.owner
                    .patch(app.url(&agent))
                    .json(&json!({ field: value })),
            )
            .await?;
            ensure!(
                s == 422 && body["error"]["field"] == field,
                "{field}: {s} {body}"
            );
        }
        let form = Form::new().part(
            "file",
            Part::bytes(b"%PDF".to_vec()).file_name(bad.to_owned()),
        );
        let (s, body) = send(m.customer.post(app.url("/api/v1/files")).multipart(form)).await?;
        ensure!(
            s == 422 && body["error"]["field"] == "file_name",
            "file name: {s} {body}"
        );
    }
    // Any script is fine, and names are kept in NFC.
    let (s, body) = sign_up(&app, "Zoe\u{0308} 李", "zoe@example.com").await?;
    let account = account_at(&app, &body).await?.unwrap_or_default();
    ensure!(
        s == 202 && account["display_name"] == "Zo\u{00EB} 李",
        "{s} {body} {account}"
    );
    Ok(())
}

backend_test!(messages_keep_any_script_with_bidi_controls_escaped_in_pages);
async fn messages_keep_any_script_with_bidi_controls_escaped_in_pages(
    backend: Backend,
) -> Result<()> {
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
    let text = "مرحبا, see invoice\u{202E}fdp.exe";
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/threads/{tid}/messages"),
        json!({ "body": text }),
    )
    .await?;
    ensure!(s == 201, "a message keeps any script: {s} {body}");
    let page = m
        .owner
        .get(app.url(&format!("/threads/{tid}")))
        .send()
        .await?
        .text()
        .await?;
    ensure!(page.contains("مرحبا"), "the Arabic text is shown");
    ensure!(
        page.contains("invoice[U+202E]fdp.exe") && !page.contains('\u{202E}'),
        "the override is shown escaped, never applied"
    );
    Ok(())
}

backend_test!(look_alike_emails_are_one_account);
async fn look_alike_emails_are_one_account(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (s, body) = sign_up(&app, "Ada", "ada@e\u{0301}xample.com").await?;
    ensure!(
        s == 202 && account_at(&app, &body).await?.is_some(),
        "{s} {body}"
    );
    ensure!(
        body["email"] == "ada@xn--xample-9ua.com",
        "the domain is kept in its IDNA form: {body}"
    );
    for look_alike in [
        "ADA@\u{00E9}xample.com",
        "ada@xn--xample-9ua.com",
        "ada@\u{00C9}XAMPLE.com",
    ] {
        // The same answer as any sign-up, and no second account.
        let (s, body) = sign_up(&app, "Ada again", look_alike).await?;
        ensure!(
            s == 202 && named(&app, "Ada again").await? == 0,
            "{look_alike:?}: {s} {body}"
        );
    }
    let (s, body) = sign_up(&app, "Ilker", "\u{0130}lker@example.com").await?;
    ensure!(s == 202, "{s} {body}");
    let ilker = id_of(&account_at(&app, &body).await?.unwrap_or_default());
    for look_alike in ["ilker@example.com", "i\u{0307}lker@example.com"] {
        let (s, body) = sign_up(&app, "Not Ilker", look_alike).await?;
        ensure!(
            s == 202 && named(&app, "Not Ilker").await? == 0,
            "{look_alike:?}: {s} {body}"
        );
    }
    // Login finds the account by its key, whatever form is typed.
    let body = app
        .log_in(&app.client()?, "ILKER@example.com", DEFAULT_PASSWORD)
        .await?;
    ensure!(body["account"]["id"] == ilker.as_str(), "{body}");
    app.log_in(&app.client()?, "ada@\u{00E9}xample.com", DEFAULT_PASSWORD)
        .await?;
    Ok(())
}

backend_test!(old_look_alike_accounts_are_reported_not_merged);
async fn old_look_alike_accounts_are_reported_not_merged(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    // Written before keys existed: decomposed and composed forms of one address.
    for (id, email) in [
        (
            "00000000-0000-7000-8000-000000000001",
            "zoe\u{0308}@example.org",
        ),
        (
            "00000000-0000-7000-8000-000000000002",
            "zo\u{00EB}@example.org",
        ),
        ("00000000-0000-7000-8000-000000000003", "grace@example.org"),
    ] {
        sqlx::query(
            "INSERT INTO accounts (id, email, display_name, status, age_16_or_over_confirmed_at, created_at, updated_at) \
             VALUES ($1, $2, 'Old', 'active', 0, 0, 0)",
        )
        .bind(id)
        .bind(email)
        .execute(app.pool())
        .await?;
    }
    let collisions = email_keys::backfill(&app.state.db).await?;
    ensure!(
        collisions
            == [Collision {
                account_id: "00000000-0000-7000-8000-000000000002".into(),
                same_as: "00000000-0000-7000-8000-000000000001".into(),
            }],
        "{collisions:?}"
    );
    let keys: Vec<Option<String>> =
        sqlx::query_scalar("SELECT email_normalized FROM accounts ORDER BY id")
            .fetch_all(app.pool())
            .await?;
    ensure!(
        keys == [
            Some("zo\u{00EB}@example.org".to_owned()),
            None,
            Some("grace@example.org".to_owned())
        ],
        "{keys:?}"
    );
    let again = email_keys::backfill(&app.state.db).await?;
    ensure!(again == collisions, "running again reports the same pair");
    let before = named(&app, "Zoe").await?;
    let (s, body) = sign_up(&app, "Zoe", "ZOË@example.org").await?;
    ensure!(
        s == 202 && named(&app, "Zoe").await? == before,
        "the older account's key holds: {s} {body}"
    );
    Ok(())
}
