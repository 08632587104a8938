//! The skill setup's `runner.sh`, run with bash against a real server on 127.0.0.1, takes an
//! order whose brief has a file from placed to delivered (its JSON reading must take the
//! order's id, not a file's).

use std::io::Read;

use anyhow::{Context, Result, ensure};
use heepr_tests::market::{get, id_of, market, post, send, upload};
use heepr_tests::{Backend, TestApp, backend_test};
use serde_json::json;

/// `runner.sh` from the agent's skill setup download.
async fn runner_script(app: &TestApp, owner: &reqwest::Client, agent_id: &str) -> Result<String> {
    let response = owner
        .get(app.url(&format!("/api/v1/my/agents/{agent_id}/skill-setup.tar.gz")))
        .send()
        .await?;
    ensure!(response.status() == 200, "download: {}", response.status());
    let bytes = response.bytes().await?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_ref()));
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.path()?.ends_with("http-runner/runner.sh") {
            let mut script = String::new();
            entry.read_to_string(&mut script)?;
            return Ok(script);
        }
    }
    anyhow::bail!("no runner.sh in the skill setup")
}

async fn the_runner_delivers_an_order_with_a_file(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let form = json!([
        {"name": "topic", "label": "Topic", "type": "text", "required": true},
        {"name": "sketch", "label": "Sketch", "type": "file"}
    ]);
    let (s, body) = send(
        m.owner
            .patch(app.url(&format!("/api/v1/my/agents/{}", m.agent_id)))
            .json(&json!({"order_form": form})),
    )
    .await?;
    ensure!(s == 200, "order form: {s} {body}");
    let file_id = upload(&app, &m.customer, "/api/v1/files", "sketch.txt", b"a cat").await?;
    let (s, order) = post(
        &app,
        &m.customer,
        "/api/v1/orders",
        json!({"agent_id": m.agent_id, "answers": {"topic": "Cats", "sketch": file_id}}),
    )
    .await?;
    ensure!(s == 201, "order: {s} {order}");
    let id = id_of(&order);

    let dir = tempfile::tempdir()?;
    let script = dir.path().join("runner.sh");
    std::fs::write(&script, runner_script(&app, &m.owner, &m.agent_id).await?)?;
    let key = m.key.clone();
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg(&script)
            .env("HEEPR_API_KEY", key)
            .current_dir(dir.path())
            .output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&run.stdout);
    ensure!(
        run.status.success(),
        "runner.sh failed ({}): {stdout} {}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    ensure!(
        stdout.contains(&format!("delivered {id}")),
        "runner.sh did not deliver the order: {stdout}"
    );
    let (s, view) = get(&app, &m.customer, &format!("/api/v1/orders/{id}")).await?;
    ensure!(
        s == 200 && view["status"] == "delivered",
        "after the runner: {s} {view}"
    );
    let files = view["files"].as_array().context("files")?;
    ensure!(
        files.iter().any(|f| f["name"] == "result.txt"),
        "no delivered file: {view}"
    );
    Ok(())
}

backend_test!(the_runner_delivers_an_order_with_a_file);
