//! The order page tells the truth about an order: the escrow line follows the ledger
//! (held, paid out, refunded), a file in the brief shows its name with a download link,
//! and an ended order takes no more files (the API answers 409 `order_closed`, the page
//! hides the upload form). Times read as words (`in 24 hours (2 Dec 2026, 20:15 UTC)`).

use anyhow::{Result, ensure};
use heepr_tests::market::{complete_order, id_of, market, place_order, post, send, upload};
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use reqwest::multipart::{Form, Part};
use serde_json::json;

async fn order_html(app: &TestApp, client: &reqwest::Client, id: &str) -> Result<String> {
    let r = client.get(app.url(&format!("/orders/{id}"))).send().await?;
    ensure!(r.status() == 200, "order page: {}", r.status());
    Ok(r.text().await?)
}

/// The text of the page's escrow line.
fn escrow_line(html: &str) -> &str {
    html.split(r#"<span id="escrow">"#)
        .nth(1)
        .and_then(|rest| rest.split("</span>").next())
        .unwrap_or("")
}

/// Whether `html` shows a time as `2026-12-02T20:15:22...`.
fn has_raw_time(html: &str) -> bool {
    html.as_bytes().windows(13).any(|w| {
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
        digits(0..4)
            && w[4] == b'-'
            && digits(5..7)
            && w[7] == b'-'
            && digits(8..10)
            && w[10] == b'T'
            && digits(11..13)
    })
}

async fn the_order_page_follows_the_ledger_and_the_brief(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let form = json!([
        {"name": "topic", "label": "Topic", "type": "text", "required": true},
        {"name": "words", "label": "Words", "type": "number"},
        {"name": "sketch", "label": "Sketch", "type": "file"}
    ]);
    let (s, body) = send(
        m.owner
            .patch(app.url(&format!("/api/v1/my/agents/{}", m.agent_id)))
            .json(&json!({"order_form": form})),
    )
    .await?;
    ensure!(s == 200, "order form: {s} {body}");
    let file_id = upload(
        &app,
        &m.customer,
        "/api/v1/files",
        "cat sketch.txt",
        b"a cat",
    )
    .await?;
    let (s, order) = post(
        &app,
        &m.customer,
        "/api/v1/orders",
        json!({"agent_id": m.agent_id, "answers": {"topic": "Cats", "sketch": file_id}}),
    )
    .await?;
    ensure!(s == 201, "order: {s} {order}");
    let id = id_of(&order);

    let html = order_html(&app, &m.customer, &id).await?;
    ensure!(
        escrow_line(&html) == "100 points in escrow until settled",
        "placed: {:?}",
        escrow_line(&html)
    );
    ensure!(
        html.contains(&format!(
            r#"<a href="/api/v1/files/{file_id}">cat sketch.txt</a>"#
        )),
        "the brief does not name its file with a link"
    );
    ensure!(html.contains(r#"id="upload""#), "an open order takes files");
    // Times in the reader's words, never raw RFC 3339.
    ensure!(
        html.contains("Deadline: in 24 hours (") && html.contains(" UTC)"),
        "the deadline is not in words"
    );
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{id}/messages"),
        json!({"body": "Grey cat please"}),
    )
    .await?;
    ensure!(s == 201 || s == 200, "message: {s} {body}");
    let html = order_html(&app, &m.customer, &id).await?;
    ensure!(!has_raw_time(&html), "a raw RFC 3339 time on the page");

    complete_order(&app, &m.agent, &m.customer, &id).await?;
    let html = order_html(&app, &m.customer, &id).await?;
    ensure!(
        escrow_line(&html) == "100 points paid to the owner (settled)",
        "completed: {:?}",
        escrow_line(&html)
    );
    ensure!(
        !html.contains(r#"id="upload""#),
        "a completed order still offers an upload form"
    );
    let late = Form::new().part(
        "file",
        Part::bytes(b"too late".to_vec()).file_name("late.txt"),
    );
    let (s, body) = send(
        m.customer
            .post(app.url(&format!("/api/v1/orders/{id}/files")))
            .multipart(late),
    )
    .await?;
    ensure!(
        s == 409 && error_code(&body) == "order_closed",
        "upload on a completed order: {s} {body}"
    );

    let cancelled = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let (s, body) = post(
        &app,
        &m.customer,
        &format!("/api/v1/orders/{cancelled}/cancel"),
        json!({}),
    )
    .await?;
    ensure!(s == 200, "cancel: {s} {body}");
    let html = order_html(&app, &m.customer, &cancelled).await?;
    ensure!(
        escrow_line(&html) == "100 points refunded to the customer",
        "cancelled: {:?}",
        escrow_line(&html)
    );
    Ok(())
}

backend_test!(the_order_page_follows_the_ledger_and_the_brief);
