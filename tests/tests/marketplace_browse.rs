//! Browsing and publishing: the wizard's checks, drafts hidden, filters, sort, search,
//! pagination, categories, leaderboard, badges, and the skill setup bundle (read back with
//! real tar and gzip readers).

use std::io::Read;

use anyhow::{Result, ensure};
use heepr_tests::market::{
    bearer, deliver, get, id_of, issue_key, place_order, post, publish_agent, send,
};
use heepr_tests::{Backend, TestApp, backend_test};
use serde_json::{Value, json};

fn names(page: &Value) -> Vec<String> {
    page["agents"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn wizard_checks_and_drafts_stay_hidden(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (s, body) = post(&app, &owner, "/api/v1/my/agents", json!({"name": " "})).await?;
    ensure!(s == 422 && body["error"]["field"] == "name", "{s} {body}");
    let (s, draft) = post(
        &app,
        &owner,
        "/api/v1/my/agents",
        json!({"name": "Drafty", "description": "Not yet"}),
    )
    .await?;
    ensure!(
        s == 201 && draft["status"] == "draft" && draft["wizard_step"] == 2,
        "{s} {draft}"
    );
    let id = id_of(&draft);
    let patch = |body: Value| {
        owner
            .patch(app.url(&format!("/api/v1/my/agents/{id}")))
            .json(&body)
    };
    for (body, field) in [
        (json!({"category": "cooking"}), "category"),
        (json!({"tags": ["<script>"]}), "tags"),
        (json!({"delivery_hours": 0}), "delivery_hours"),
        (
            json!({"order_form": [{"name": "Bad Name", "label": "x", "type": "text"}]}),
            "order_form",
        ),
        (
            json!({"order_form": [{"name": "c", "label": "x", "type": "choice", "choices": []}]}),
            "order_form",
        ),
    ] {
        let (s, resp) = send(patch(body.clone())).await?;
        ensure!(
            s == 422 && resp["error"]["field"] == field,
            "{body}: {s} {resp}"
        );
    }
    let (s, body) = send(patch(json!({"colour": "red"}))).await?;
    ensure!(s == 422, "unknown fields are refused: {s} {body}");
    let (s, body) = post(
        &app,
        &owner,
        &format!("/api/v1/my/agents/{id}/publish"),
        json!({}),
    )
    .await?;
    ensure!(
        s == 422 && body["error"]["field"] == "category",
        "cannot publish before step 2: {s} {body}"
    );
    let (s, _) = get(
        &app,
        &owner,
        &format!("/api/v1/my/agents/{id}/skill-setup.tar.gz"),
    )
    .await?;
    ensure!(s == 409, "no bundle before publishing");
    let (_, list) = get(&app, &app.client()?, "/api/v1/agents").await?;
    ensure!(list["total"] == 0, "{list}");
    let (s, _) = get(&app, &app.client()?, &format!("/api/v1/agents/{id}")).await?;
    ensure!(s == 404, "drafts are not public");
    Ok(())
}
backend_test!(wizard_checks_and_drafts_stay_hidden);

async fn filters_sort_search_and_pages(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let writer = publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    let coder = publish_agent(&app, &owner, "Rust Coder", 300, "coding").await?;
    let _poet = publish_agent(&app, &owner, "Poet", 50, "writing").await?;
    let visitor = app.client()?;

    let (_, all) = get(&app, &visitor, "/api/v1/agents?sort=price").await?;
    ensure!(
        names(&all) == ["Poet", "Blog Writer", "Rust Coder"] && all["total"] == 3,
        "{all}"
    );
    let (_, w) = get(&app, &visitor, "/api/v1/agents?category=writing&sort=price").await?;
    ensure!(names(&w) == ["Poet", "Blog Writer"], "{w}");
    let (_, p) = get(&app, &visitor, "/api/v1/agents?min_price=60&max_price=200").await?;
    ensure!(names(&p) == ["Blog Writer"], "{p}");
    let (_, q) = get(&app, &visitor, "/api/v1/agents?q=rust").await?;
    ensure!(names(&q) == ["Rust Coder"], "{q}");
    let (_, q) = get(&app, &visitor, "/api/v1/agents?q=SEO%20blog").await?;
    ensure!(names(&q).len() == 3, "tags are searched: {q}");
    let (_, q) = get(&app, &visitor, "/api/v1/agents?q=100%25").await?;
    ensure!(q["total"] == 0, "LIKE wildcards are literal: {q}");
    let (_, newest) = get(&app, &visitor, "/api/v1/agents?sort=newest").await?;
    ensure!(newest["total"] == 3, "{newest}");
    let (_, page2) = get(&app, &visitor, "/api/v1/agents?page=2").await?;
    ensure!(
        page2["agents"].as_array().is_some_and(Vec::is_empty) && page2["page"] == 2,
        "{page2}"
    );
    for bad in [
        "sort=cheapest",
        "min_rating=7",
        "page=0",
        "category=cooking",
        "min_price=-1",
        "min_price=10&max_price=5",
        "online=maybe",
    ] {
        let (s, body) = get(&app, &visitor, &format!("/api/v1/agents?{bad}")).await?;
        ensure!(s == 422, "{bad}: {s} {body}");
    }

    // Online now: a heartbeat within 5 minutes.
    let agent = bearer(&issue_key(&app, &owner, &coder).await?)?;
    post(&app, &agent, "/api/v1/agent/heartbeat", json!({})).await?;
    let (_, online) = get(&app, &visitor, "/api/v1/agents?online=true").await?;
    ensure!(
        names(&online) == ["Rust Coder"] && online["agents"][0]["online"] == true,
        "{online}"
    );
    app.clock.advance_ms(5 * 60_000);
    let (_, online) = get(&app, &visitor, "/api/v1/agents?online=true").await?;
    ensure!(online["total"] == 0, "{online}");

    // Rating: a completed, reviewed order; popularity and leaderboard follow.
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let writer_agent = bearer(&issue_key(&app, &owner, &writer).await?)?;
    let id = id_of(&place_order(&app, &customer, &writer).await?);
    post(
        &app,
        &writer_agent,
        &format!("/api/v1/agent/orders/{id}/accept"),
        json!({}),
    )
    .await?;
    deliver(&app, &writer_agent, &id).await?;
    post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/accept-delivery"),
        json!({}),
    )
    .await?;
    post(
        &app,
        &customer,
        &format!("/api/v1/orders/{id}/review"),
        json!({"rating": 5, "body": "Lovely"}),
    )
    .await?;
    let (_, rated) = get(&app, &visitor, "/api/v1/agents?min_rating=4.5").await?;
    ensure!(
        names(&rated) == ["Blog Writer"] && rated["agents"][0]["rating"] == 5.0,
        "{rated}"
    );
    let (_, by_rating) = get(&app, &visitor, "/api/v1/agents").await?;
    ensure!(names(&by_rating)[0] == "Blog Writer", "{by_rating}");
    let (_, popular) = get(&app, &visitor, "/api/v1/agents?sort=popularity").await?;
    ensure!(names(&popular)[0] == "Blog Writer", "{popular}");
    let (_, board) = get(&app, &visitor, "/api/v1/leaderboard").await?;
    ensure!(board["agents"][0]["name"] == "Blog Writer", "{board}");
    let (_, cats) = get(&app, &visitor, "/api/v1/categories").await?;
    let writing = cats["categories"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["key"] == "writing"))
        .cloned()
        .unwrap_or_default();
    ensure!(writing["agents"] == 2, "{cats}");
    // Badges by the documented rules: everything is new; a 24 h promise is not yet "fast"
    // after one order (it takes three kept).
    ensure!(board["agents"][0]["badges"] == json!(["new"]), "{board}");
    app.clock.advance_ms(31 * 24 * 3_600_000);
    let (_, later) = get(&app, &visitor, &format!("/api/v1/agents/{writer}")).await?;
    ensure!(later["badges"] == json!([]), "{later}");
    Ok(())
}
backend_test!(filters_sort_search_and_pages);

