//! A person changes their own email address: asked with the password, confirmed from the
//! new address (a page with a button, so a link scanner changes nothing), announced to the
//! old address before and after; expired and reused links refused; the same answer when
//! another account has the address, which is told instead (no enumeration).

mod privacy_support;

use anyhow::{Context, Result};
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test};
use privacy_support::spawn_keeping_mail;
use serde_json::{Value, json};

async fn ask(app: &TestApp, client: &reqwest::Client, body: Value) -> Result<(u16, Value)> {
    heepr_tests::market::send(client.post(app.url("/api/v1/me/email")).json(&body)).await
}

/// The text of the newest queued email of `template` to `to`.
async fn mail_to(app: &TestApp, template: &str, to: &str) -> Result<String> {
    sqlx::query_scalar(
        "SELECT body_text FROM email_outbox WHERE template = $1 AND recipient = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(template)
    .bind(to)
    .fetch_optional(app.pool())
    .await?
    .with_context(|| format!("no {template} email to {to}"))
}

fn link_in(body: &str) -> Result<String> {
    Ok(body
        .split_whitespace()
        .find(|w| w.contains("/account/email/confirm/"))
        .context("no link in the email")?
        .to_string())
}

async fn account_email(app: &TestApp, id: &str) -> Result<(String, String)> {
    Ok(
        sqlx::query_as("SELECT email, email_normalized FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_one(app.pool())
            .await?,
    )
}

async fn can_log_in(app: &TestApp, email: &str) -> Result<bool> {
    let r = app
        .client()?
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"email": email, "password": DEFAULT_PASSWORD}))
        .send()
        .await?;
    Ok(r.status() == 200)
}

