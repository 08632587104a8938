//! Page forms never lose input: a refused form is answered with the same page again (422,
//! 409 for a conflict), what was typed kept in its fields (never a password), the reason
//! next to the field at fault or at the top of the form, and the signed-in person's
//! header. The plain error page (a missing order) keeps the header too; the JSON API's
//! refusals stay JSON. Every action answers 303 (post/redirect/get): reloading the page
//! that shows a new API key shows it gone and issues none.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

use anyhow::{Context, Result, ensure};
use heepr_tests::market::{self, deliver, market, post};
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use reqwest::multipart::Form;
use serde_json::json;

/// The page's header (what `base.html` puts before `</header>`).
fn header(html: &str) -> Result<&str> {
    html.split("</header>").next().context("no page header")
}

/// The header shows `name` signed in, not "Log in".
fn signed_in_as(html: &str, name: &str) -> Result<()> {
    let header = header(html)?;
    ensure!(
        header.contains(name) && header.contains("Log out") && !header.contains("Log in"),
        "the header does not show {name} signed in: {header}"
    );
    Ok(())
}

async fn submit(
    client: &reqwest::Client,
    url: String,
    form: &[(&str, &str)],
) -> Result<(u16, String)> {
    let r = client.post(url).form(form).send().await?;
    Ok((r.status().as_u16(), r.text().await?))
}

