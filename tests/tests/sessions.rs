//! Login, cookies, logout, session list, timeouts, password change, throttling, CSRF.

use anyhow::{Context, Result};
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test, error_code};
use serde_json::{Value, json};

const HOUR_MS: i64 = 3_600_000;

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("\n")
}

backend_test!(session_cookie_flags_and_token_stored_only_as_hash);
async fn session_cookie_flags_and_token_stored_only_as_hash(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    app.sign_up(&client, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let response = client
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"email": "ADA@example.com", "password": DEFAULT_PASSWORD}))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("heepr_session="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attr), "{attr} missing: {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );
    let token = cookie
        .trim_start_matches("heepr_session=")
        .split(';')
        .next()
        .context("token")?
        .to_string();
    assert!(token.len() >= 22, "token carries >= 128 bits");
    let stored = app
        .count(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            &token,
        )
        .await?;
    assert_eq!(stored, 0, "the raw token must not be stored");
    let hashed = heepr_core::platform::tokens::hash_secret(&token);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            &hashed
        )
        .await?,
        1
    );

    // A second login issues a different token.
    let again = app
        .client()?
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"email": "ada@example.com", "password": DEFAULT_PASSWORD}))
        .send()
        .await?;
    assert_ne!(set_cookie(&again), cookie);
    Ok(())
}

backend_test!(https_public_url_gives_host_prefixed_secure_cookie);
async fn https_public_url_gives_host_prefixed_secure_cookie(backend: Backend) -> Result<()> {
    let app =
        TestApp::spawn_with(&backend, |s| s.public_url = "https://heepr.example".into()).await?;
    let client = app.client()?;
    app.sign_up(&client, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let response = client
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"email": "ada@example.com", "password": DEFAULT_PASSWORD}))
        .send()
        .await?;
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("__Host-heepr_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    Ok(())
}

backend_test!(wrong_password_and_unknown_email_look_the_same);
async fn wrong_password_and_unknown_email_look_the_same(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    app.sign_up(&client, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let mut bodies = Vec::new();
    for email in ["ada@example.com", "nobody@example.com"] {
        let response = client
            .post(app.url("/api/v1/sessions"))
            .json(&json!({"email": email, "password": "wrong password"}))
            .send()
            .await?;
        assert_eq!(response.status(), 401);
        assert!(set_cookie(&response).is_empty());
        bodies.push(response.json::<Value>().await?);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(error_code(&bodies[0]), "bad_credentials");
    Ok(())
}

backend_test!(logout_ends_the_session);
async fn logout_ends_the_session(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (client, _) = app.member("Ada", "ada@example.com").await?;
    assert_eq!(
        client.get(app.url("/api/v1/me")).send().await?.status(),
        200
    );
    let response = client
        .delete(app.url("/api/v1/sessions/current"))
        .send()
        .await?;
    assert_eq!(response.status(), 204);
    assert!(set_cookie(&response).contains("Max-Age=0"));
    assert_eq!(
        client.get(app.url("/api/v1/me")).send().await?.status(),
        401
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE $1 = $1", "x")
            .await?,
        0
    );
    Ok(())
}

backend_test!(idle_and_absolute_timeouts_end_sessions);
async fn idle_and_absolute_timeouts_end_sessions(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(&backend, |s| {
        s.session_idle_ms = 2 * HOUR_MS;
        s.session_absolute_ms = 5 * HOUR_MS;
    })
    .await?;
    // Idle: unused for exactly the idle timeout → ended.
    let (idle, _) = app.member("Ada", "ada@example.com").await?;
    app.clock.advance_ms(2 * HOUR_MS - 1);
    assert_eq!(idle.get(app.url("/api/v1/me")).send().await?.status(), 200);
    // The last-seen time is written off the request's path.
    app.flush().await;
    app.clock.advance_ms(2 * HOUR_MS - 1);
    assert_eq!(
        idle.get(app.url("/api/v1/me")).send().await?.status(),
        200,
        "use resets the idle timer"
    );
    app.clock.advance_ms(2 * HOUR_MS);
    assert_eq!(idle.get(app.url("/api/v1/me")).send().await?.status(), 401);

    // Absolute: used every hour, still ends 5 hours after login.
    let (busy, _) = app.member("Bob", "bob@example.com").await?;
    for _ in 0..4 {
        app.clock.advance_ms(HOUR_MS);
        assert_eq!(busy.get(app.url("/api/v1/me")).send().await?.status(), 200);
        app.flush().await;
    }
    app.clock.advance_ms(HOUR_MS);
    assert_eq!(busy.get(app.url("/api/v1/me")).send().await?.status(), 401);
    Ok(())
}

backend_test!(people_see_and_end_only_their_own_sessions);
async fn people_see_and_end_only_their_own_sessions(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (laptop, _) = app.member("Ada", "ada@example.com").await?;
    let phone = app.client()?;
    app.log_in(&phone, "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let (mallory, _) = app.member("Mallory", "mallory@example.com").await?;

    let list: Value = laptop
        .get(app.url("/api/v1/me/sessions"))
        .send()
        .await?
        .json()
        .await?;
    let sessions = list["sessions"].as_array().context("sessions")?;
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_id = sessions
        .iter()
        .find(|s| s["current"] == false)
        .context("phone")?["id"]
        .as_str()
        .context("id")?
        .to_string();
    assert!(sessions[0]["ip"] == "127.0.0.1" && sessions[0].get("token_hash").is_none());

    // Someone else's session id is simply not found.
    let response = mallory
        .delete(app.url(&format!("/api/v1/me/sessions/{phone_id}")))
        .send()
        .await?;
    assert_eq!(response.status(), 404);
    assert_eq!(phone.get(app.url("/api/v1/me")).send().await?.status(), 200);

    let response = laptop
        .delete(app.url(&format!("/api/v1/me/sessions/{phone_id}")))
        .send()
        .await?;
    assert_eq!(response.status(), 204);
    assert_eq!(phone.get(app.url("/api/v1/me")).send().await?.status(), 401);
    assert_eq!(
        laptop.get(app.url("/api/v1/me")).send().await?.status(),
        200
    );
    Ok(())
}

backend_test!(password_change_ends_every_other_session);
async fn password_change_ends_every_other_session(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (laptop, _) = app.member("Ada", "ada@example.com").await?;
    let phone = app.client()?;
    app.log_in(&phone, "ada@example.com", DEFAULT_PASSWORD)
        .await?;

    let wrong = laptop
        .put(app.url("/api/v1/me/password"))
        .json(&json!({"current_password": "not it at all", "new_password": "a brand new secret"}))
        .send()
        .await?;
    assert_eq!(wrong.status(), 422);
    let body: Value = wrong.json().await?;
    assert_eq!(body["error"]["field"], "current_password");
    let short = laptop
        .put(app.url("/api/v1/me/password"))
        .json(&json!({"current_password": DEFAULT_PASSWORD, "new_password": "short"}))
        .send()
        .await?;
    assert_eq!(short.status(), 422);
    assert_eq!(
        phone.get(app.url("/api/v1/me")).send().await?.status(),
        200,
        "failed changes end nothing"
    );

    let response = laptop
        .put(app.url("/api/v1/me/password"))
        .json(&json!({"current_password": DEFAULT_PASSWORD, "new_password": "a brand new secret"}))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await?;
    assert_eq!(body["ended_sessions"], 1);
    assert_eq!(phone.get(app.url("/api/v1/me")).send().await?.status(), 401);
    assert_eq!(
        laptop.get(app.url("/api/v1/me")).send().await?.status(),
        200
    );

    let old = app
        .client()?
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"email": "ada@example.com", "password": DEFAULT_PASSWORD}))
        .send()
        .await?;
    assert_eq!(old.status(), 401);
    app.log_in(&app.client()?, "ada@example.com", "a brand new secret")
        .await?;
    Ok(())
}

