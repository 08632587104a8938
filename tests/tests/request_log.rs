//! The request log: one row per request with the route template, status, latency, client IP,
//! user agent and account; never a query string, token or password.

use anyhow::{Context, Result};
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test};
use serde_json::json;
use sqlx::Row;

backend_test!(request_log_records_requests_without_secrets);
async fn request_log_records_requests_without_secrets(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    let account = app
        .sign_up(&client, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let id = account["id"].as_str().context("id")?.to_string();
    let login = client
        .post(app.url("/api/v1/sessions?password=leaky&token=abc123"))
        .header("user-agent", "heepr-test/1.0")
        .json(&json!({"email": "ada@example.com", "password": DEFAULT_PASSWORD}))
        .send()
        .await?;
    let token = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_string())
        .context("cookie")?;
    let session: String = sqlx::query_scalar("SELECT id FROM sessions WHERE account_id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await?;
    client.get(app.url("/api/v1/me?secret=shh")).send().await?;
    client
        .delete(app.url(&format!("/api/v1/me/sessions/{session}")))
        .send()
        .await?;
    client.get(app.url("/nowhere?x=1")).send().await?;
    app.flush().await;

    let rows = sqlx::query(
        "SELECT method, route, status, latency_ms, client_ip, user_agent, account_id FROM request_log ORDER BY occurred_at, id",
    )
    .fetch_all(app.pool())
    .await?;
    let routes: Vec<(String, String, i64, Option<String>)> = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("method")?,
                r.try_get("route")?,
                r.try_get("status")?,
                r.try_get("account_id")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    assert_eq!(
        routes,
        vec![
            (
                "POST".into(),
                "/api/v1/accounts".into(),
                202,
                Some(id.clone())
            ),
            // The harness following the verification link, signed out.
            ("POST".into(), "/account/verify/{token}".into(), 303, None),
            (
                "POST".into(),
                "/api/v1/sessions".into(),
                200,
                Some(id.clone())
            ),
            ("GET".into(), "/api/v1/me".into(), 200, Some(id.clone())),
            (
                "DELETE".into(),
                "/api/v1/me/sessions/{id}".into(),
                204,
                Some(id.clone())
            ),
            ("GET".into(), "(unmatched)".into(), 404, None),
        ]
    );
    let login = &rows[2];
    assert_eq!(login.try_get::<String, _>("client_ip")?, "127.0.0.1");
    assert_eq!(login.try_get::<String, _>("user_agent")?, "heepr-test/1.0");
    assert!(login.try_get::<i64, _>("latency_ms")? >= 0);

    // No secret reaches any column of the log.
    for needle in [
        DEFAULT_PASSWORD,
        "leaky",
        "abc123",
        "shh",
        token.as_str(),
        session.as_str(),
        "ada@example.com",
    ] {
        let pattern = format!("%{needle}%");
        let hits: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM request_log WHERE route LIKE $1 OR method LIKE $1 OR COALESCE(user_agent, '') LIKE $1 OR COALESCE(client_ip, '') LIKE $1",
        )
        .bind(&pattern)
        .fetch_one(app.pool())
        .await?;
        assert_eq!(hits, 0, "{needle} leaked into the request log");
    }
    Ok(())
}

backend_test!(trusted_proxy_forwarded_for_is_honoured_only_from_the_proxy);
async fn trusted_proxy_forwarded_for_is_honoured_only_from_the_proxy(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn_with(&backend, |s| {
        s.trusted_proxies = vec![
            "127.0.0.1"
                .parse()
                .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1])),
        ]
    })
    .await?;
    app.client()?
        .get(app.url("/healthz"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await?;
    app.flush().await;
    let ip: String = sqlx::query_scalar("SELECT client_ip FROM request_log WHERE route = $1")
        .bind("/healthz")
        .fetch_one(app.pool())
        .await?;
    assert_eq!(ip, "203.0.113.7");

    let direct = TestApp::spawn(&backend).await?;
    direct
        .client()?
        .get(direct.url("/healthz"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await?;
    direct.flush().await;
    let ip: String = sqlx::query_scalar("SELECT client_ip FROM request_log WHERE route = $1")
        .bind("/healthz")
        .fetch_one(direct.pool())
        .await?;
    assert_eq!(
        ip, "127.0.0.1",
        "without a trusted proxy the header is ignored"
    );
    Ok(())
}