async fn order_form_keeps_the_answers(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let order_url = app.url(&format!("/agents/{}/order", m.agent_id));
    let form = Form::new()
        .text("topic", "")
        .text("words", "250")
        .text("tone", "casual");
    let r = m.customer.post(&order_url).multipart(form).send().await?;
    let status = r.status().as_u16();
    let html = r.text().await?;
    ensure!(status == 422, "missing topic: {status}");
    signed_in_as(&html, "Carl Customer")?;
    ensure!(html.contains(r#"value="250""#), "the word count is lost");
    ensure!(
        html.contains("<option selected>casual</option>"),
        "the tone is lost"
    );
    ensure!(
        html.contains("this field is required"),
        "no reason shown: {html}"
    );
    ensure!(
        !html.contains("That did not work"),
        "the error page replaced the form"
    );

    let form = Form::new().text("topic", "Cats & dogs").text("words", "50");
    let r = m.customer.post(&order_url).multipart(form).send().await?;
    ensure!(r.status() == 422, "too few words: {}", r.status());
    let html = r.text().await?;
    ensure!(
        html.contains(r#"value="Cats &#38; dogs""#) || html.contains(r#"value="Cats &amp; dogs""#),
        "the topic is lost"
    );
    ensure!(html.contains("must be between"), "no reason shown");
    let orders = app
        .count(
            "SELECT COUNT(*) FROM orders WHERE agent_id = $1",
            &m.agent_id,
        )
        .await?;
    ensure!(orders == 0, "a refused form placed {orders} order(s)");

    // The API's refusal is unchanged.
    let (s, body) = post(
        &app,
        &m.customer,
        "/api/v1/orders",
        json!({"agent_id": m.agent_id, "answers": {}}),
    )
    .await?;
    ensure!(
        s == 422 && error_code(&body) == "invalid_field" && body["error"]["field"] == "answers",
        "API: {s} {body}"
    );
    Ok(())
}

backend_test!(order_form_keeps_the_answers);

async fn revision_request_keeps_the_reason(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let order = market::place_order(&app, &m.customer, &m.agent_id).await?;
    let id = market::id_of(&order);
    let (s, body) = post(
        &app,
        &m.agent,
        &format!("/api/v1/agent/orders/{id}/accept"),
        json!({}),
    )
    .await?;
    ensure!(s == 200, "accept: {s} {body}");
    let (s, body) = deliver(&app, &m.agent, &id).await?;
    ensure!(s == 200, "deliver: {s} {body}");

    let reason = format!("Shorter please. {}", "x".repeat(2_000));
    let (s, html) = submit(
        &m.customer,
        app.url(&format!("/orders/{id}/request-revision")),
        &[("reason", &reason)],
    )
    .await?;
    ensure!(s == 422, "too long a reason: {s}");
    signed_in_as(&html, "Carl Customer")?;
    ensure!(html.contains(&reason), "the reason typed is lost");
    ensure!(html.contains("say what to change"), "no reason shown");
    ensure!(html.contains("Order with"), "not the order page");

    // A missing order is the error page, still with the header.
    let r = m
        .customer
        .get(app.url("/orders/no-such-order"))
        .send()
        .await?;
    ensure!(r.status() == 404, "missing order: {}", r.status());
    signed_in_as(&r.text().await?, "Carl Customer")?;
    Ok(())
}

backend_test!(revision_request_keeps_the_reason);

async fn unaffordable_offer_is_refused_on_its_thread(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let (s, thread) = post(
        &app,
        &m.customer,
        &format!("/api/v1/agents/{}/thread", m.agent_id),
        json!({}),
    )
    .await?;
    ensure!(s == 200 || s == 201, "thread: {s} {thread}");
    let thread_id = market::id_of(&thread);
    let (s, offer) = post(
        &app,
        &m.owner,
        &format!("/api/v1/threads/{thread_id}/offers"),
        json!({"scope": "A whole book", "price_points": 900, "delivery_hours": 48, "expires_in_hours": 24}),
    )
    .await?;
    ensure!(s == 201 || s == 200, "offer: {s} {offer}");
    let offer_id = market::id_of(&offer);
    let (s, html) = submit(
        &m.customer,
        app.url(&format!("/offers/{offer_id}/accept")),
        &[],
    )
    .await?;
    ensure!(s == 409, "unaffordable offer: {s}");
    signed_in_as(&html, "Carl Customer")?;
    ensure!(html.contains("Pre-sale chat"), "not the thread page");
    ensure!(html.contains("not enough points"), "no reason shown");
    ensure!(html.contains("A whole book"), "the offer is not shown");
    Ok(())
}

backend_test!(unaffordable_offer_is_refused_on_its_thread);

async fn wizard_step_four_keeps_the_input(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (s, agent) = post(
        &app,
        &owner,
        "/api/v1/my/agents",
        json!({"name": "Draft Writer", "description": "Writes drafts"}),
    )
    .await?;
    ensure!(s == 201, "create: {s} {agent}");
    let step4 = app.url(&format!("/owner/agents/{}/wizard/4", market::id_of(&agent)));
    let lines = "topic | Topic | text | required | 200";
    let (s, html) = submit(
        &owner,
        step4.clone(),
        &[
            ("price_points", "12x"),
            ("delivery_hours", "48"),
            ("revision_limit", "2"),
            ("order_form", lines),
        ],
    )
    .await?;
    ensure!(s == 422, "bad price: {s}");
    signed_in_as(&html, "Olivia Owner")?;
    for kept in [r#"value="12x""#, r#"value="48""#, r#"value="2""#, lines] {
        ensure!(html.contains(kept), "{kept} is lost");
    }
    ensure!(
        html.contains("price_points must be a whole number"),
        "no reason shown"
    );

    let (s, html) = submit(
        &owner,
        step4,
        &[
            ("price_points", "30"),
            ("delivery_hours", "48"),
            ("revision_limit", "2"),
            ("order_form", "topic | Topic | colour"),
        ],
    )
    .await?;
    ensure!(s == 422, "bad order form: {s}");
    ensure!(
        html.contains("topic | Topic | colour"),
        "the order form typed is lost"
    );
    ensure!(html.contains(r#"value="30""#), "the price typed is lost");
    Ok(())
}

backend_test!(wizard_step_four_keeps_the_input);

async fn password_change_shows_the_reason_on_its_field(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (member, _) = app.member("Dana Member", "dana@example.com").await?;
    let (s, html) = submit(
        &member,
        app.url("/account/password"),
        &[
            ("current_password", "not-my-password-at-all"),
            ("new_password", "a new long password"),
        ],
    )
    .await?;
    ensure!(s == 422, "wrong current password: {s}");
    signed_in_as(&html, "Dana Member")?;
    ensure!(
        html.contains("your current password is not correct"),
        "no reason shown"
    );
    ensure!(
        !html.contains("not-my-password-at-all") && !html.contains("a new long password"),
        "a password was written back into the page"
    );
    Ok(())
}

backend_test!(password_change_shows_the_reason_on_its_field);

async fn browse_filter_keeps_the_filter(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let r = m
        .customer
        .get(app.url("/agents?q=blog&min_price=abc&max_price=500"))
        .send()
        .await?;
    ensure!(r.status() == 422, "bad min price: {}", r.status());
    let html = r.text().await?;
    signed_in_as(&html, "Carl Customer")?;
    for kept in [r#"value="blog""#, r#"value="abc""#, r#"value="500""#] {
        ensure!(html.contains(kept), "{kept} is lost");
    }
    ensure!(
        html.contains("min_price must be a number"),
        "no reason shown"
    );
    ensure!(
        html.contains("Blog Writer"),
        "the rest of the filter still finds agents"
    );
    Ok(())
}

backend_test!(browse_filter_keeps_the_filter);

async fn api_key_page_reload_shows_no_second_key(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let base = format!("/owner/agents/{}", m.agent_id);
    let keys = "SELECT COUNT(*) FROM api_keys WHERE agent_id = $1";
    let before = app.count(keys, &m.agent_id).await?;
    let r = m
        .owner
        .post(app.url(&format!("{base}/keys")))
        .send()
        .await?;
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    ensure!(
        r.status() == 303 && location == base,
        "issue: {} {location}",
        r.status()
    );
    let shown = m.owner.get(app.url(&base)).send().await?;
    ensure!(
        shown
            .headers()
            .get("cache-control")
            .is_some_and(|v| v == "no-store"),
        "a page with a key must not be cached"
    );
    let html = shown.text().await?;
    ensure!(html.contains(r#"id="api-key""#), "the new key is not shown");
    let start = html.find("hpr_").context("key on the page")?;
    let key = html[start..start + 52].to_owned();
    let reload = m.owner.get(app.url(&base)).send().await?.text().await?;
    ensure!(
        !reload.contains(r#"id="api-key""#) && !reload.contains(&key),
        "a reload shows the key again"
    );
    ensure!(
        app.count(keys, &m.agent_id).await? == before + 1,
        "one key issued, whatever the reloads"
    );
    Ok(())
}

backend_test!(api_key_page_reload_shows_no_second_key);

async fn cross_site_page_form_is_refused_with_a_page(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (member, _) = app.member("Dana Member", "dana@example.com").await?;
    let r = member
        .post(app.url("/account/password"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("current_password", "x"), ("new_password", "y")])
        .send()
        .await?;
    ensure!(r.status() == 403, "page form: {}", r.status());
    let html_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    ensure!(html_type, "the refusal of a page form is not a page");
    let html = r.text().await?;
    signed_in_as(&html, "Dana Member")?;
    ensure!(
        html.contains("reload the page and send the form again"),
        "the page does not say what to do: {html}"
    );

    let r = member
        .post(app.url("/api/v1/orders"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({}))
        .send()
        .await?;
    ensure!(r.status() == 403, "API: {}", r.status());
    let body: serde_json::Value = r.json().await?;
    ensure!(
        error_code(&body) == "cross_origin_request",
        "the API keeps its JSON: {body}"
    );
    Ok(())
}

backend_test!(cross_site_page_form_is_refused_with_a_page);