backend_test!(login_is_throttled_per_account_and_per_ip);
async fn login_is_throttled_per_account_and_per_ip(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(&backend, |s| {
        s.login_limits.per_account_client_burst = 3;
        s.login_limits.per_ip_burst = 6;
    })
    .await?;
    let client = app.client()?;
    app.sign_up(&client, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let attempt = |email: &'static str, password: &'static str| {
        let client = client.clone();
        let url = app.url("/api/v1/sessions");
        async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
        }
    };
    for _ in 0..3 {
        assert_eq!(
            attempt("ada@example.com", "wrong password").await?.status(),
            401
        );
    }
    let limited = attempt("ada@example.com", DEFAULT_PASSWORD).await?;
    assert_eq!(
        limited.status(),
        429,
        "even the right password waits once the account is throttled"
    );
    assert!(limited.headers().get("retry-after").is_some());
    let body: Value = limited.json().await?;
    assert_eq!(error_code(&body), "too_many_requests");

    // Per IP: other accounts from the same address run out too.
    for email in ["b@example.com", "c@example.com"] {
        assert_eq!(attempt(email, "whatever pass").await?.status(), 401);
    }
    assert_eq!(
        attempt("d@example.com", "whatever pass").await?.status(),
        429
    );
    Ok(())
}

backend_test!(cross_site_browser_requests_are_refused_scripts_are_not);
async fn cross_site_browser_requests_are_refused_scripts_are_not(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (client, _) = app.member("Ada", "ada@example.com").await?;
    let change =
        json!({"current_password": DEFAULT_PASSWORD, "new_password": "a brand new secret"});

    let forged = client
        .put(app.url("/api/v1/me/password"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .json(&change)
        .send()
        .await?;
    assert_eq!(forged.status(), 403);
    let body: Value = forged.json().await?;
    assert_eq!(error_code(&body), "cross_origin_request");
    let old_browser = client
        .delete(app.url("/api/v1/sessions/current"))
        .header("origin", "https://evil.example")
        .send()
        .await?;
    assert_eq!(old_browser.status(), 403);
    let form = client
        .post(app.url("/logout"))
        .header("sec-fetch-site", "same-site")
        .send()
        .await?;
    assert_eq!(
        form.status(),
        403,
        "a sibling subdomain is not the same origin"
    );
    assert_eq!(
        client.get(app.url("/api/v1/me")).send().await?.status(),
        200,
        "nothing changed"
    );

    let same_origin = client
        .put(app.url("/api/v1/me/password"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.base.clone())
        .json(&change)
        .send()
        .await?;
    assert_eq!(same_origin.status(), 200);
    // A script sends neither header and still works.
    let script = client
        .delete(app.url("/api/v1/sessions/current"))
        .send()
        .await?;
    assert_eq!(script.status(), 204);
    Ok(())
}
