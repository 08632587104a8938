//! The whole journey in the browser pages (plain HTML forms, no JavaScript): an owner walks
//! the five-step wizard, publishes, issues a key (shown once) and downloads the skill setup;
//! a scripted agent works the bearer API; a customer finds the agent by filters, orders
//! through the order form (with a file), chats, accepts the delivery and reviews. The owner's
//! pages never show the customer's email.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

use anyhow::{Context, Result, ensure};
use heepr_tests::market::{bearer, deliver, post};
use heepr_tests::{Backend, TestApp, backend_test};
use reqwest::multipart::{Form, Part};
use serde_json::json;

async fn page(client: &reqwest::Client, url: String) -> Result<(u16, String)> {
    let r = client.get(url).send().await?;
    Ok((r.status().as_u16(), r.text().await?))
}

async fn submit(
    client: &reqwest::Client,
    url: String,
    form: &[(&str, &str)],
) -> Result<(u16, String, String)> {
    let r = client.post(url).form(form).send().await?;
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_owned();
    Ok((r.status().as_u16(), location, r.text().await?))
}

async fn browser_journey(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (s, html) = page(&owner, app.url("/owner/agents")).await?;
    ensure!(s == 200 && html.contains("Connect your AI agent"), "{s}");

    // Step 1 creates the draft and moves to step 2.
    let (s, location, _) = submit(
        &owner,
        app.url("/owner/agents"),
        &[
            ("name", "Page Writer"),
            ("description", "Writes blog posts about pets"),
        ],
    )
    .await?;
    ensure!(
        s == 303 && location.ends_with("/wizard/2"),
        "{s} {location}"
    );
    let base = location.trim_end_matches("/wizard/2").to_owned();
    let agent_id = base.rsplit('/').next().unwrap_or_default().to_owned();
    let steps: [(&str, Vec<(&str, &str)>); 3] = [
        ("2", vec![("category", "writing"), ("tags", "blog, pets")]),
        (
            "3",
            vec![
                ("skills", "web search\nmarkdown"),
                ("private_notes", "model X, key sk-private"),
            ],
        ),
        (
            "4",
            vec![
                ("price_points", "120"),
                ("delivery_hours", "48"),
                ("revision_limit", "2"),
                (
                    "order_form",
                    "topic | Topic | text | required | 100\nbrief | Brief file | file | optional |\ntone | Tone | choice | optional | formal, casual",
                ),
            ],
        ),
    ];
    for (step, fields) in &steps {
        let (s, location, body) =
            submit(&owner, app.url(&format!("{base}/wizard/{step}")), fields).await?;
        ensure!(s == 303, "step {step}: {s} {body}");
        let (s, _) = page(&owner, app.url(&location)).await?;
        ensure!(s == 200);
    }
    // A bad order form line is refused with the line number.
    let (s, _, body) = submit(
        &owner,
        app.url(&format!("{base}/wizard/4")),
        &[("order_form", "x | X | colour")],
    )
    .await?;
    ensure!(s == 422 && body.contains("line 1"), "{s} {body}");
    let (s, html) = page(&owner, app.url(&format!("{base}/wizard/5"))).await?;
    ensure!(s == 200 && html.contains("120 points"), "{html}");
    let (s, location, _) = submit(
        &owner,
        app.url(&format!("{base}/wizard/5")),
        &[("publish", "yes")],
    )
    .await?;
    ensure!(s == 303 && location == base, "{s} {location}");

    // Issue a key: shown once on the page it redirects to, never again.
    let (s, location, _) = submit(&owner, app.url(&format!("{base}/keys")), &[]).await?;
    ensure!(s == 303 && location == base, "{s} {location}");
    let (_, html) = page(&owner, app.url(&base)).await?;
    let start = html.find("hpr_").context("key on the page")?;
    let key = html[start..start + 52].to_owned();
    let (_, again) = page(&owner, app.url(&base)).await?;
    ensure!(
        !again.contains(&key) && again.contains(&key[..12]),
        "the key is shown only once"
    );
    let bundle = owner
        .get(app.url(&format!("{base}/skill-setup.tar.gz")))
        .send()
        .await?;
    ensure!(bundle.status() == 200 && bundle.headers()["content-type"] == "application/gzip");

    // The scripted agent comes online.
    let agent = bearer(&key)?;
    let (s, _) = post(&app, &agent, "/api/v1/agent/heartbeat", json!({})).await?;
    ensure!(s == 200);
    let (_, html) = page(&owner, app.url(&base)).await?;
    ensure!(
        html.contains("heartbeat"),
        "the owner sees the agent's events"
    );

    // The customer finds it by filters and orders through the form, with a file.
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let (_, html) = page(
        &customer,
        app.url(
            "/agents?category=writing&online=true&min_price=100&max_price=150&q=pets&sort=price",
        ),
    )
    .await?;
    ensure!(
        html.contains("Page Writer") && html.contains("online now"),
        "{html}"
    );
    let (_, html) = page(&customer, app.url("/agents?category=coding")).await?;
    ensure!(!html.contains("Page Writer"));
    let (_, html) = page(&customer, app.url(&format!("/agents/{agent_id}"))).await?;
    ensure!(
        html.contains("name=\"topic\"")
            && html.contains("type=\"file\"")
            && !html.contains("sk-private"),
        "{html}"
    );
    let form = Form::new()
        .text("topic", "Cats")
        .text("tone", "formal")
        .part(
            "brief",
            Part::bytes(b"my notes".to_vec()).file_name("notes.txt"),
        );
    let r = customer
        .post(app.url(&format!("/agents/{agent_id}/order")))
        .multipart(form)
        .send()
        .await?;
    ensure!(r.status() == 303, "{}", r.status());
    let order_path = r.headers()["location"].to_str()?.to_owned();
    let order_id = order_path.rsplit('/').next().unwrap_or_default().to_owned();
    let (_, html) = page(&customer, app.url(&order_path)).await?;
    ensure!(
        html.contains("placed") && html.contains("notes.txt") && html.contains("Cats"),
        "{html}"
    );
    let (s, location, _) = submit(
        &customer,
        app.url(&format!("{order_path}/messages")),
        &[("body", "Thanks in advance")],
    )
    .await?;
    ensure!(s == 303 && location == order_path);

    // Pre-sale chat with an offer from the owner.
    let (s, thread_path, _) =
        submit(&customer, app.url(&format!("/agents/{agent_id}/chat")), &[]).await?;
    ensure!(
        s == 303 && thread_path.starts_with("/threads/"),
        "{s} {thread_path}"
    );
    submit(
        &customer,
        app.url(&format!("{thread_path}/messages")),
        &[("body", "Do you do dogs?")],
    )
    .await?;
    let (s, _, body) = submit(
        &owner,
        app.url(&format!("{thread_path}/offers")),
        &[
            ("scope", "Dogs too"),
            ("price_points", "80"),
            ("delivery_hours", "24"),
            ("expires_in_hours", "24"),
        ],
    )
    .await?;
    ensure!(s == 303, "{s} {body}");
    let (_, html) = page(&customer, app.url(&thread_path)).await?;
    ensure!(
        html.contains("Do you do dogs?")
            && html.contains("Dogs too")
            && html.contains("Accept and order"),
        "{html}"
    );

    // The agent accepts and delivers; the customer accepts and reviews.
    post(
        &app,
        &agent,
        &format!("/api/v1/agent/orders/{order_id}/accept"),
        json!({}),
    )
    .await?;
    let (s, _) = deliver(&app, &agent, &order_id).await?;
    ensure!(s == 200);
    let (s, _, _) = submit(
        &customer,
        app.url(&format!("{order_path}/accept-delivery")),
        &[],
    )
    .await?;
    ensure!(s == 303);
    let (s, _, _) = submit(
        &customer,
        app.url(&format!("{order_path}/review")),
        &[("rating", "5"), ("body", "Purrfect")],
    )
    .await?;
    ensure!(s == 303);
    let (_, html) = page(&customer, app.url(&order_path)).await?;
    ensure!(
        html.contains("completed") && html.contains("Purrfect") && html.contains("result.txt"),
        "{html}"
    );

    // The owner's pages show the customer's name, never the email.
    for path in [
        order_path.clone(),
        "/orders".to_owned(),
        thread_path.clone(),
        base.clone(),
    ] {
        let (s, html) = page(&owner, app.url(&path)).await?;
        ensure!(s == 200 && !html.contains("carl@example.com"), "{path}");
    }
    let (_, html) = page(&owner, app.url("/orders")).await?;
    ensure!(html.contains("Carl Customer"));
    // Another member gets the not-found page on the order.
    let (stranger, _) = app.member("Sam Stranger", "sam@example.com").await?;
    let (s, _) = page(&stranger, app.url(&order_path)).await?;
    ensure!(s == 404);
    let (s, html) = page(&app.client()?, app.url("/leaderboard")).await?;
    ensure!(s == 200 && html.contains("Page Writer"));
    let (s, html) = page(&app.client()?, app.url("/categories")).await?;
    ensure!(s == 200 && html.contains("Writing"));
    Ok(())
}
backend_test!(browser_journey);
