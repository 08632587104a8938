//! Asking twice is answered by the open request: a second export request on the dashboard
//! while one is open starts no second job and sends no second email; and a subject's
//! dashboard requests are limited per day (429 after the limit).

mod privacy_support;

use anyhow::{Context, Result};
use heepr_core::privacy::requests::intake::DASHBOARD_DAILY_LIMIT;
use heepr_tests::{Backend, TestApp, backend_test};
use privacy_support::wait_status;

async fn asking_twice_is_answered_by_the_open_request(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (alice, account) = app.member("Alice Twice", "alice.twice@example.com").await?;
    let alice_id = account["id"].as_str().context("id")?.to_string();
    // An objection stays open (in progress) until staff answer it.
    let r = alice
        .post(app.url("/account/privacy/requests"))
        .form(&[("kind", "objection"), ("details", "No profiling")])
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let r = alice
        .post(app.url("/account/privacy/requests"))
        .form(&[("kind", "objection"), ("details", "Again")])
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        location.ends_with("notice=request_already_open"),
        "{location}"
    );
    let count = |kind: &'static str| {
        let app = &app;
        let alice_id = alice_id.clone();
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1 AND kind = $2",
            )
            .bind(alice_id)
            .bind(kind)
            .fetch_one(app.pool())
            .await?;
            anyhow::Ok(n)
        }
    };
    assert_eq!(count("objection").await?, 1, "no second request");
    let page = alice.get(app.url(&location)).send().await?.text().await?;
    assert!(
        page.contains("already have an open request"),
        "the page says so"
    );

    // An export asked twice while it is being built: one request. The test holds the
    // subject's lock, so the worker cannot finish the first one meanwhile.
    let lock =
        heepr_compliance::subject::lock::take(&app.state.db, &alice_id, "test", app.clock_now())
            .await?
            .context("the subject's lock is free")?;
    let r = alice
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let r = alice
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        location.ends_with("notice=export_already_open"),
        "{location}"
    );
    assert_eq!(
        count("access").await?,
        1,
        "no second export while the first is open"
    );
    lock.release().await?;
    let first: String =
        sqlx::query_scalar("SELECT id FROM dsr_requests WHERE account_id = $1 AND kind = 'access'")
            .bind(&alice_id)
            .fetch_one(app.pool())
            .await?;
    app.state.privacy_wakeup.notify_one();
    wait_status(&app, &first, "completed").await?;
    // Once answered, asking again is a new request.
    let r = alice
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(location.ends_with("notice=export_requested"), "{location}");
    assert_eq!(count("access").await?, 2);
    Ok(())
}
backend_test!(asking_twice_is_answered_by_the_open_request);

async fn dashboard_requests_are_limited_per_day(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (bea, account) = app.member("Bea Limit", "bea.limit@example.com").await?;
    let bea_id = account["id"].as_str().context("id")?.to_string();
    for i in 0..DASHBOARD_DAILY_LIMIT {
        let r = bea
            .post(app.url("/account/privacy/requests"))
            .form(&[("kind", "restriction"), ("details", "please")])
            .send()
            .await?;
        assert_eq!(r.status(), 303, "request {i}");
        // Closed by staff before the next one, so each is new.
        sqlx::query(
            "UPDATE dsr_requests SET status = 'completed', completed_at = $2 WHERE account_id = $1",
        )
        .bind(&bea_id)
        .bind(app.clock_now())
        .execute(app.pool())
        .await?;
    }
    let r = bea
        .post(app.url("/account/privacy/requests"))
        .form(&[("kind", "restriction"), ("details", "again")])
        .send()
        .await?;
    assert_eq!(r.status(), 429, "past the daily limit");
    assert!(r.headers().get("retry-after").is_some());
    // A day later it works again.
    app.clock.advance_ms(24 * 3_600_000 + 1);
    let r = bea
        .post(app.url("/account/privacy/requests"))
        .form(&[("kind", "restriction"), ("details", "a day later")])
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    Ok(())
}
backend_test!(dashboard_requests_are_limited_per_day);

/// Eight clicks at the same moment (a double-submitting browser, two tabs, two servers):
/// one objection is recorded and the others are answered by it. The check and the insert
/// share one transaction holding the subject's row, so PostgreSQL's concurrent
/// transactions cannot each find nothing open.
async fn simultaneous_requests_record_one(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (cai, account) = app.member("Cai Clicks", "cai.clicks@example.com").await?;
    let cai_id = account["id"].as_str().context("id")?.to_string();
    let clicks = (0..8).map(|i| {
        let cai = cai.clone();
        let url = app.url("/account/privacy/requests");
        async move {
            let details = format!("click {i}");
            let r = cai
                .post(url)
                .form(&[("kind", "objection"), ("details", details.as_str())])
                .send()
                .await?;
            anyhow::Ok(r.status().as_u16())
        }
    });
    let statuses = futures_util::future::join_all(clicks).await;
    for s in statuses {
        assert_eq!(s?, 303);
    }
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1 AND kind = $2")
            .bind(&cai_id)
            .bind("objection")
            .fetch_one(app.pool())
            .await?;
    assert_eq!(n, 1, "one request for eight simultaneous clicks");
    Ok(())
}
backend_test!(simultaneous_requests_record_one);