async fn skill_setup_bundle_and_openapi(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let id = publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    let response = owner
        .get(app.url(&format!("/api/v1/my/agents/{id}/skill-setup.tar.gz")))
        .send()
        .await?;
    ensure!(response.status() == 200 && response.headers()["content-type"] == "application/gzip");
    let bytes = response.bytes().await?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_ref()));
    let mut files = Vec::new();
    let mut skill = String::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.display().to_string();
        if path == "heepr-skill/SKILL.md" {
            entry.read_to_string(&mut skill)?;
        }
        files.push(path);
    }
    for expected in [
        "heepr-skill/SKILL.md",
        "heepr-skill/claude-code/.claude/skills/heepr/SKILL.md",
        "heepr-skill/cursor/.cursor/rules/heepr.mdc",
        "heepr-skill/cline/.clinerules/heepr.md",
        "heepr-skill/http-runner/runner.sh",
    ] {
        ensure!(
            files.iter().any(|f| f == expected),
            "{expected} missing from {files:?}"
        );
    }
    ensure!(
        skill.contains("Authorization: Bearer $HEEPR_API_KEY")
            && skill.contains("/api/v1/agent/heartbeat"),
        "{skill}"
    );
    ensure!(
        skill.contains("`topic`") && !skill.contains("sk-secret"),
        "form described, private notes left out: {skill}"
    );
    // Deterministic bytes.
    let again = owner
        .get(app.url(&format!("/api/v1/my/agents/{id}/skill-setup.tar.gz")))
        .send()
        .await?
        .bytes()
        .await?;
    ensure!(again == bytes);
    let (stranger, _) = app.member("Sam Stranger", "sam@example.com").await?;
    let (s, _) = get(
        &app,
        &stranger,
        &format!("/api/v1/my/agents/{id}/skill-setup.tar.gz"),
    )
    .await?;
    ensure!(s == 404);

    let (s, doc) = get(&app, &app.client()?, "/api/openapi.json").await?;
    ensure!(
        s == 200 && doc["openapi"].as_str().unwrap_or("").starts_with("3."),
        "{doc}"
    );
    for path in [
        "/api/v1/agent/heartbeat",
        "/api/v1/agent/orders/{id}/deliveries",
        "/api/v1/orders",
        "/api/v1/agents",
    ] {
        ensure!(doc["paths"][path].is_object(), "{path} documented");
    }
    Ok(())
}
backend_test!(skill_setup_bundle_and_openapi);
