//! Files: briefs as order form answers, deliverables, storage by content hash under the data
//! dir, sniffed MIME types, safe downloads for parties only, and refused uploads (empty,
//! oversized, path or control characters in the name) that change nothing.

use anyhow::{Result, ensure};
use heepr_tests::market::{bearer, deliver, get, id_of, issue_key, market, post, send};
use heepr_tests::{Backend, TestApp, backend_test};
use reqwest::multipart::{Form, Part};
use serde_json::json;

/// A tiny valid PNG (1x1).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

fn one_file(bytes: &[u8], name: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    )
}

async fn briefs_and_deliverables(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    // Give the form a file field.
    let form = json!([
        {"name": "topic", "label": "Topic", "type": "text", "required": true},
        {"name": "sketch", "label": "Sketch", "type": "file", "required": true}
    ]);
    let (s, body) = send(
        m.owner
            .patch(app.url(&format!("/api/v1/my/agents/{}", m.agent_id)))
            .json(&json!({"order_form": form})),
    )
    .await?;
    ensure!(s == 200, "{s} {body}");
    // Upload a PNG named .txt: the type is sniffed, not trusted.
    let (s, up) = send(
        m.customer
            .post(app.url("/api/v1/files"))
            .multipart(one_file(PNG, "sketch.txt")),
    )
    .await?;
    ensure!(
        s == 201 && up["files"][0]["mime_type"] == "image/png",
        "{s} {up}"
    );
    let file_id = id_of(&up["files"][0]);
    // Someone else's upload cannot be used as an answer.
    let (other, _) = app.member("Otto Other", "otto@example.com").await?;
    let (s, body) = post(
        &app,
        &other,
        "/api/v1/orders",
        json!({"agent_id": m.agent_id, "answers": {"topic": "x", "sketch": file_id}}),
    )
    .await?;
    ensure!(s == 422, "{s} {body}");
    let (s, order) = post(
        &app,
        &m.customer,
        "/api/v1/orders",
        json!({"agent_id": m.agent_id, "answers": {"topic": "Cats", "sketch": file_id}}),
    )
    .await?;
    ensure!(
        s == 201 && order["files"][0]["purpose"] == "brief",
        "{s} {order}"
    );
    let id = id_of(&order);

    // Stored once by content hash under DATA_DIR/files, outside any web root.
    let sha: String = sqlx::query_scalar("SELECT content_sha256 FROM files WHERE id = $1")
        .bind(&file_id)
        .fetch_one(app.pool())
        .await?;
    let on_disk = app
        .test_db
        .data_dir
        .path()
        .join("files")
        .join(&sha[..2])
        .join(&sha);
    ensure!(std::fs::read(&on_disk)? == PNG, "{}", on_disk.display());

    // The owner and the agent download it with safe headers.
    for (client, path) in [
        (&m.owner, format!("/api/v1/files/{file_id}")),
        (&m.agent, format!("/api/v1/agent/files/{file_id}")),
    ] {
        let response = client.get(app.url(&path)).send().await?;
        ensure!(response.status() == 200);
        let h = response.headers().clone();
        ensure!(h["content-type"] == "image/png", "{h:?}");
        ensure!(h["x-content-type-options"] == "nosniff", "{h:?}");
        ensure!(
            h["content-disposition"]
                .to_str()?
                .starts_with("attachment; filename=\"sketch.txt\""),
            "{h:?}"
        );
        ensure!(response.bytes().await?.as_ref() == PNG);
    }
    let (s, _) = get(&app, &other, &format!("/api/v1/files/{file_id}")).await?;
    ensure!(s == 404);

    // Deliverables arrive with the delivery, visible to the customer.
    send(
        m.agent
            .post(app.url(&format!("/api/v1/agent/orders/{id}/accept"))),
    )
    .await?;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let delivery = Form::new().text("note", "Done").part(
        "file",
        Part::bytes(pdf.to_vec()).file_name("report \"final\".pdf"),
    );
    let (s, delivered) = send(
        m.agent
            .post(app.url(&format!("/api/v1/agent/orders/{id}/deliveries")))
            .multipart(delivery),
    )
    .await?;
    ensure!(s == 200, "{s} {delivered}");
    let deliverable = delivered["files"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["purpose"] == "deliverable"))
        .cloned()
        .unwrap_or_default();
    ensure!(deliverable["mime_type"] == "application/pdf", "{delivered}");
    let response = m
        .customer
        .get(app.url(&format!("/api/v1/files/{}", id_of(&deliverable))))
        .send()
        .await?;
    let disposition = response.headers()["content-disposition"]
        .to_str()?
        .to_owned();
    ensure!(
        disposition
            == "attachment; filename=\"report _final_.pdf\"; filename*=UTF-8''report%20%22final%22.pdf",
        "{disposition}"
    );
    Ok(())
}
backend_test!(briefs_and_deliverables);

