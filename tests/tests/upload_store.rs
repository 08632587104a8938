//! The upload store: uploads stream through a staging file (no copy in memory, nothing left
//! behind when refused), downloads stream back byte for byte, and files no record names are
//! pruned after a day (rule `unrecorded_files`: an upload whose request failed after its bytes
//! were stored, or a partial upload a killed process left, was kept forever and found by no
//! erasure).

use anyhow::{Context, Result, ensure};
use heepr_compliance::clock::DAY_MS;
use heepr_core::runtime::scheduler;
use heepr_tests::market::{market, send};
use heepr_tests::{Backend, TestApp, backend_test};
use reqwest::multipart::{Form, Part};
use sha2::{Digest, Sha256};

fn staging_files(app: &TestApp) -> Result<usize> {
    let dir = app.test_db.data_dir.path().join("files/tmp");
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries.count()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e.into()),
    }
}

backend_test!(a_large_upload_streams_in_and_out_intact_and_leaves_no_staging_file);
async fn a_large_upload_streams_in_and_out_intact_and_leaves_no_staging_file(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn_with(&backend, |s| s.upload_limit_bytes = 4 * 1024 * 1024).await?;
    let m = market(&app).await?;
    // 3 MiB that are not UTF-8 throughout (a multi-byte character split across chunks
    // would be text; a lone 0xFF is not).
    let mut bytes: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    bytes[2 * 1024 * 1024] = 0xFF;
    let form = Form::new().part("file", Part::bytes(bytes.clone()).file_name("data.bin"));
    let (status, body) = send(m.customer.post(app.url("/api/v1/files")).multipart(form)).await?;
    ensure!(status == 201, "{status} {body}");
    let file = &body["files"][0];
    assert_eq!(file["size_bytes"], bytes.len());
    assert_eq!(file["mime_type"], "application/octet-stream");
    let id = file["id"].as_str().context("id")?;
    let back = m
        .customer
        .get(app.url(&format!("/api/v1/files/{id}")))
        .send()
        .await?;
    assert_eq!(
        back.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some(bytes.len().to_string().as_str())
    );
    let served = back.bytes().await?;
    assert_eq!(
        Sha256::digest(&served),
        Sha256::digest(&bytes),
        "served intact"
    );
    // UTF-8 text whose characters straddle chunk boundaries is still text.
    let text = "żółć ".repeat(200_000);
    let form = Form::new().part(
        "file",
        Part::bytes(text.into_bytes()).file_name("notes.txt"),
    );
    let (status, body) = send(m.customer.post(app.url("/api/v1/files")).multipart(form)).await?;
    ensure!(status == 201, "{status} {body}");
    assert_eq!(body["files"][0]["mime_type"], "text/plain");
    // Refused: over the limit (by one byte, so the server has read nearly all of it when it
    // answers; a refusal that closes the connection before the client finished sending is a
    // refusal too). Nothing of it stays in the staging directory.
    let big = vec![b'a'; 4 * 1024 * 1024 + 1];
    let form = Form::new().part("file", Part::bytes(big).file_name("big.txt"));
    let sent = m
        .customer
        .post(app.url("/api/v1/files"))
        .multipart(form)
        .send()
        .await;
    if let Ok(response) = sent {
        let status = response.status().as_u16();
        ensure!(status == 422 || status == 413, "{status}");
    }
    assert_eq!(staging_files(&app)?, 0, "no staging file is left behind");
    // Bytes already at the content's path but of another size (truncated by a full disk,
    // tampered with) are replaced by the upload, not served in its place.
    let fresh = b"the real contents of this brief".to_vec();
    let sha = hex::encode(Sha256::digest(&fresh));
    let at = app
        .test_db
        .data_dir
        .path()
        .join(format!("files/{}/{sha}", &sha[..2]));
    std::fs::create_dir_all(at.parent().context("parent")?)?;
    std::fs::write(&at, b"CORRUPT")?;
    let form = Form::new().part("file", Part::bytes(fresh.clone()).file_name("brief.txt"));
    let (status, body) = send(m.customer.post(app.url("/api/v1/files")).multipart(form)).await?;
    ensure!(status == 201, "{status} {body}");
    let id = body["files"][0]["id"].as_str().context("id")?;
    let served = m
        .customer
        .get(app.url(&format!("/api/v1/files/{id}")))
        .send()
        .await?
        .bytes()
        .await?;
    assert_eq!(
        served.as_ref(),
        fresh.as_slice(),
        "the damaged copy was replaced"
    );
    // Not multipart at all: a JSON error like every other API refusal, not plain text.
    let (status, body) = send(
        m.customer
            .post(app.url("/api/v1/files"))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await?;
    ensure!(status == 415, "{status} {body}");
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    Ok(())
}

backend_test!(files_no_record_names_are_pruned_after_a_day);
async fn files_no_record_names_are_pruned_after_a_day(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let form = Form::new().part("file", Part::bytes(b"kept".to_vec()).file_name("kept.txt"));
    let (status, body) = send(m.customer.post(app.url("/api/v1/files")).multipart(form)).await?;
    ensure!(status == 201, "{status} {body}");
    let data = app.test_db.data_dir.path();
    let kept: String = sqlx::query_scalar("SELECT stored_path FROM files LIMIT 1")
        .fetch_one(app.pool())
        .await?;
    let orphan =
        data.join("files/ab/ab00000000000000000000000000000000000000000000000000000000000000");
    let partial = data.join("files/tmp/killed-upload");
    // An export archive whose row a restore rolled back (or whose account it dropped).
    let archive = data.join("exports/01a2-rolled-back.tar.gz");
    let fresh =
        data.join("files/cd/cd00000000000000000000000000000000000000000000000000000000000000");
    for path in [&orphan, &partial, &fresh, &archive] {
        std::fs::create_dir_all(path.parent().context("parent")?)?;
        std::fs::write(path, b"Carl's brief, never recorded")?;
    }
    let two_days_ago =
        std::time::SystemTime::now() - std::time::Duration::from_millis(2 * DAY_MS as u64);
    for path in [&orphan, &partial, &archive, &data.join(&kept)] {
        std::fs::File::options()
            .write(true)
            .open(path)?
            .set_modified(two_days_ago)?;
    }
    let now = heepr_compliance::Clock::now_ms(&heepr_compliance::SystemClock);
    scheduler::run_rule(&app.state, &app.state.policies, "unrecorded_files", now).await;
    ensure!(!orphan.exists(), "bytes no record names go after a day");
    ensure!(!partial.exists(), "a partial upload left by a crash goes");
    ensure!(!archive.exists(), "an export archive no record names goes");
    ensure!(
        fresh.exists(),
        "a file stored a moment ago (its row not yet committed) stays"
    );
    ensure!(
        data.join(&kept).exists(),
        "a recorded file stays, however old"
    );
    let affected: i64 = sqlx::query_scalar(
        "SELECT rows_affected FROM retention_runs WHERE rule = 'unrecorded_files' ORDER BY started_at DESC LIMIT 1",
    )
    .fetch_one(app.pool())
    .await?;
    assert_eq!(affected, 3, "the run is on record");
    Ok(())
}

backend_test!(a_stalled_upload_is_refused_and_leaves_nothing);
/// A client that sends the headers and part of a body, then nothing (slowloris), is
/// answered 408 after the idle timeout and its staging file deleted (it used to hold the
/// connection and the file for as long as the client liked).
async fn a_stalled_upload_is_refused_and_leaves_nothing(backend: Backend) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(&backend, |s| {
        s.upload_idle_timeout = std::time::Duration::from_millis(500);
    })
    .await?;
    // Carl, the customer of the market, signs in for the raw request's cookie.
    market(&app).await?;
    // A session cookie for the raw request: the customer's, read from a fresh login.
    let login = reqwest::Client::new()
        .post(app.url("/api/v1/sessions"))
        .json(&serde_json::json!({"email": "carl@example.com", "password": heepr_tests::DEFAULT_PASSWORD}))
        .send()
        .await?;
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await?;
    let head = format!(
        "POST /api/v1/files HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 1000000\r\n\r\n--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.bin\"\r\n\r\nsome bytes, then nothing",
        app.base
    );
    stream.write_all(head.as_bytes()).await?;
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(20), stream.read(&mut answer))
        .await
        .context("the server answers a stalled upload")??;
    let text = String::from_utf8_lossy(&answer[..n]);
    ensure!(text.starts_with("HTTP/1.1 408"), "{text}");
    ensure!(text.contains("request_timeout"), "{text}");
    assert_eq!(staging_files(&app)?, 0, "its staging file is gone");
    Ok(())
}

backend_test!(a_file_whose_content_is_gone_answers_410_not_500);
/// Regression (fresh tester): after a backup restore, file records pointed at content an
/// erasure had deleted since, and downloading them answered 500. A record whose bytes are
/// gone answers 410 with the reason.
async fn a_file_whose_content_is_gone_answers_410_not_500(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let form = Form::new().part(
        "file",
        Part::bytes(b"soon gone".to_vec()).file_name("a.txt"),
    );
    let (status, body) = send(m.customer.post(app.url("/api/v1/files")).multipart(form)).await?;
    ensure!(status == 201, "{status} {body}");
    let id = body["files"][0]["id"].as_str().context("id")?.to_owned();
    let stored: String = sqlx::query_scalar("SELECT stored_path FROM files WHERE id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await?;
    std::fs::remove_file(app.test_db.data_dir.path().join(stored))?;
    let (status, body) = send(m.customer.get(app.url(&format!("/api/v1/files/{id}")))).await?;
    ensure!(status == 410, "{status} {body}");
    ensure!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no longer stored")),
        "{body}"
    );
    Ok(())
}
