//! The account pages in a browser's shoes: forms, redirects, messages, the dashboard.

use anyhow::Result;
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test};

backend_test!(sign_up_log_in_dashboard_and_log_out_with_forms);
async fn sign_up_log_in_dashboard_and_log_out_with_forms(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let browser = app.client()?;
    let page = browser.get(app.url("/signup")).send().await?;
    assert_eq!(page.status(), 200);
    assert!(page.text().await?.contains("I am 16 or older"));

    // Without the 16+ box: refused on the page, entered values kept, nothing stored.
    let refused = browser
        .post(app.url("/signup"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("display_name", "Kid"),
            ("email", "kid@example.com"),
            ("password", DEFAULT_PASSWORD),
        ])
        .send()
        .await?;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await?;
    assert!(
        html.contains("under 16") && html.contains("value=\"kid@example.com\""),
        "{html}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM accounts WHERE email = $1",
            "kid@example.com"
        )
        .await?,
        0
    );

    let created = browser
        .post(app.url("/signup"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("display_name", "Ada <script>"),
            ("email", "ada@example.com"),
            ("password", DEFAULT_PASSWORD),
            ("age_16_or_over", "yes"),
            ("accept_terms", "yes"),
        ])
        .send()
        .await?;
    // "Check your email", the same page an address in use gets (no enumeration), and no
    // session: the person logs in.
    assert_eq!(created.status(), 200);
    let sent = created.text().await?;
    assert!(
        sent.contains("Check your email") && sent.contains("ada@example.com"),
        "{sent}"
    );
    let taken = browser
        .post(app.url("/signup"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("display_name", "Someone else"),
            ("email", "ADA@example.com"),
            ("password", DEFAULT_PASSWORD),
            ("age_16_or_over", "yes"),
            ("accept_terms", "yes"),
        ])
        .send()
        .await?;
    assert_eq!(taken.status(), 200);
    assert_eq!(
        taken.text().await?,
        sent,
        "an address in use gets the same page"
    );
    assert_eq!(
        browser.get(app.url("/dashboard")).send().await?.status(),
        303,
        "signing up opens no session"
    );
    let login = browser
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "ada@example.com"), ("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    assert_eq!(login.status(), 303);
    let unverified = browser
        .get(app.url("/dashboard"))
        .send()
        .await?
        .text()
        .await?;
    assert!(unverified.contains("0 points"), "{unverified}");
    assert!(unverified.contains("Verify your email address"));
    app.verify_email("ada@example.com").await?;
    let dashboard = browser
        .get(app.url("/dashboard"))
        .send()
        .await?
        .text()
        .await?;
    assert!(dashboard.contains("500 points"), "{dashboard}");
    assert!(!dashboard.contains("Verify your email address"));
    assert!(
        dashboard.contains("Ada &lt;script&gt;") || dashboard.contains("Ada &#60;script&#62;"),
        "names are escaped"
    );
    assert!(!dashboard.contains("<script>"));

    let out = browser
        .post(app.url("/logout"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await?;
    assert_eq!(out.status(), 303);
    let redirected = browser.get(app.url("/dashboard")).send().await?;
    assert_eq!(redirected.status(), 303);
    assert_eq!(
        redirected
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );

    let wrong = browser
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "ada@example.com"), ("password", "nope nope nope")])
        .send()
        .await?;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await?
            .contains("email or password is incorrect")
    );
    let ok = browser
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "ADA@example.com"), ("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    assert_eq!(ok.status(), 303);
    assert_eq!(
        browser.get(app.url("/dashboard")).send().await?.status(),
        200
    );
    Ok(())
}

backend_test!(password_page_changes_password_and_reports_errors);
async fn password_page_changes_password_and_reports_errors(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (browser, _) = app.member("Ada", "ada@example.com").await?;
    let other = app.client()?;
    app.log_in(&other, "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let wrong = browser
        .post(app.url("/account/password"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("current_password", "not the one"),
            ("new_password", "another long secret"),
        ])
        .send()
        .await?;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await?
            .contains("current password is not correct")
    );
    let garbage = browser
        .post(app.url("/account/password"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("new_password", "x")])
        .send()
        .await?;
    assert_eq!(garbage.status(), 400);
    assert!(garbage.text().await?.contains("could not be read"));
    let changed = browser
        .post(app.url("/account/password"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("current_password", DEFAULT_PASSWORD),
            ("new_password", "another long secret"),
        ])
        .send()
        .await?;
    assert_eq!(changed.status(), 303);
    let dashboard = browser
        .get(app.url("/dashboard?notice=password_changed"))
        .send()
        .await?
        .text()
        .await?;
    assert!(dashboard.contains("every other session was ended"));
    assert_eq!(other.get(app.url("/api/v1/me")).send().await?.status(), 401);
    Ok(())
}
