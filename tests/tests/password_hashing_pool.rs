//! Argon2 cannot starve the site: hashes run on a bounded pool with a bounded queue, a login
//! beyond the queue is refused at once with 429 and `Retry-After` (known and unknown emails
//! alike), and pages keep being served meanwhile.

use anyhow::Result;
use heepr_core::platform::passwords::PasswordPool;
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test, error_code};
use serde_json::{Value, json};

async fn log_in(app: &TestApp, email: &str) -> Result<(u16, Option<String>, Value)> {
    let response = app
        .client()?
        .post(app.url("/api/v1/sessions"))
        .json(&json!({"email": email, "password": DEFAULT_PASSWORD}))
        .send()
        .await?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((status, retry_after, response.json().await?))
}

backend_test!(a_login_flood_is_refused_while_pages_flow);
async fn a_login_flood_is_refused_while_pages_flow(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(&backend, |s| {
        s.password_pool = PasswordPool {
            workers: 1,
            waiting: 1,
        };
    })
    .await?;
    let (visitor, _) = app.member("Ada", "ada@example.com").await?;

    // A flood in progress: the worker and the one waiting place are taken.
    let running = app.state.passwords.admit()?;
    let waiting = app.state.passwords.admit()?;
    for email in ["ada@example.com", "nobody@example.com"] {
        let (status, retry_after, body) = log_in(&app, email).await?;
        assert_eq!(status, 429, "{email}: {body}");
        assert_eq!(retry_after.as_deref(), Some("1"), "{email}");
        assert_eq!(error_code(&body), "too_many_requests");
    }
    // Pages and the API's reads are served meanwhile.
    for path in ["/agents", "/api/v1/agents?page=1", "/api/v1/me", "/healthz"] {
        let status = visitor.get(app.url(path)).send().await?.status();
        assert_eq!(status, 200, "{path}");
    }

    // Once the flood has passed, logins work again (an unknown email still hashes, and is
    // told apart from a wrong password by nothing but the answer).
    drop((running, waiting));
    let (status, _, body) = log_in(&app, "ada@example.com").await?;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = log_in(&app, "nobody@example.com").await?;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "bad_credentials");
    Ok(())
}
