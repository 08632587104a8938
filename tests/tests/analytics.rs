//! The product-improvement analytics run only over consenting members and never describe
//! fewer than k people: an order counts only when its customer and owner both consent (to
//! the current wording), are not restricted and do not object; a figure behind fewer than k
//! customers or owners is never stored; a withdrawal leaves the person out of every day
//! computed afterwards. An objection recorded by the desk acts the same way, completes its
//! request, is audited and shown to the person, and can end.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

mod privacy_support;

use anyhow::{Context, Result};
use heepr_core::identity::staff::StaffRole;
use heepr_core::privacy::analytics::{DAY_MS, catch_up, day_start};
use heepr_tests::market::{get, place_order, post, publish_agent, send};
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use privacy_support::*;
use reqwest::{Client, Method};
use serde_json::json;

async fn consent(app: &TestApp, who: &Client, action: &str) -> Result<()> {
    let (s, body) = post(
        app,
        who,
        "/api/v1/me/consents",
        json!({"purpose": "product_analytics", "action": action}),
    )
    .await?;
    anyhow::ensure!(s == 200, "consent {action}: {s} {body}");
    Ok(())
}

/// Five owners with a writing agent each (owner 0 also has a research agent) and six
/// customers; everyone consents but customer 5.
struct Crowd {
    owners: Vec<Client>,
    customers: Vec<Client>,
    writing: Vec<String>,
    research: String,
}

async fn crowd(app: &TestApp) -> Result<Crowd> {
    let mut owners = Vec::new();
    let mut writing = Vec::new();
    for i in 0..5 {
        let (owner, _) = app
            .member(&format!("Owner {i}"), &format!("owner{i}@example.com"))
            .await?;
        writing.push(publish_agent(app, &owner, &format!("Writer {i}"), 50, "writing").await?);
        consent(app, &owner, "given").await?;
        owners.push(owner);
    }
    let research = publish_agent(app, &owners[0], "Researcher", 50, "research").await?;
    let mut customers = Vec::new();
    for i in 0..6 {
        let (customer, _) = app
            .member(
                &format!("Customer {i}"),
                &format!("customer{i}@example.com"),
            )
            .await?;
        if i < 5 {
            consent(app, &customer, "given").await?;
        }
        customers.push(customer);
    }
    Ok(Crowd {
        owners,
        customers,
        writing,
        research,
    })
}

/// The stored figures of the day starting at `day` as (category, metric, value, customers).
async fn figures(app: &TestApp, day: i64) -> Result<Vec<(String, String, i64, i64)>> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT category, metric, value, customers FROM analytics_figures WHERE day_start = $1 \
         ORDER BY category, metric",
    )
    .bind(day)
    .fetch_all(app.pool())
    .await?;
    Ok(rows)
}

async fn suppressed(app: &TestApp, day: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT figures_suppressed FROM analytics_days WHERE day_start = $1")
            .bind(day)
            .fetch_one(app.pool())
            .await?,
    )
}

async fn only_consenting_members_in_groups_of_k(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let c = crowd(&app).await?;
    let day1 = day_start(app.clock_now());
    // Day 1: each consenting customer orders from a different writer and from the one
    // researcher; customer 5 (no consent) orders too.
    for i in 0..5 {
        place_order(&app, &c.customers[i], &c.writing[i]).await?;
        place_order(&app, &c.customers[i], &c.research).await?;
    }
    place_order(&app, &c.customers[5], &c.writing[0]).await?;
    // Nothing is computed for a day that has not ended.
    let early = catch_up::run(&app.state, app.clock_now()).await?;
    assert!(early.enabled && !early.days.contains(&day1), "{early:?}");

    app.clock.advance_ms(DAY_MS);
    let run = catch_up::run(&app.state, app.clock_now()).await?;
    assert!(run.days.contains(&day1), "{run:?}");
    // Writing: 5 consenting customers and 5 owners, customer 5 left out. Research: one owner
    // only, so its figure is never stored.
    assert_eq!(
        figures(&app, day1).await?,
        [("writing".into(), "orders_placed".into(), 5, 5)]
    );
    assert_eq!(suppressed(&app, day1).await?, 1);
    // A second run computes nothing again.
    let again = catch_up::run(&app.state, app.clock_now()).await?;
    assert!(again.days.is_empty(), "{again:?}");

    // Customer 0 withdraws: from now on they are in no figure, so writing falls below k.
    consent(&app, &c.customers[0], "withdrawn").await?;
    let day2 = day_start(app.clock_now());
    for i in 0..5 {
        place_order(&app, &c.customers[i], &c.writing[i]).await?;
    }
    app.clock.advance_ms(DAY_MS);
    catch_up::run(&app.state, app.clock_now()).await?;
    assert_eq!(figures(&app, day2).await?, []);
    assert_eq!(suppressed(&app, day2).await?, 1);

    // Staff read the figures; the support role may too.
    let support = staff_token(&app, "support@heepr.example", StaffRole::Support).await?;
    let (s, report) = admin(&app, Method::GET, "/analytics?days=7", &support, None).await?;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["min_group_size"], 5);
    let days = report["days"].as_array().context("days")?;
    let first = days
        .iter()
        .find(|d| d["figures"].as_array().is_some_and(|f| !f.is_empty()))
        .context("a day with figures")?;
    assert_eq!(
        first["figures"][0],
        json!({"category": "writing", "metric": "orders_placed", "value": 5,
               "customers": 5, "owners": 5})
    );
    let (s, body) = admin(&app, Method::GET, "/analytics?days=0", &support, None).await?;
    assert_eq!((s, error_code(&body)), (422, "invalid_field"), "{body}");
    drop(c.owners);
    Ok(())
}
backend_test!(only_consenting_members_in_groups_of_k);

