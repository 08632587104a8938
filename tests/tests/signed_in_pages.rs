//! Pages for signed-in people send visitors to the login page (the `SignedIn` extractor),
//! whatever the page and method, before any form is read; the JSON API answers 401 instead.
//! Signed in, the same pages answer, framed with the person's name (the shared `Chrome`).

use anyhow::{Context, Result, ensure};
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use serde_json::Value;

/// Pages that serve only signed-in people: `(method, path)`.
const SIGNED_IN_PAGES: &[(&str, &str)] = &[
    ("GET", "/dashboard"),
    ("GET", "/account/password"),
    ("GET", "/account/privacy"),
    ("POST", "/account/privacy/export"),
    ("GET", "/orders"),
    ("GET", "/orders/no-such-order"),
    ("POST", "/orders/no-such-order/cancel"),
    ("POST", "/orders/no-such-order/review"),
    ("GET", "/threads/no-such-thread"),
    ("POST", "/offers/no-such-offer/accept"),
    ("GET", "/owner/agents"),
];

async fn visitors_are_sent_to_log_in(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let visitor = app.client()?;
    for (method, path) in SIGNED_IN_PAGES {
        let request = match *method {
            "GET" => visitor.get(app.url(path)),
            _ => visitor
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("not=a&valid=form"),
        };
        let response = request.send().await?;
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        ensure!(
            response.status() == 303 && location.as_deref() == Some("/login"),
            "{method} {path}: {} to {location:?}, expected 303 to /login",
            response.status()
        );
    }

    let response = visitor.get(app.url("/api/v1/orders")).send().await?;
    ensure!(response.status() == 401, "API: {}", response.status());
    let body: Value = response.json().await?;
    ensure!(error_code(&body) == "unauthenticated", "API: {body}");

    let (member, _) = app.member("Dana Member", "dana@example.com").await?;
    for path in ["/dashboard", "/orders", "/owner/agents", "/account/privacy"] {
        let response = member.get(app.url(path)).send().await?;
        ensure!(response.status() == 200, "{path}: {}", response.status());
        let html = response.text().await?;
        let header = html.split("</header>").next().context("no page header")?;
        ensure!(
            header.contains("Dana Member") && header.contains("Log out"),
            "{path}: the header does not show the signed-in person"
        );
    }
    Ok(())
}

backend_test!(visitors_are_sent_to_log_in);
