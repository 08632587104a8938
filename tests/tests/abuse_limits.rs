//! Limits an abuser cannot turn against the owner (issue 14 §3) and sign-up limits (§1):
//! password checks throttled per (account, client), slowed per account, the same throttle
//! on account deletion; sign-ups limited per address and overall. Clients are told apart by
//! `X-Forwarded-For` from a trusted proxy, as behind a real reverse proxy.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::Result;
use heepr_core::platform::settings::Settings;
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test, error_code};
use serde_json::{Value, json};

/// Settings behind a reverse proxy on 127.0.0.1, adjusted by `more`.
fn behind_proxy(more: impl FnOnce(&mut Settings)) -> impl FnOnce(&mut Settings) {
    move |s| {
        s.trusted_proxies = vec![IpAddr::from([127, 0, 0, 1])];
        more(s);
    }
}

/// `POST /api/v1/sessions` from the client at `ip`.
async fn log_in_from(
    app: &TestApp,
    ip: &str,
    email: &str,
    password: &str,
) -> Result<reqwest::Response> {
    Ok(app
        .client()?
        .post(app.url("/api/v1/sessions"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?)
}

/// `POST /api/v1/accounts` from the client at `ip`.
async fn sign_up_from(app: &TestApp, ip: &str, email: &str) -> Result<reqwest::Response> {
    Ok(app
        .client()?
        .post(app.url("/api/v1/accounts"))
        .header("x-forwarded-for", ip)
        .json(&json!({"display_name": "Farmer", "email": email, "password": DEFAULT_PASSWORD, "age_16_or_over": true, "accept_terms": true}))
        .send()
        .await?)
}

backend_test!(ten_failures_from_one_client_do_not_stop_the_owner_on_another);
async fn ten_failures_from_one_client_do_not_stop_the_owner_on_another(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn_with(&backend, behind_proxy(|_| {})).await?;
    app.sign_up(&app.client()?, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    for _ in 0..10 {
        let r = log_in_from(&app, "203.0.113.66", "ada@example.com", "guess guess").await?;
        assert_eq!(r.status(), 401);
    }
    let attacker = log_in_from(&app, "203.0.113.66", "ada@example.com", DEFAULT_PASSWORD).await?;
    assert_eq!(attacker.status(), 429, "the guessing client is stopped");
    assert!(attacker.headers().get("retry-after").is_some());
    let body: Value = attacker.json().await?;
    assert_eq!(error_code(&body), "too_many_requests");

    let owner = log_in_from(&app, "198.51.100.10", "ada@example.com", DEFAULT_PASSWORD).await?;
    assert_eq!(
        owner.status(),
        200,
        "another client's failures never refuse the owner"
    );
    Ok(())
}

backend_test!(distributed_guessing_is_slowed_not_refused);
async fn distributed_guessing_is_slowed_not_refused(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(
        &backend,
        behind_proxy(|s| {
            s.login_limits.account_ceiling_burst = 5;
            s.login_limits.account_ceiling_period = Duration::from_secs(3600);
            s.login_limits.slowdown_step = Duration::from_millis(1);
            s.login_limits.max_slowdown = Duration::from_millis(5);
        }),
    )
    .await?;
    app.sign_up(&app.client()?, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    for i in 1..=12 {
        let ip = format!("203.0.113.{i}");
        let r = log_in_from(&app, &ip, "ada@example.com", "guess guess").await?;
        assert_eq!(r.status(), 401, "attempt {i} is answered, not refused");
    }
    assert_eq!(
        app.state.throttle.slowed_attempts(),
        7,
        "every attempt over the ceiling of 5 was slowed"
    );
    let owner = log_in_from(&app, "198.51.100.10", "ada@example.com", DEFAULT_PASSWORD).await?;
    assert_eq!(owner.status(), 200, "slowed, the owner still gets in");
    assert_eq!(app.state.throttle.slowed_attempts(), 8);
    Ok(())
}

backend_test!(account_deletion_checks_the_password_under_the_login_throttle);
async fn account_deletion_checks_the_password_under_the_login_throttle(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn_with(
        &backend,
        behind_proxy(|s| s.login_limits.per_account_client_burst = 3),
    )
    .await?;
    let (zelda, account) = app.member("Zelda", "zelda@example.com").await?;
    let zelda_id = account["id"].as_str().unwrap_or_default().to_owned();
    let delete_from = |ip: &'static str, password: &'static str| {
        zelda
            .post(app.url("/account/delete"))
            .header("x-forwarded-for", ip)
            .form(&[("password", password)])
            .send()
    };
    // One failed login and two failed deletions from the same client share one allowance.
    let r = log_in_from(&app, "203.0.113.9", "zelda@example.com", "guess guess").await?;
    assert_eq!(r.status(), 401);
    for _ in 0..2 {
        // A wrong password is a refused field of the deletion form (422), the page shown again.
        assert_eq!(
            delete_from("203.0.113.9", "guess guess").await?.status(),
            422
        );
    }
    let refused = delete_from("203.0.113.9", DEFAULT_PASSWORD).await?;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    let page = refused.text().await?;
    assert!(page.contains("not deleted"), "the page says so: {page}");
    let erasures = "SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1 AND kind = 'erasure'";
    assert_eq!(app.count(erasures, &zelda_id).await?, 0);

    let owner = delete_from("198.51.100.10", DEFAULT_PASSWORD).await?;
    assert_eq!(
        owner.status(),
        303,
        "from her own client the deletion goes ahead"
    );
    assert_eq!(app.count(erasures, &zelda_id).await?, 1);
    Ok(())
}

backend_test!(sign_ups_are_limited_per_address_and_overall);
async fn sign_ups_are_limited_per_address_and_overall(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(
        &backend,
        behind_proxy(|s| {
            s.signup_limits.per_ip_burst = 4;
            s.signup_limits.per_ip_period = Duration::from_secs(3600);
            s.signup_limits.global_burst = 6;
            s.signup_limits.global_period = Duration::from_secs(3600);
        }),
    )
    .await?;
    for i in 0..4 {
        let r = sign_up_from(&app, "203.0.113.5", &format!("farm{i}@example.com")).await?;
        assert_eq!(r.status(), 202);
    }
    let refused = sign_up_from(&app, "203.0.113.5", "farm4@example.com").await?;
    assert_eq!(
        refused.status(),
        429,
        "one more than the limit from one address"
    );
    assert!(refused.headers().get("retry-after").is_some());
    let body: Value = refused.json().await?;
    assert_eq!(error_code(&body), "too_many_requests");

    // The page form is shown again with what was typed and the reason.
    let page = app
        .client()?
        .post(app.url("/signup"))
        .header("x-forwarded-for", "203.0.113.5")
        .form(&[
            ("display_name", "Farmer Page"),
            ("email", "farm-page@example.com"),
            ("password", DEFAULT_PASSWORD),
            ("age_16_or_over", "yes"),
            ("accept_terms", "yes"),
        ])
        .send()
        .await?;
    assert_eq!(page.status(), 429);
    assert!(page.headers().get("retry-after").is_some());
    let html = page.text().await?;
    assert!(html.contains("farm-page@example.com") && html.contains("Farmer Page"));
    assert!(
        html.contains("too many attempts"),
        "the reason is shown: {html}"
    );

    // Other addresses still sign up, until the service-wide limit.
    for (i, ip) in ["198.51.100.1", "198.51.100.2"].iter().enumerate() {
        assert_eq!(
            sign_up_from(&app, ip, &format!("other{i}@example.com"))
                .await?
                .status(),
            202
        );
    }
    let global = sign_up_from(&app, "198.51.100.3", "other3@example.com").await?;
    assert_eq!(
        global.status(),
        429,
        "the global limit holds for new addresses"
    );
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(app.pool())
        .await?;
    assert_eq!(accounts, 6);
    Ok(())
}
