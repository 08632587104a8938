//! The request path's writes (request log, session last-seen, API-key last-used) are queued
//! and written in batches by one task: requests never write them themselves, a full queue
//! drops and counts instead of blocking, shutdown drains the queue, an export sees the
//! queued rows of its subject, and a row queued for a person being erased never lands.

mod privacy_support;

use std::time::Duration;

use anyhow::{Context, Result};
use heepr_core::platform::deferred_writes::Deferred;
use heepr_core::platform::request_log::RequestLogEntry;
use heepr_core::runtime::deferred_writer::Writer;
use heepr_tests::{Backend, TestApp, backend_test};
use privacy_support::{gnu_tar_extract, latest_request, wait_status};
use serde_json::Value;

/// Long enough that no timed batch is written while a test runs: only a full batch, a
/// flush or the shutdown writes.
const NEVER: Duration = Duration::from_secs(24 * 3600);

async fn log_rows(app: &TestApp) -> Result<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM request_log")
            .fetch_one(app.pool())
            .await?,
    )
}

async fn health(app: &TestApp, client: &reqwest::Client) -> Result<Value> {
    let response = client.get(app.url("/healthz")).send().await?;
    anyhow::ensure!(response.status() == 200, "healthz {}", response.status());
    Ok(response.json().await?)
}

backend_test!(requests_queue_their_writes_and_batches_land);
async fn requests_queue_their_writes_and_batches_land(backend: Backend) -> Result<()> {
    let (app, drainer) = TestApp::spawn_holding_writes(&backend, |_| {}).await?;
    let (ada, account) = app.member("Ada", "ada@example.com").await?;
    let ada_id = account["id"].as_str().context("id")?.to_string();
    let seen_before: i64 =
        sqlx::query_scalar("SELECT MAX(last_seen_at) FROM sessions WHERE account_id = $1")
            .bind(&ada_id)
            .fetch_one(app.pool())
            .await?;
    app.clock.advance_ms(5 * 60_000);
    let client = app.client()?;
    // More rows than one multi-row statement binds, so the batch spans several.
    for _ in 0..150 {
        health(&app, &client).await?;
    }
    assert_eq!(ada.get(app.url("/api/v1/me")).send().await?.status(), 200);

    // Nothing was written on the requests' path.
    assert_eq!(log_rows(&app).await?, 0);
    let seen: i64 =
        sqlx::query_scalar("SELECT MAX(last_seen_at) FROM sessions WHERE account_id = $1")
            .bind(&ada_id)
            .fetch_one(app.pool())
            .await?;
    assert_eq!(seen, seen_before, "last-seen is not written by the request");

    let _writer = Writer::spawn(app.state.db.clone(), drainer);
    app.flush().await;
    // Sign-up, its verification link, login, 150 health checks, one /me.
    assert_eq!(log_rows(&app).await?, 154);
    let mine: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM request_log WHERE account_id = $1 AND route = '/api/v1/me'",
    )
    .bind(&ada_id)
    .fetch_one(app.pool())
    .await?;
    assert_eq!(mine, 1);
    let seen: i64 =
        sqlx::query_scalar("SELECT MAX(last_seen_at) FROM sessions WHERE account_id = $1")
            .bind(&ada_id)
            .fetch_one(app.pool())
            .await?;
    assert_eq!(seen, app.clock_now(), "the batch wrote the last-seen time");
    let stats = &health(&app, &client).await?["deferred_writes"];
    // 154 rows and one last-seen time.
    assert_eq!(stats["written"], 155, "{stats}");
    assert_eq!(stats["dropped"], 0, "{stats}");
    Ok(())
}

backend_test!(a_full_queue_drops_and_counts_without_blocking);
async fn a_full_queue_drops_and_counts_without_blocking(backend: Backend) -> Result<()> {
    let (app, drainer) = TestApp::spawn_holding_writes(&backend, |s| {
        s.deferred_writes.capacity = 5;
    })
    .await?;
    let client = app.client()?;
    // Nobody drains: the first 5 rows fill the queue, every later one is dropped, and
    // each request is still answered.
    for _ in 0..12 {
        health(&app, &client).await?;
    }
    let stats = &health(&app, &client).await?["deferred_writes"];
    assert_eq!(stats["queued"], 5, "{stats}");
    assert_eq!(stats["dropped"], 7, "{stats}");

    let _writer = Writer::spawn(app.state.db.clone(), drainer);
    app.flush().await;
    assert_eq!(log_rows(&app).await?, 5, "the queued rows land");
    let stats = app.state.deferred.stats();
    assert_eq!((stats.dropped, stats.written), (8, 5));
    Ok(())
}

