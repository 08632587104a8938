//! Setting a new password from a mailed link: the same answer for any address (no
//! enumeration), a single-use link that works for an hour, every session ended, the address
//! verified (so the owner of an address someone else signed up with takes the account
//! over), and at most a few emails per account, silently.

use anyhow::{Result, ensure};
use heepr_tests::market::{balance, bearer, get, issue_key, post, publish_agent, send};
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test, mail};
use serde_json::json;

const NEW_PASSWORD: &str = "a brand new passphrase";

/// Reset emails to `to`, queued or sent, counted in one statement: two counts raced the
/// mail sender (a mail delivered between them was counted in both tables).
async fn reset_mails(app: &TestApp, to: &str) -> Result<i64> {
    app.count(
        "SELECT (SELECT COUNT(*) FROM email_outbox WHERE template = 'password_reset' AND recipient = $1) \
         + (SELECT COUNT(*) FROM email_log WHERE template = 'password_reset' AND recipient = $1)",
        to,
    )
    .await
}

async fn ask(app: &TestApp, email: &str) -> Result<(u16, serde_json::Value)> {
    post(
        app,
        &app.client()?,
        "/api/v1/password-resets",
        json!({"email": email}),
    )
    .await
}

backend_test!(the_owner_of_an_address_sets_a_new_password_and_takes_the_account_over);
async fn the_owner_of_an_address_sets_a_new_password_and_takes_the_account_over(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    // Someone else signed up with Ada's address and never verified it.
    let squatter = app.client()?;
    app.sign_up_unverified(&squatter, "Not Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    app.log_in(&squatter, "ada@example.com", DEFAULT_PASSWORD)
        .await?;

    // Any address gets the same answer; only an account's address gets a link.
    let known = ask(&app, "ADA@example.com").await?;
    let unknown = ask(&app, "nobody@example.com").await?;
    ensure!(known == unknown && known.0 == 202, "{known:?} {unknown:?}");
    let link = mail::link_to(&app, "ada@example.com", "/account/password/reset/").await?;
    app.flush().await;
    ensure!(reset_mails(&app, "nobody@example.com").await? == 0);

    // The link's page shows the form; a short password is refused on it, keeping nothing.
    let ada = app.client()?;
    let page = ada.get(&link).send().await?;
    ensure!(page.status() == 200);
    let form = page.text().await?;
    // It names the account, so a password manager files the new password under it.
    ensure!(
        form.contains("Set my new password")
            && form.contains(r#"value="ada@example.com" autocomplete="username""#),
        "{form}"
    );
    let short = ada
        .post(&link)
        .form(&[("new_password", "short")])
        .send()
        .await?;
    ensure!(short.status() == 422, "{}", short.status());
    let set = ada
        .post(&link)
        .form(&[("new_password", NEW_PASSWORD)])
        .send()
        .await?;
    ensure!(set.status() == 303, "{}", set.status());
    ensure!(set.headers()["location"] == "/login?notice=password_set");
    let login_page = ada
        .get(app.url("/login?notice=password_set"))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        login_page.contains("Your new password is set"),
        "{login_page}"
    );

    // The squatter is signed out and their password no longer works; Ada's does, and the
    // address counts as verified (the link came to it): bonus credited.
    let (s, _) = get(&app, &squatter, "/api/v1/me").await?;
    ensure!(s == 401, "the old session still works: {s}");
    let (s, _) = post(
        &app,
        &app.client()?,
        "/api/v1/sessions",
        json!({"email": "ada@example.com", "password": DEFAULT_PASSWORD}),
    )
    .await?;
    ensure!(s == 401, "the old password still works: {s}");
    app.log_in(&ada, "ada@example.com", NEW_PASSWORD).await?;
    let (_, me) = get(&app, &ada, "/api/v1/me").await?;
    ensure!(me["email_verified"] == true, "{me}");
    ensure!(balance(&app, &ada).await? == 500);
    // The address is told; the link is used up, and its page says so.
    mail::link_to(&app, "ada@example.com", "/account/password/forgot").await?;
    let again = app
        .client()?
        .post(&link)
        .form(&[("new_password", NEW_PASSWORD)])
        .send()
        .await?;
    ensure!(again.status() == 404, "{}", again.status());
    let reopened = app.client()?.get(&link).send().await?;
    ensure!(reopened.status() == 404);
    ensure!(reopened.text().await?.contains("used already"));
    Ok(())
}

backend_test!(reset_links_expire_and_are_limited_without_saying_so);
async fn reset_links_expire_and_are_limited_without_saying_so(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    app.member("Bo", "bo@example.com").await?;
    for _ in 0..4 {
        let (s, _) = ask(&app, "bo@example.com").await?;
        ensure!(s == 202);
    }
    // One a minute: asking again at once sends nothing more, and says nothing different.
    ensure!(reset_mails(&app, "bo@example.com").await? == 1);
    let first = mail::link_to(&app, "bo@example.com", "/account/password/reset/").await?;
    // An hour later the link has expired, on the page and the API.
    app.clock.advance_ms(3_600_001);
    let page = app.client()?.get(&first).send().await?;
    ensure!(page.status() == 410);
    ensure!(page.text().await?.contains("expired"));
    let token = first.rsplit('/').next().unwrap_or_default();
    let (s, _) = send(
        app.client()?
            .post(app.url(&format!("/api/v1/password-resets/{token}")))
            .json(&json!({"new_password": NEW_PASSWORD})),
    )
    .await?;
    ensure!(s == 410, "{s}");
    // At most five in 24 hours, however often anyone asks.
    for _ in 0..10 {
        app.clock.advance_ms(61_000);
        ask(&app, "bo@example.com").await?;
    }
    ensure!(reset_mails(&app, "bo@example.com").await? == 5);
    // Not an address at all is the one thing refused.
    let (s, _) = ask(&app, "not an address").await?;
    ensure!(s == 422);
    Ok(())
}

backend_test!(a_takeover_cancels_the_squatters_pending_email_change);
/// Found by a fresh pass: whoever signed up with your address asked to change it to theirs;
/// after you took the account over with a reset, their old confirmation link still moved
/// the account to their address. A reset (and a password change) cancels a pending change,
/// and a takeover revokes the agent keys the squatter issued.
async fn a_takeover_cancels_the_squatters_pending_email_change(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let mallory = app.client()?;
    app.sign_up_unverified(&mallory, "Mallory", "victim@example.com", DEFAULT_PASSWORD)
        .await?;
    app.log_in(&mallory, "victim@example.com", DEFAULT_PASSWORD)
        .await?;
    let (s, _) = post(
        &app,
        &mallory,
        "/api/v1/me/email",
        json!({"new_email": "mallory@evil.example", "password": DEFAULT_PASSWORD}),
    )
    .await?;
    ensure!(s == 202);
    let change = mail::link_to(&app, "mallory@evil.example", "/account/email/confirm/").await?;
    // She also runs an agent on the account.
    let agent_id = publish_agent(&app, &mallory, "Squatted Writer", 50, "writing").await?;
    let key = issue_key(&app, &mallory, &agent_id).await?;
    let (s, _) = send(bearer(&key)?.post(app.url("/api/v1/agent/heartbeat"))).await?;
    ensure!(s < 300, "the key works before the takeover: {s}");
    ask(&app, "victim@example.com").await?;
    let link = mail::link_to(&app, "victim@example.com", "/account/password/reset/").await?;
    let set = app
        .client()?
        .post(&link)
        .form(&[("new_password", NEW_PASSWORD)])
        .send()
        .await?;
    ensure!(set.status() == 303);
    let late = app.client()?.post(&change).send().await?;
    ensure!(
        late.status() == 404,
        "the squatter's change still worked: {}",
        late.status()
    );
    let (s, _) = send(bearer(&key)?.post(app.url("/api/v1/agent/heartbeat"))).await?;
    ensure!(s == 401, "the squatter's agent key still works: {s}");
    let victim = app.client()?;
    app.log_in(&victim, "victim@example.com", NEW_PASSWORD)
        .await?;
    let (_, me) = get(&app, &victim, "/api/v1/me").await?;
    ensure!(me["email"] == "victim@example.com", "{me}");
    Ok(())
}

backend_test!(no_login_with_the_old_password_survives_a_reset);
/// Found by a fresh pass: a login that checked the old password just before a reset
/// committed opened its session just after, and it survived. A login now opens its session
/// only if the password it checked is still the account's.
async fn no_login_with_the_old_password_survives_a_reset(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (_, account) = app.member("Cy", "cy@example.com").await?;
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    ask(&app, "cy@example.com").await?;
    let link = mail::link_to(&app, "cy@example.com", "/account/password/reset/").await?;
    let reset = {
        let client = app.client()?;
        let link = link.clone();
        tokio::spawn(async move {
            client
                .post(&link)
                .form(&[("new_password", NEW_PASSWORD)])
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    let mut logins = Vec::new();
    for _ in 0..12 {
        let client = app.client()?;
        let url = app.url("/api/v1/sessions");
        logins.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"email": "cy@example.com", "password": DEFAULT_PASSWORD}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    ensure!(reset.await?? == 303);
    for login in logins {
        login.await??;
    }
    let open = app
        .count("SELECT COUNT(*) FROM sessions WHERE account_id = $1", &id)
        .await?;
    ensure!(
        open == 0,
        "{open} sessions opened with the old password survived the reset"
    );
    Ok(())
}

backend_test!(the_owner_who_verifies_first_then_resets_takes_the_account_back_whole);
/// Regression (fresh tester, high): a squatter signed up with someone's address, linked
/// their own GitHub account and issued an agent key; the address's owner followed the
/// advice (verify the address from the mail, then reset the password), and the squatter
/// still signed in through GitHub and the key still worked, since a reset dropped them only
/// for a never-verified account. Linking a provider now needs a verified address, and a
/// reset drops every identity and key made before the address was verified.
async fn the_owner_who_verifies_first_then_resets_takes_the_account_back_whole(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let mallory = app.client()?;
    let account = app
        .sign_up_unverified(
            &mallory,
            "Mallory",
            "vera.victim@example.com",
            DEFAULT_PASSWORD,
        )
        .await?;
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    app.log_in(&mallory, "vera.victim@example.com", DEFAULT_PASSWORD)
        .await?;
    let link = mallory
        .post(app.url("/account/sign-in/github/link"))
        .form(&[("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    ensure!(
        link.status() == 403,
        "linking while unverified: {}",
        link.status()
    );
    // An identity linked before that rule (or by any other way in): made before the
    // address was verified.
    sqlx::query(
        "INSERT INTO sign_in_identities (id, account_id, provider, subject, email, display_name, profile_json, created_at, last_used_at) \
         VALUES ('squat-gh', $1, 'github', '666', NULL, 'mallory', '{}', $2, $2)",
    )
    .bind(&id)
    .bind(app.clock_now())
    .execute(app.pool())
    .await?;
    let agent_id = publish_agent(&app, &mallory, "Squatted Writer", 50, "writing").await?;
    let key = issue_key(&app, &mallory, &agent_id).await?;

    // The owner verifies the address, then sets a new password.
    app.clock.advance_ms(1_000);
    app.verify_email("vera.victim@example.com").await?;
    ask(&app, "vera.victim@example.com").await?;
    let reset = mail::link_to(&app, "vera.victim@example.com", "/account/password/reset/").await?;
    let set = app
        .client()?
        .post(&reset)
        .form(&[("new_password", NEW_PASSWORD)])
        .send()
        .await?;
    ensure!(set.status() == 303, "{}", set.status());
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM sign_in_identities WHERE account_id = $1",
            &id
        )
        .await?
            == 0,
        "the squatter's GitHub identity is gone"
    );
    let (s, _) = send(bearer(&key)?.post(app.url("/api/v1/agent/heartbeat"))).await?;
    ensure!(s == 401, "the squatter's agent key still works: {s}");
    Ok(())
}

backend_test!(a_reset_link_to_the_old_address_dies_with_the_email_change);
/// Regression (third fresh pass): a reset link mailed to the old address still set the
/// password after the address was changed, so whoever kept the old mailbox took the account
/// back within the link's hour.
async fn a_reset_link_to_the_old_address_dies_with_the_email_change(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Vic Former", "vic.old@example.com").await?;
    ask(&app, "vic.old@example.com").await?;
    let old_link = mail::link_to(&app, "vic.old@example.com", "/account/password/reset/").await?;
    let (s, _) = post(
        &app,
        &owner,
        "/api/v1/me/email",
        json!({"new_email": "vic.new@example.com", "password": DEFAULT_PASSWORD}),
    )
    .await?;
    ensure!(s == 202);
    let change = mail::link_to(&app, "vic.new@example.com", "/account/email/confirm/").await?;
    let confirmed = app.client()?.post(&change).send().await?;
    ensure!(
        confirmed.status().is_success() || confirmed.status().is_redirection(),
        "{}",
        confirmed.status()
    );
    let used = app
        .client()?
        .post(&old_link)
        .form(&[("new_password", NEW_PASSWORD)])
        .send()
        .await?;
    ensure!(
        used.status() == 404,
        "the old address's reset link still works: {}",
        used.status()
    );
    Ok(())
}

backend_test!(a_reset_also_ends_what_was_linked_after_the_verification);
/// Regression (third fresh pass): the squatter kept a session past the owner's
/// verification, linked GitHub and issued a key then, and both survived the owner's reset.
/// A reset now unlinks every provider and revokes every agent key (the mail says so).
async fn a_reset_also_ends_what_was_linked_after_the_verification(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (mallory, account) = app.member("Mallory", "vera.b@example.com").await?;
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    app.clock.advance_ms(1_000);
    sqlx::query(
        "INSERT INTO sign_in_identities (id, account_id, provider, subject, email, display_name, profile_json, created_at, last_used_at) \
         VALUES ('late-gh', $1, 'github', '667', NULL, 'mallory', '{}', $2, $2)",
    )
    .bind(&id)
    .bind(app.clock_now())
    .execute(app.pool())
    .await?;
    let agent_id = publish_agent(&app, &mallory, "Late Writer", 50, "writing").await?;
    let key = issue_key(&app, &mallory, &agent_id).await?;
    ask(&app, "vera.b@example.com").await?;
    let reset = mail::link_to(&app, "vera.b@example.com", "/account/password/reset/").await?;
    let set = app
        .client()?
        .post(&reset)
        .form(&[("new_password", NEW_PASSWORD)])
        .send()
        .await?;
    ensure!(set.status() == 303, "{}", set.status());
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM sign_in_identities WHERE account_id = $1",
            &id
        )
        .await?
            == 0
    );
    let (s, _) = send(bearer(&key)?.post(app.url("/api/v1/agent/heartbeat"))).await?;
    ensure!(s == 401, "the key still works: {s}");
    Ok(())
}
