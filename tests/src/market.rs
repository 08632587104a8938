//! Helpers for the marketplace stories: publishing an agent, issuing keys, placing orders,
//! and reading the ledger.

use anyhow::{Result, bail};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::TestApp;

/// Sends a request and returns its status and JSON body (`null` for an empty body).
pub async fn send(request: reqwest::RequestBuilder) -> Result<(u16, Value)> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Ok((status, body))
}

/// `POST` JSON.
pub async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: Value,
) -> Result<(u16, Value)> {
    send(client.post(app.url(path)).json(&body)).await
}

/// `GET`.
pub async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> Result<(u16, Value)> {
    send(client.get(app.url(path))).await
}

/// The default order form used by stories: a required topic and an optional word count.
pub fn default_form() -> Value {
    json!([
        {"name": "topic", "label": "Topic", "type": "text", "required": true, "max_length": 100},
        {"name": "words", "label": "Words", "type": "number", "min": 100, "max": 5000},
        {"name": "tone", "label": "Tone", "type": "choice", "choices": ["formal", "casual"]}
    ])
}

/// Creates and publishes an agent through the wizard API; returns its id.
pub async fn publish_agent(
    app: &TestApp,
    owner: &reqwest::Client,
    name: &str,
    price: i64,
    category: &str,
) -> Result<String> {
    let (s, agent) = post(
        app,
        owner,
        "/api/v1/my/agents",
        json!({"name": name, "description": format!("{name} writes things")}),
    )
    .await?;
    if s != 201 {
        bail!("create agent: {s} {agent}");
    }
    let id = agent["id"].as_str().unwrap_or_default().to_owned();
    let (s, body) = send(owner.patch(app.url(&format!("/api/v1/my/agents/{id}"))).json(&json!({
        "category": category, "tags": ["blog", "seo"], "skills": ["web search", "markdown"],
        "private_notes": "uses model X with key sk-secret", "price_points": price, "delivery_hours": 24,
        "revision_limit": 1, "order_form": default_form(), "wizard_step": 5
    })))
    .await?;
    if s != 200 {
        bail!("update agent: {s} {body}");
    }
    let (s, body) = post(
        app,
        owner,
        &format!("/api/v1/my/agents/{id}/publish"),
        json!({}),
    )
    .await?;
    if s != 200 {
        bail!("publish: {s} {body}");
    }
    Ok(id)
}

/// Issues a key for `agent_id`; returns the full key.
pub async fn issue_key(app: &TestApp, owner: &reqwest::Client, agent_id: &str) -> Result<String> {
    let (s, body) = post(
        app,
        owner,
        &format!("/api/v1/my/agents/{agent_id}/keys"),
        json!({}),
    )
    .await?;
    if s != 201 {
        bail!("issue key: {s} {body}");
    }
    Ok(body["key"].as_str().unwrap_or_default().to_owned())
}

/// A client that sends `Authorization: Bearer key` (no cookies).
pub fn bearer(key: &str) -> Result<reqwest::Client> {
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {key}"))?,
    );
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

/// Places an order with a valid answer; returns the order JSON.
pub async fn place_order(
    app: &TestApp,
    customer: &reqwest::Client,
    agent_id: &str,
) -> Result<Value> {
    let (s, body) = post(
        app,
        customer,
        "/api/v1/orders",
        json!({"agent_id": agent_id, "answers": {"topic": "Cats", "words": 500}}),
    )
    .await?;
    if s != 201 {
        bail!("place order: {s} {body}");
    }
    Ok(body)
}

/// Delivers order `id` with one text file through the bearer API.
pub async fn deliver(app: &TestApp, agent: &reqwest::Client, id: &str) -> Result<(u16, Value)> {
    let form = reqwest::multipart::Form::new()
        .text("note", "Here it is")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"the result".to_vec()).file_name("result.txt"),
        );
    send(
        agent
            .post(app.url(&format!("/api/v1/agent/orders/{id}/deliveries")))
            .multipart(form),
    )
    .await
}

/// Sum of all member and escrow balances; equals the points ever issued as bonuses.
pub async fn held_points(app: &TestApp) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_accounts WHERE kind IN ('member', 'escrow')",
    )
    .fetch_one(app.pool())
    .await?)
}

/// Points the issuer has minted (minus its balance).
pub async fn issued_points(app: &TestApp) -> Result<i64> {
    Ok(
        -sqlx::query_scalar::<_, i64>("SELECT balance FROM ledger_accounts WHERE id = 'issuer'")
            .fetch_one(app.pool())
            .await?,
    )
}

/// Asserts the escrow invariant: points held by members and escrows equal points issued,
/// and every transfer's entries sum to zero.
pub async fn assert_ledger_balanced(app: &TestApp) -> Result<()> {
    let held = held_points(app).await?;
    let issued = issued_points(app).await?;
    if held != issued {
        bail!("ledger unbalanced: held {held}, issued {issued}");
    }
    let unbalanced = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM (SELECT transfer_id FROM ledger_entries GROUP BY transfer_id HAVING SUM(amount) <> 0) t",
    )
    .fetch_one(app.pool())
    .await?;
    if unbalanced != 0 {
        bail!("{unbalanced} transfers do not sum to zero");
    }
    Ok(())
}

/// Balance of the escrow of order `id`.
pub async fn escrow_balance(app: &TestApp, id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT balance FROM ledger_accounts WHERE id = $1")
            .bind(format!("escrow:{id}"))
            .fetch_one(app.pool())
            .await?,
    )
}

/// `points_balance` of the signed-in client.
pub async fn balance(app: &TestApp, client: &reqwest::Client) -> Result<i64> {
    let (_, me) = get(app, client, "/api/v1/me").await?;
    Ok(me["points_balance"].as_i64().unwrap_or(-1))
}

/// Whether `body`'s JSON text contains any of `needles` (privacy checks).
pub fn leaks(body: &Value, needles: &[&str]) -> Option<String> {
    let text = body.to_string();
    needles
        .iter()
        .find(|n| text.contains(*n))
        .map(|n| (*n).to_owned())
}

/// An owner with a published agent and its bearer client, and a customer.
pub struct Market {
    /// The owner's browser.
    pub owner: reqwest::Client,
    /// The customer's browser.
    pub customer: reqwest::Client,
    /// The published agent.
    pub agent_id: String,
    /// The agent's bearer client.
    pub agent: reqwest::Client,
    /// The agent's key.
    pub key: String,
}

/// Sets up [`Market`]: "Olivia Owner" with "Blog Writer" (100 points, writing) and
/// "Carl Customer" (carl@example.com).
pub async fn market(app: &TestApp) -> Result<Market> {
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let (customer, _) = app.member("Carl Customer", "carl@example.com").await?;
    let agent_id = publish_agent(app, &owner, "Blog Writer", 100, "writing").await?;
    let key = issue_key(app, &owner, &agent_id).await?;
    Ok(Market {
        agent: bearer(&key)?,
        owner,
        customer,
        agent_id,
        key,
    })
}

/// The `id` of a JSON object.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}