async fn a_person_changes_their_email_from_the_new_address(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    let (alice, account) = app.member("Alice Moving", "alice.old@example.com").await?;
    let id = account["id"].as_str().context("id")?.to_string();

    // Refused with the field named; nothing is sent.
    for (new_email, password, field) in [
        ("alice.new@example.com", "wrong password", "password"),
        ("ALICE.OLD@example.com", DEFAULT_PASSWORD, "new_email"),
        ("not an address", DEFAULT_PASSWORD, "new_email"),
    ] {
        let (s, body) = ask(
            &app,
            &alice,
            json!({"new_email": new_email, "password": password}),
        )
        .await?;
        assert_eq!(
            (s, body["error"]["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }

    // Asked: a link to the new address, a notice to the old one; nothing changed yet.
    let (s, body) = ask(
        &app,
        &alice,
        json!({"new_email": "Alice.New@Example.com", "password": DEFAULT_PASSWORD}),
    )
    .await?;
    assert_eq!(s, 202, "{body}");
    assert_eq!(body["pending_email"], "alice.new@example.com");
    let link = link_in(&mail_to(&app, "email_change_confirm", "alice.new@example.com").await?)?;
    let notice = mail_to(&app, "email_change_asked", "alice.old@example.com").await?;
    assert!(
        notice.contains("alice.new@example.com") && notice.contains("change your password"),
        "{notice}"
    );
    assert!(
        !notice.contains("/account/email/confirm/"),
        "the old address never gets the link"
    );
    assert!(can_log_in(&app, "alice.old@example.com").await?);
    assert!(!can_log_in(&app, "alice.new@example.com").await?);

    // Opening the link (a person or a mail scanner) changes nothing; the button does.
    let browser = app.client()?;
    let page = browser.get(&link).send().await?;
    assert_eq!(page.status(), 200);
    assert!(page.text().await?.contains("alice.new@example.com"));
    assert_eq!(account_email(&app, &id).await?.0, "alice.old@example.com");
    let done = browser.post(&link).send().await?;
    assert_eq!(done.status(), 200);
    let (email, key) = account_email(&app, &id).await?;
    assert_eq!(email, "alice.new@example.com");
    assert_eq!(
        key,
        heepr_core::identity::accounts::validate::email_key("alice.new@example.com")
    );
    assert!(can_log_in(&app, "alice.new@example.com").await?);
    assert!(!can_log_in(&app, "alice.old@example.com").await?);
    let told = mail_to(&app, "email_changed", "alice.old@example.com").await?;
    assert!(told.contains("alice.new@example.com"), "{told}");
    assert_eq!(
        browser.post(&link).send().await?.status(),
        404,
        "links work once"
    );
    let audited = app
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'account.rectify' AND subject_account_id = $1 \
             AND details LIKE '%\"email\"%' AND details NOT LIKE '%@%'",
            &id,
        )
        .await?;
    assert_eq!(audited, 1, "audited once, by field name only");

    // An expired link changes nothing (asked a minute later: one ask a minute).
    app.clock.advance_ms(61_000);
    let (s, _) = ask(
        &app,
        &alice,
        json!({"new_email": "alice.third@example.com", "password": DEFAULT_PASSWORD}),
    )
    .await?;
    assert_eq!(s, 202);
    let late = link_in(&mail_to(&app, "email_change_confirm", "alice.third@example.com").await?)?;
    app.clock
        .advance_ms(heepr_core::identity::accounts::email_change::EMAIL_CHANGE_LINK_MS + 1);
    assert_eq!(browser.post(&late).send().await?.status(), 410);
    assert_eq!(account_email(&app, &id).await?.0, "alice.new@example.com");
    Ok(())
}
backend_test!(a_person_changes_their_email_from_the_new_address);

async fn an_address_in_use_gets_the_same_answer_and_is_told(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    let (alice, account) = app.member("Alice Taker", "alice.t@example.com").await?;
    let id = account["id"].as_str().context("id")?.to_string();
    app.member("Bob Owner", "bob.t@example.com").await?;
    let (s, body) = ask(
        &app,
        &alice,
        json!({"new_email": "BOB.T@example.com", "password": DEFAULT_PASSWORD}),
    )
    .await?;
    assert_eq!(s, 202, "the same answer: {body}");
    assert_eq!(body["pending_email"], "bob.t@example.com");
    let told = mail_to(&app, "email_change_taken", "bob.t@example.com").await?;
    assert!(
        told.contains("already uses this address") && !told.contains("/account/email/confirm/"),
        "{told}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM email_changes WHERE account_id = $1",
            &id
        )
        .await?,
        0
    );
    assert_eq!(account_email(&app, &id).await?.0, "alice.t@example.com");

    // The page form keeps what was typed and says what was wrong.
    let page = alice
        .post(app.url("/account/email"))
        .form(&[
            ("new_email", "alice.elsewhere@example.com"),
            ("password", "wrong password"),
        ])
        .send()
        .await?;
    assert_eq!(page.status(), 422);
    let html = page.text().await?;
    assert!(
        html.contains("value=\"alice.elsewhere@example.com\"")
            && html.contains("password is not correct"),
        "{html}"
    );
    Ok(())
}
backend_test!(an_address_in_use_gets_the_same_answer_and_is_told);

/// Each ask mails an address the person typed: one a minute and five a day per account, so
/// the form cannot flood anyone's inbox (found by a fresh pass: ten asks sent ten emails).
async fn asking_again_and_again_mails_nobody_more_than_five_times(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    let (alice, _) = app.member("Alice Taker", "alice.f@example.com").await?;
    let body = json!({"new_email": "victim@example.com", "password": DEFAULT_PASSWORD});
    let (s, _) = ask(&app, &alice, body.clone()).await?;
    assert_eq!(s, 202);
    let (s, answer) = ask(&app, &alice, body.clone()).await?;
    assert_eq!(s, 429, "{answer}");
    // Four more a minute apart make five; the next is refused.
    for _ in 0..4 {
        app.clock.advance_ms(61_000);
        let (s, _) = ask(&app, &alice, body.clone()).await?;
        assert_eq!(s, 202);
    }
    app.clock.advance_ms(61_000);
    let (s, _) = ask(&app, &alice, body.clone()).await?;
    assert_eq!(s, 429);
    let to_victim = app
        .count(
            "SELECT COUNT(*) FROM email_outbox WHERE recipient = $1",
            "victim@example.com",
        )
        .await?;
    // Five asks, but one address receives at most three change emails a day.
    assert_eq!(to_victim, 3);
    // A day after the first, asking works again.
    app.clock.advance_ms(24 * 3_600_000);
    let (s, _) = ask(&app, &alice, body).await?;
    assert_eq!(s, 202);
    Ok(())
}
backend_test!(asking_again_and_again_mails_nobody_more_than_five_times);

backend_test!(one_address_gets_at_most_three_change_emails_a_day);
/// Regression (third fresh pass): ten throwaway accounts each asked to move to one target
/// address and all ten emails arrived (no limit per recipient). An address now receives at
/// most three change emails in 24 hours, whoever asks; the askers all get the same answer.
async fn one_address_gets_at_most_three_change_emails_a_day(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    for i in 0..5 {
        let (client, _) = app.member("Att", &format!("att{i}@example.com")).await?;
        let (s, body) = ask(
            &app,
            &client,
            json!({"new_email": "target@example.com", "password": DEFAULT_PASSWORD}),
        )
        .await?;
        assert_eq!(s, 202, "{body}");
    }
    let got = app
        .count(
            "SELECT (SELECT COUNT(*) FROM email_outbox WHERE recipient = $1) \
             + (SELECT COUNT(*) FROM email_log WHERE recipient = $1)",
            "target@example.com",
        )
        .await?;
    assert_eq!(got, 3);
    Ok(())
}