backend_test!(shutdown_drains_the_queue);
async fn shutdown_drains_the_queue(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn_with(&backend, |s| {
        s.deferred_writes.flush_every = NEVER;
    })
    .await?;
    {
        let client = app.client()?;
        for _ in 0..25 {
            health(&app, &client).await?;
        }
    }
    assert_eq!(log_rows(&app).await?, 0, "still queued");
    app.stop().await?;
    assert_eq!(log_rows(&app).await?, 25, "written before serve returned");
    Ok(())
}

backend_test!(rows_queued_before_the_writer_starts_wait_for_the_first_period);
/// Regression: the timer's first tick came at once, so a row queued before the writer's
/// first poll was written alone instead of waiting for its batch (about one start in two).
async fn rows_queued_before_the_writer_starts_wait_for_the_first_period(
    backend: Backend,
) -> Result<()> {
    use heepr_core::platform::deferred_writes::{DeferredWrites, QueueConfig};
    let app = TestApp::spawn(&backend).await?;
    for attempt in 0..16 {
        let queue = DeferredWrites::new(QueueConfig {
            flush_every: NEVER,
            ..QueueConfig::default()
        });
        queue.push(Deferred::RequestLog(RequestLogEntry {
            id: heepr_core::platform::tokens::new_id(),
            occurred_at_ms: app.clock_now(),
            method: "GET".into(),
            route: "/healthz".into(),
            status: 200,
            latency_ms: 1,
            client_ip: "198.51.100.7".into(),
            user_agent: None,
            account_id: None,
        }));
        let drainer = queue.take_drainer().context("drainer")?;
        let writer = Writer::spawn(app.state.db.clone(), drainer);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(queue.stats().written, 0, "attempt {attempt}: written early");
        writer.stop().await;
        assert_eq!(
            queue.stats().written,
            1,
            "attempt {attempt}: shutdown writes it"
        );
    }
    Ok(())
}

backend_test!(an_export_includes_the_subjects_queued_requests);
async fn an_export_includes_the_subjects_queued_requests(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(&backend, |s| {
        s.deferred_writes.flush_every = NEVER;
    })
    .await?;
    let (alice, account) = app.member("Alice", "alice@example.com").await?;
    let alice_id = account["id"].as_str().context("id")?.to_string();
    let r = alice
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let id = latest_request(&app, &alice_id, "access").await?;
    wait_status(&app, &id, "completed").await?;

    let work = tempfile::tempdir()?;
    let archive = app
        .test_db
        .data_dir
        .path()
        .join(format!("exports/{id}.tar.gz"));
    gnu_tar_extract(&archive, work.path())?;
    let technical: Value =
        serde_json::from_slice(&std::fs::read(work.path().join("technical.json"))?)?;
    let rows = technical["tables"]["request_log"]["rows"]
        .as_array()
        .context("request_log rows")?;
    let routes: Vec<&str> = rows.iter().filter_map(|r| r["route"].as_str()).collect();
    assert!(
        routes.contains(&"/api/v1/sessions") && routes.contains(&"/account/privacy/export"),
        "her latest requests are in her export: {routes:?}"
    );
    Ok(())
}

backend_test!(a_row_queued_for_an_erased_person_never_lands);
async fn a_row_queued_for_an_erased_person_never_lands(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (zelda, account) = app.member("Zelda", "zelda@example.com").await?;
    let zelda_id = account["id"].as_str().context("id")?.to_string();
    let (_bob, account) = app.member("Bob", "bob@example.com").await?;
    let bob_id = account["id"].as_str().context("id")?.to_string();
    let id = privacy_support::ask_erasure(&app, &zelda, &zelda_id).await?;
    wait_status(&app, &id, "completed").await?;

    // A request of hers that authenticated before the erasure and finishes only now queues
    // its row (as does one of Bob's, and a visitor's).
    let row = |account_id: Option<&str>| {
        Deferred::RequestLog(RequestLogEntry {
            id: heepr_core::platform::tokens::new_id(),
            occurred_at_ms: app.clock_now(),
            method: "GET".into(),
            route: "/api/v1/me".into(),
            status: 200,
            latency_ms: 1,
            client_ip: "198.51.100.9".into(),
            user_agent: Some("late/1.0".into()),
            account_id: account_id.map(str::to_owned),
        })
    };
    app.state.deferred.push(row(Some(&zelda_id)));
    app.state.deferred.push(row(Some(&bob_id)));
    app.state.deferred.push(row(None));
    app.flush().await;

    let of = "SELECT COUNT(*) FROM request_log WHERE account_id = $1";
    assert_eq!(
        app.count(of, &zelda_id).await?,
        0,
        "the erased person stays erased"
    );
    assert_eq!(
        app.count(of, &bob_id).await?,
        3,
        "sign-up, login and the late row"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM request_log WHERE user_agent = $1 AND account_id IS NULL",
            "late/1.0"
        )
        .await?,
        1
    );
    Ok(())
}
