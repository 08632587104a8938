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

/// Uploads one file as `name` with `bytes` (multipart field `file`) to `path`; returns the
/// first stored file's id.
pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> Result<String> {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    let (s, body) = send(client.post(app.url(path)).multipart(form)).await?;
    if s != 201 && s != 200 {
        bail!("upload to {path}: {s} {body}");
    }
    Ok(id_of(&body["files"][0]))
}

/// `POST` that must succeed (any 2xx); returns the body.
async fn expect(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> Result<Value> {
    let (s, out) = post(app, client, path, body).await?;
    if !(200..300).contains(&s) {
        bail!("POST {path}: {s} {out}");
    }
    Ok(out)
}

/// [`expect`] with `Idempotency-Key: key`, so the caller's stored answer is part of the
/// footprint.
async fn expect_keyed(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    key: &str,
    body: Value,
) -> Result<Value> {
    let (s, out) = send(
        client
            .post(app.url(path))
            .header("Idempotency-Key", key)
            .json(&body),
    )
    .await?;
    if !(200..300).contains(&s) {
        bail!("POST {path}: {s} {out}");
    }
    Ok(out)
}

/// Takes order `id` from placed to completed: the agent accepts and delivers (a text file),
/// the customer accepts the delivery.
pub async fn complete_order(
    app: &TestApp,
    agent: &reqwest::Client,
    customer: &reqwest::Client,
    id: &str,
) -> Result<()> {
    expect(
        app,
        agent,
        &format!("/api/v1/agent/orders/{id}/accept"),
        json!({}),
    )
    .await?;
    let (s, body) = deliver(app, agent, id).await?;
    if s != 200 {
        bail!("deliver {id}: {s} {body}");
    }
    expect(
        app,
        customer,
        &format!("/api/v1/orders/{id}/accept-delivery"),
        json!({}),
    )
    .await?;
    Ok(())
}

/// A member's rows in every marketplace table, made through the HTTP API (see
/// [`marketplace_footprint`]).
pub struct Footprint {
    /// "Bob Seller" (bob.seller@example.com), who owns the agent the subject buys from.
    pub seller: reqwest::Client,
    /// "Cleo Buyer" (cleo.buyer@example.com), who buys from the subject's agent.
    pub buyer: reqwest::Client,
    /// The seller's agent.
    pub seller_agent_id: String,
    /// The subject's own agent ("Poem Smith").
    pub subject_agent_id: String,
    /// The subject's agent's bearer client.
    pub subject_agent: reqwest::Client,
    /// The order the subject bought (from an accepted offer), completed and reviewed.
    pub bought_order_id: String,
    /// The order the buyer placed with the subject's agent, completed, reviewed, replied to.
    pub sold_order_id: String,
    /// An upload not attached to anything: only the subject could see it.
    pub private_file_id: String,
    /// An attachment in the subject's pre-sale thread with the seller's agent.
    pub thread_file_id: String,
    /// A brief the subject attached to the bought order.
    pub brief_file_id: String,
    /// The subject's pre-sale thread with the seller's agent.
    pub thread_id: String,
    /// The offer in that thread the subject never answered.
    pub open_offer_id: String,
}

/// Gives the signed-in `subject` rows in every marketplace table through the HTTP API, as a
/// customer and as an owner:
/// - customer: an unattached upload and a pre-sale thread with "Bob Seller"'s agent
///   (message, attachment, an open offer and an accepted one, accepted with an
///   `Idempotency-Key`, as is a message of the seller's agent), the accepted offer's order
///   with messages both ways, a brief, a deliverable, completion and a 5-star review
///   (which the seller answers);
/// - owner: the agent "Poem Smith" with a key and a heartbeat, a pre-sale thread "Cleo
///   Buyer" opens (the subject answers and sends an offer), Cleo's order with messages,
///   a delivery, completion and a 4-star review the subject replies to.
///
/// `private_text` is the content of the subject's unattached upload and thread attachment
/// (stories put the subject's name in it to check erasure deletes those files).
#[allow(
    clippy::too_many_lines,
    reason = "one linear story of every marketplace table, read top to bottom"
)]
pub async fn marketplace_footprint(
    app: &TestApp,
    subject: &reqwest::Client,
    private_text: &str,
) -> Result<Footprint> {
    let (seller, _) = app.member("Bob Seller", "bob.seller@example.com").await?;
    let (buyer, _) = app.member("Cleo Buyer", "cleo.buyer@example.com").await?;
    let seller_agent_id = publish_agent(app, &seller, "Essay Helper", 50, "writing").await?;
    let seller_agent = bearer(&issue_key(app, &seller, &seller_agent_id).await?)?;
    let subject_agent_id = publish_agent(app, subject, "Poem Smith", 40, "writing").await?;
    let subject_agent = bearer(&issue_key(app, subject, &subject_agent_id).await?)?;
    expect(app, &subject_agent, "/api/v1/agent/heartbeat", json!({})).await?;

    // As a customer.
    let private_file_id = upload(
        app,
        subject,
        "/api/v1/files",
        "private notes.txt",
        private_text.as_bytes(),
    )
    .await?;
    let thread = expect(
        app,
        subject,
        &format!("/api/v1/agents/{seller_agent_id}/thread"),
        json!({}),
    )
    .await?;
    let thread_id = id_of(&thread);
    let thread_path = format!("/api/v1/threads/{thread_id}");
    expect(
        app,
        subject,
        &format!("{thread_path}/messages"),
        json!({"body": "Could you write a sonnet about my cat?"}),
    )
    .await?;
    let thread_file_id = upload(
        app,
        subject,
        &format!("{thread_path}/files"),
        "cat photo notes.txt",
        format!("{private_text} (thread attachment)").as_bytes(),
    )
    .await?;
    expect(
        app,
        &seller,
        &format!("{thread_path}/messages"),
        json!({"body": "Happy to, see my offers"}),
    )
    .await?;
    let offer = |scope: &str, price: i64| json!({"scope": scope, "price_points": price, "delivery_hours": 48, "expires_in_hours": 24});
    let open_offer = expect(
        app,
        &seller,
        &format!("{thread_path}/offers"),
        offer("Two sonnets", 90),
    )
    .await?;
    let taken = expect(
        app,
        &seller,
        &format!("{thread_path}/offers"),
        offer("One sonnet about the cat", 60),
    )
    .await?;
    let accepted = expect_keyed(
        app,
        subject,
        &format!("/api/v1/offers/{}/accept", id_of(&taken)),
        "accept-the-sonnet",
        json!({}),
    )
    .await?;
    let bought_order_id = id_of(&accepted["order"]);
    let order_path = format!("/api/v1/orders/{bought_order_id}");
    expect(
        app,
        subject,
        &format!("{order_path}/messages"),
        json!({"body": "The cat is called Miso"}),
    )
    .await?;
    let brief_file_id = upload(
        app,
        subject,
        &format!("{order_path}/files"),
        "brief.txt",
        b"A sonnet about a grey cat called Miso.",
    )
    .await?;
    expect_keyed(
        app,
        &seller_agent,
        &format!("/api/v1/agent/orders/{bought_order_id}/messages"),
        "starting-now",
        json!({"body": "Thanks, starting now"}),
    )
    .await?;
    complete_order(app, &seller_agent, subject, &bought_order_id).await?;
    let review = expect(
        app,
        subject,
        &format!("{order_path}/review"),
        json!({"rating": 5, "body": "Lovely sonnet, Miso approves"}),
    )
    .await?;
    expect(
        app,
        &seller,
        &format!("/api/v1/reviews/{}/reply", id_of(&review)),
        json!({"body": "Thank you!"}),
    )
    .await?;

    // As an owner.
    let their_thread = expect(
        app,
        &buyer,
        &format!("/api/v1/agents/{subject_agent_id}/thread"),
        json!({}),
    )
    .await?;
    let their_thread_path = format!("/api/v1/threads/{}", id_of(&their_thread));
    expect(
        app,
        &buyer,
        &format!("{their_thread_path}/messages"),
        json!({"body": "Do you write limericks?"}),
    )
    .await?;
    expect(
        app,
        subject,
        &format!("{their_thread_path}/messages"),
        json!({"body": "Yes, here is an offer"}),
    )
    .await?;
    expect(
        app,
        subject,
        &format!("{their_thread_path}/offers"),
        offer("Three limericks", 30),
    )
    .await?;
    let sold_order_id = id_of(&place_order(app, &buyer, &subject_agent_id).await?);
    expect(
        app,
        &buyer,
        &format!("/api/v1/orders/{sold_order_id}/messages"),
        json!({"body": "Please keep it short"}),
    )
    .await?;
    expect(
        app,
        subject,
        &format!("/api/v1/orders/{sold_order_id}/messages"),
        json!({"body": "Will do"}),
    )
    .await?;
    complete_order(app, &subject_agent, &buyer, &sold_order_id).await?;
    let review = expect(
        app,
        &buyer,
        &format!("/api/v1/orders/{sold_order_id}/review"),
        json!({"rating": 4, "body": "Short and sweet"}),
    )
    .await?;
    expect(
        app,
        subject,
        &format!("/api/v1/reviews/{}/reply", id_of(&review)),
        json!({"body": "Glad you liked it"}),
    )
    .await?;
    Ok(Footprint {
        seller,
        buyer,
        seller_agent_id,
        subject_agent_id,
        subject_agent,
        bought_order_id,
        sold_order_id,
        private_file_id,
        thread_file_id,
        brief_file_id,
        thread_id,
        open_offer_id: id_of(&open_offer),
    })
}