async fn an_objection_takes_the_person_out(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let c = crowd(&app).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let carol = account_id(&app, "customer1@example.com").await?;

    // The objection arrives as a request; it can be answered once it is in progress.
    let (s, created) = admin(
        &app,
        Method::POST,
        "/requests",
        &officer,
        Some(
            json!({"email": "customer1@example.com", "kind": "objection",
                    "details": "Please leave my orders out of your statistics"}),
        ),
    )
    .await?;
    assert_eq!(s, 201, "{created}");
    let rid = created["id"].as_str().context("request id")?.to_owned();
    let object = json!({"processing": "product_analytics",
                        "reason": "Asked by email to be left out of statistics",
                        "request_id": rid});
    let path = format!("/accounts/{carol}/objection");
    let (s, body) = admin(&app, Method::POST, &path, &officer, Some(object.clone())).await?;
    assert_eq!(
        (s, error_code(&body)),
        (409, "transition_not_allowed"),
        "{body}"
    );
    let start = json!({"to": "in_progress", "reason": "sent from the account's address"});
    let (s, body) = admin(
        &app,
        Method::POST,
        &format!("/requests/{rid}/transition"),
        &officer,
        Some(start),
    )
    .await?;
    assert_eq!(s, 200, "{body}");
    let bad = json!({"processing": "marketing", "reason": "x"});
    let (s, body) = admin(&app, Method::POST, &path, &officer, Some(bad)).await?;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (422, Some("processing")),
        "{body}"
    );
    let (s, placed) = admin(&app, Method::POST, &path, &officer, Some(object)).await?;
    assert_eq!(s, 201, "{placed}");
    assert_eq!(status_of(&app, &rid).await?, "completed");
    let again = json!({"processing": "product_analytics", "reason": "twice"});
    let (s, body) = admin(&app, Method::POST, &path, &officer, Some(again)).await?;
    assert_eq!((s, error_code(&body)), (409, "already_objecting"), "{body}");

    // Everyone consents, but the objecting customer's orders are not counted: writing has
    // four customers behind it, below k.
    let day = day_start(app.clock_now());
    for i in 0..5 {
        place_order(&app, &c.customers[i], &c.writing[i]).await?;
    }
    app.clock.advance_ms(DAY_MS);
    catch_up::run(&app.state, app.clock_now()).await?;
    assert_eq!(figures(&app, day).await?, []);

    // The person sees it on their privacy page; staff see it on the subject.
    let (_, page) = send(c.customers[1].get(app.url("/account/privacy"))).await?;
    let page = page.as_str().unwrap_or_default().to_owned();
    assert!(
        page.contains("Objections to processing")
            && page.contains("product-improvement analytics")
            && page.contains("Asked by email to be left out of statistics")
            && page.contains("in force"),
        "{page}"
    );
    let (s, account) = admin(
        &app,
        Method::GET,
        &format!("/accounts/{carol}"),
        &officer,
        None,
    )
    .await?;
    assert_eq!(s, 200, "{account}");
    assert_eq!(account["objections"][0]["processing"], "product_analytics");

    // Ended: the person counts again from the next computed day.
    let oid = placed["id"].as_str().context("objection id")?;
    let end = json!({"reason": "Withdrawn by the subject by email"});
    let withdraw = format!("/objections/{oid}/withdraw");
    let (s, ended) = admin(&app, Method::POST, &withdraw, &officer, Some(end.clone())).await?;
    assert_eq!(s, 200, "{ended}");
    assert!(ended["withdrawn_at"].is_i64(), "{ended}");
    let (s, body) = admin(&app, Method::POST, &withdraw, &officer, Some(end)).await?;
    assert_eq!((s, error_code(&body)), (409, "already_withdrawn"), "{body}");
    let day = day_start(app.clock_now());
    for i in 0..5 {
        place_order(&app, &c.customers[i], &c.writing[i]).await?;
    }
    app.clock.advance_ms(DAY_MS);
    catch_up::run(&app.state, app.clock_now()).await?;
    assert_eq!(
        figures(&app, day).await?,
        [("writing".into(), "orders_placed".into(), 5, 5)]
    );

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE subject_account_id = $1 AND action LIKE 'objection.%' ORDER BY seq",
    )
    .bind(&carol)
    .fetch_all(app.pool())
    .await?;
    assert_eq!(actions, ["objection.place", "objection.withdraw"]);
    let (s, _) = get(&app, &c.owners[0], "/api/v1/me").await?;
    assert_eq!(s, 200);
    Ok(())
}
backend_test!(an_objection_takes_the_person_out);

async fn restricted_members_are_not_counted(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let c = crowd(&app).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let day = day_start(app.clock_now());
    for i in 0..5 {
        place_order(&app, &c.customers[i], &c.writing[i]).await?;
    }
    // Owner 3 is restricted after the orders: their orders are no longer processed, so the
    // day's writing figure has four owners behind it.
    let owner3 = account_id(&app, "owner3@example.com").await?;
    let (s, body) = admin(
        &app,
        Method::POST,
        &format!("/accounts/{owner3}/restriction"),
        &officer,
        Some(json!({"reason": "Accuracy contested"})),
    )
    .await?;
    assert_eq!(s, 201, "{body}");
    app.clock.advance_ms(DAY_MS);
    catch_up::run(&app.state, app.clock_now()).await?;
    assert_eq!(figures(&app, day).await?, []);
    assert_eq!(suppressed(&app, day).await?, 1);
    Ok(())
}
backend_test!(restricted_members_are_not_counted);