async fn bad_uploads_are_refused(backend: Backend) -> Result<()> {
    let app = TestApp::spawn_with(&backend, |s| s.upload_limit_bytes = 1024).await?;
    let m = market(&app).await?;
    let id = id_of(&heepr_tests::market::place_order(&app, &m.customer, &m.agent_id).await?);
    let cases: Vec<(Form, u16, &str)> = vec![
        (one_file(b"", "empty.txt"), 422, "file"),
        (one_file(&[b'a'; 1025], "big.txt"), 422, "file"),
        (one_file(b"x", "../../etc/passwd"), 422, "file_name"),
        (one_file(b"x", "dir\\evil.txt"), 422, "file_name"),
        (one_file(b"x", "tab\there.txt"), 422, "file_name"),
        // Other control characters cannot even pass the multipart header parser.
        (one_file(b"x", "bell\u{7}.txt"), 400, ""),
        (Form::new().text("note", "no file"), 422, "file"),
        (
            (0..11).fold(Form::new(), |f, i| {
                f.part(
                    "file",
                    Part::bytes(b"x".to_vec()).file_name(format!("f{i}.txt")),
                )
            }),
            422,
            "file",
        ),
        (
            (0..51).fold(Form::new(), |f, i| f.text(format!("t{i}"), "x")),
            422,
            "body",
        ),
    ];
    for (form, status, field) in cases {
        let (s, body) = send(
            m.customer
                .post(app.url(&format!("/api/v1/orders/{id}/files")))
                .multipart(form),
        )
        .await?;
        ensure!(
            s == status && (field.is_empty() || body["error"]["field"] == field),
            "{field}: {s} {body}"
        );
    }
    let (s, _) = send(
        m.customer
            .post(app.url("/api/v1/files"))
            .multipart(one_file(&[b'a'; 1024], "exactly.txt")),
    )
    .await?;
    ensure!(s == 201, "exactly the limit is accepted");
    // A refused delivery changes nothing: the order stays in progress.
    send(
        m.agent
            .post(app.url(&format!("/api/v1/agent/orders/{id}/accept"))),
    )
    .await?;
    let (s, _) = send(
        m.agent
            .post(app.url(&format!("/api/v1/agent/orders/{id}/deliveries")))
            .multipart(one_file(b"", "empty.txt")),
    )
    .await?;
    ensure!(s == 422);
    let (_, o) = get(&app, &m.customer, &format!("/api/v1/orders/{id}")).await?;
    ensure!(
        o["status"] == "in_progress" && o["files"].as_array().is_some_and(Vec::is_empty),
        "{o}"
    );
    ensure!(
        app.count("SELECT COUNT(*) FROM files WHERE order_id = $1", &id)
            .await?
            == 0
    );
    // A valid delivery still works afterwards.
    let (s, _) = deliver(&app, &m.agent, &id).await?;
    ensure!(s == 200);
    let key2 = issue_key(&app, &m.owner, &m.agent_id).await?;
    let (s, _) = get(&app, &bearer(&key2)?, &format!("/api/v1/agent/orders/{id}")).await?;
    ensure!(s == 200);
    Ok(())
}
backend_test!(bad_uploads_are_refused);
