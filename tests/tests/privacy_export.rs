//! Right of access: the export archive, read back by GNU tar and Python's tarfile (with the
//! `data` filter), its checksums, its coverage of the data map, and who may download it.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

mod privacy_support;

use anyhow::{Context, Result};
use heepr_compliance::Policies;
use heepr_tests::market::marketplace_footprint;
use heepr_tests::{Backend, TestApp, backend_test, policies_dir};
use privacy_support::*;
use serde_json::Value;

const DAY_MS: i64 = 24 * 3_600_000;

async fn export_archive_is_complete_and_portable(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (alice, account) = app
        .member("Alice Exporter", "alice.exporter@example.com")
        .await?;
    let (bob, _) = app
        .member("Bob Bystander", "bob.bystander@example.com")
        .await?;
    let alice_id = account["id"].as_str().context("id")?.to_string();
    // She was "Alice Exporter" before: the former name is hers too (`former_identifiers`).
    let (s, body) = heepr_tests::market::send(
        alice
            .patch(app.url("/api/v1/me"))
            .json(&serde_json::json!({"display_name": "Alice Exported"})),
    )
    .await?;
    anyhow::ensure!(s == 200, "rename: {s} {body}");

    // Rows in every personal table the shipped data map exports: the marketplace through
    // the HTTP API, as a customer and as an owner (agent, key, events, threads, offers,
    // orders, messages, files, reviews given and received), a consent, ...
    let market = marketplace_footprint(&app, &alice, "Alice's private notes").await?;
    let r = alice
        .post(app.url("/api/v1/me/consents"))
        .json(&serde_json::json!({"purpose": "product_news_email", "action": "given"}))
        .send()
        .await?;
    assert!(r.status().is_success(), "{}", r.text().await?);
    // ... a sign-in identity and a policy-change notice (made by the provider round trip
    // and the publish job, which have their own stories in sign_in_providers.rs and
    // published_policies.rs), ...
    let now = heepr_compliance::Clock::now_ms(&app.clock);
    sqlx::query(
        "INSERT INTO sign_in_identities (id, account_id, provider, subject, email, display_name, profile_json, created_at, last_used_at) \
         VALUES ('identity-1', $1, 'github', 'gh-4711', 'alice.exporter@example.com', 'Alice Exporter', '{\"login\":\"alice\"}', $2, $2)",
    )
    .bind(&alice_id)
    .bind(now)
    .execute(app.pool())
    .await?;
    sqlx::query(
        "INSERT INTO policy_notices (id, policy, version, account_id, email_id, queued_at) \
         VALUES ('notice-1', 'privacy_policy', '2026-05-20', $1, 'queued-1', $2)",
    )
    .bind(&alice_id)
    .bind(now)
    .execute(app.pool())
    .await?;
    // ... and an email still queued, the email log, privacy requests.
    sqlx::query(
        "INSERT INTO email_outbox (id, account_id, recipient, template, subject, body_text, attempts, next_attempt_at, created_at) \
         VALUES ('queued-1', $1, 'alice.exporter@example.com', 'welcome', 'Later', 'Body', 0, $2, $2)",
    )
    .bind(&alice_id)
    .bind(i64::MAX / 2)
    .execute(app.pool())
    .await?;
    app.wait_for_count(
        "SELECT COUNT(*) FROM email_log WHERE account_id = $1",
        &alice_id,
        1,
    )
    .await?;
    // ... an emailed request (its original message is part of what we hold) ...
    let emailed = heepr_core::privacy::mail_intake::Fetched {
        mailbox: "privacy@127.0.0.1:143/INBOX",
        uid_validity: 1,
        uid: 1,
        arrived_at_ms: now,
        raw: b"From: alice.exporter@example.com\r\nSubject: Restriction please\r\n\r\nPlease restrict my data.\r\n",
    };
    heepr_core::privacy::mail_intake::record_message(&app.state, &emailed)
        .await
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    let r = alice
        .post(app.url("/account/privacy/requests"))
        .form(&[("kind", "objection"), ("details", "No profiling, please")])
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    // ... a staff note on that request, and a restriction in force (the export still runs).
    let desk = heepr_compliance::audit::AuditActor::staff("desk-1");
    let objection = latest_request(&app, &alice_id, "objection").await?;
    heepr_core::privacy::requests::notes::add(&app.state, &objection, "Called back", &desk)
        .await
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    heepr_core::privacy::restrictions::place(&app.state, &alice_id, "Contested", None, &desk)
        .await
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    heepr_core::privacy::objections::place(
        &app.state,
        &alice_id,
        heepr_core::privacy::objections::Processing::ProductAnalytics,
        "No profiling, please",
        None,
        &desk,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.public_message()))?;

    let r = alice
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let id = latest_request(&app, &alice_id, "access").await?;
    wait_status(&app, &id, "completed").await?;
    // The completion email (with the dashboard link) was queued or delivered.
    app.wait_for_count(
        "SELECT COUNT(*) FROM (SELECT template FROM email_outbox WHERE account_id = $1 AND template = 'dsr_completed' \
         UNION ALL SELECT template FROM email_log WHERE account_id = $1 AND template = 'dsr_completed') x",
        &alice_id,
        1,
    )
    .await?;

    // Only the signed-in subject may download.
    let anonymous = app.client()?;
    let path = format!("/account/privacy/exports/{id}");
    assert_eq!(anonymous.get(app.url(&path)).send().await?.status(), 401);
    assert_eq!(bob.get(app.url(&path)).send().await?.status(), 404);
    let r = alice.get(app.url(&path)).send().await?;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await?;
    let work = tempfile::tempdir()?;
    let archive = work.path().join("export.tar.gz");
    std::fs::write(&archive, &bytes)?;

    // GNU tar: regular files only, relative names, no `..`.
    let lines = gnu_tar_list(&archive)?;
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(line.starts_with("-rw-r--r--"), "not a plain file: {line}");
        let name = line.rsplit(' ').next().unwrap_or_default();
        assert!(!name.starts_with('/') && !name.contains(".."), "{name}");
    }
    assert!(lines[0].ends_with(" README.txt"), "{}", lines[0]);
    let gnu_dir = work.path().join("gnu");
    gnu_tar_extract(&archive, &gnu_dir)?;
    let manifest = verify_manifest(&gnu_dir)?;
    assert_eq!(manifest["subject_id"], alice_id.as_str());
    assert_eq!(manifest["format_version"], 1);

    // Python's tarfile with the `data` filter accepts it and sees the same files.
    let py_dir = work.path().join("py");
    let names = python_extract(&archive, &py_dir)?;
    assert!(names.contains(&"manifest.json".to_string()));
    verify_manifest(&py_dir)?;

    // Every exported personal column of the data map appears, for every table.
    let policies = Policies::load(&policies_dir())?;
    let mut checked = 0;
    for (table, spec) in &policies.data_map.tables {
        if spec.export == "none" || spec.links.is_empty() {
            continue;
        }
        let section: Value = serde_json::from_slice(&std::fs::read(
            gnu_dir.join(format!("{}.json", spec.export)),
        )?)?;
        let rows = section["tables"][table.as_str()]["rows"]
            .as_array()
            .with_context(|| format!("{table} missing from {}.json", spec.export))?;
        assert!(!rows.is_empty(), "no rows of {table} in the export");
        for (column, _) in spec.exported_columns() {
            assert!(
                rows[0].get(column).is_some(),
                "{table}.{column} missing from the export"
            );
            checked += 1;
        }
        for (column, c) in &spec.columns {
            if !c.exported() {
                assert!(
                    rows[0].get(column.as_str()).is_none(),
                    "{table}.{column} is secret"
                );
            }
        }
    }
    assert!(checked > 30, "only {checked} columns checked");
    // Uploaded files (her own and those of her orders) are inside files/, byte for byte.
    let files: Value = serde_json::from_slice(&std::fs::read(gnu_dir.join("files.json"))?)?;
    let rows = files["tables"]["files"]["rows"]
        .as_array()
        .context("files rows")?;
    let mut seen = Vec::new();
    for row in rows {
        let id = row["id"].as_str().context("file id")?;
        let inside = row["stored_path"].as_str().context("stored_path")?;
        assert!(inside.starts_with("files/"), "{inside}");
        let response = alice
            .get(app.url(&format!("/api/v1/files/{id}")))
            .send()
            .await?;
        assert_eq!(response.status(), 200, "she can download {id}");
        let downloaded = response.bytes().await?;
        assert_eq!(std::fs::read(gnu_dir.join(inside))?, downloaded.as_ref());
        seen.push(id.to_string());
    }
    for id in [
        &market.private_file_id,
        &market.thread_file_id,
        &market.brief_file_id,
    ] {
        assert!(seen.contains(id), "file {id} not exported: {seen:?}");
    }
    assert!(
        rows.iter().any(|r| r["purpose"] == "deliverable"),
        "the deliverable of her order is exported: {rows:?}"
    );
    assert!(
        manifest["missing_files"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{manifest}"
    );
    // Other people appear by display name only, never by email or account id.
    let orders: Value = serde_json::from_slice(&std::fs::read(gnu_dir.join("orders.json"))?)?;
    let order_rows = orders["tables"]["orders"]["rows"]
        .as_array()
        .context("orders rows")?;
    let customer_of = |id: &str| {
        order_rows
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["customer_id"].clone())
    };
    assert_eq!(
        customer_of(&market.bought_order_id),
        Some(serde_json::json!({"you": true}))
    );
    assert_eq!(
        customer_of(&market.sold_order_id),
        Some(serde_json::json!({"display_name": "Cleo Buyer"}))
    );
    let seller_id = account_id(&app, "bob.seller@example.com").await?;
    let buyer_id = account_id(&app, "cleo.buyer@example.com").await?;
    for entry in std::fs::read_dir(&gnu_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path)?;
            for other in [
                "bob.seller@example.com",
                "cleo.buyer@example.com",
                seller_id.as_str(),
                buyer_id.as_str(),
            ] {
                assert!(
                    !text.contains(other),
                    "{other} leaked into {}",
                    path.display()
                );
            }
        }
    }
    let profile = std::fs::read_to_string(gnu_dir.join("profile.json"))?;
    assert!(profile.contains("alice.exporter@example.com"));
    let everything = std::fs::read_to_string(gnu_dir.join("email_log.json"))?
        + &std::fs::read_to_string(gnu_dir.join("technical.json"))?;
    assert!(
        !everything.contains("bob.bystander"),
        "another person leaked"
    );
    let readme = std::fs::read_to_string(gnu_dir.join("README.txt"))?;
    assert!(readme.contains("display_name") && readme.contains("manifest.json"));

    // The link expires after 7 days: 410, and the archive is deleted.
    let stored = app
        .test_db
        .data_dir
        .path()
        .join(format!("exports/{id}.tar.gz"));
    assert!(stored.exists());
    // (in two steps with a visit between, so the session's 7-day idle timeout is not hit)
    app.clock.advance_ms(4 * DAY_MS);
    let page = alice.get(app.url("/account/privacy")).send().await?;
    assert_eq!(page.status(), 200);
    assert!(
        page.text().await?.contains(&format!("href=\"{path}\"")),
        "no download link"
    );
    // The visit's last-seen time is written off the request's path.
    app.flush().await;
    app.clock.advance_ms(3 * DAY_MS + 1);
    assert_eq!(alice.get(app.url(&path)).send().await?.status(), 410);
    assert!(!stored.exists(), "expired archive still on disk");
    Ok(())
}
backend_test!(export_archive_is_complete_and_portable);

async fn unwritable_export_dir_fails_the_request(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (alice, account) = app
        .member("Alice Blocked", "alice.blocked@example.com")
        .await?;
    let alice_id = account["id"].as_str().context("id")?.to_string();
    // A regular file where the export directory should be: it cannot be created.
    std::fs::write(
        app.test_db.data_dir.path().join("exports"),
        b"not a directory",
    )?;
    let r = alice
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let id = latest_request(&app, &alice_id, "access").await?;
    wait_status(&app, &id, "failed").await?;
    let reason: Option<String> =
        sqlx::query_scalar("SELECT status_reason FROM dsr_requests WHERE id = $1")
            .bind(&id)
            .fetch_one(app.pool())
            .await?;
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("exports"), "cause not named: {reason}");
    let success_emails = app
        .count(
            "SELECT COUNT(*) FROM email_outbox WHERE account_id = $1 AND template = 'dsr_completed'",
            &alice_id,
        )
        .await?
        + app
            .count(
                "SELECT COUNT(*) FROM email_log WHERE account_id = $1 AND template = 'dsr_completed'",
                &alice_id,
            )
            .await?;
    assert_eq!(
        success_emails, 0,
        "a success email went out for a failed export"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM export_archives WHERE request_id = $1",
            &id
        )
        .await?,
        0
    );
    Ok(())
}
backend_test!(unwritable_export_dir_fails_the_request);

async fn export_interrupted_by_a_crash_is_run_again(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (_c, account) = app.member("Carl Crash", "carl.crash@example.com").await?;
    let carl = account["id"].as_str().context("id")?.to_string();
    // A worker claimed this export and died: its lease has expired, a partial file remains.
    let now = heepr_compliance::Clock::now_ms(&app.clock);
    sqlx::query(
        "INSERT INTO dsr_requests (id, account_id, kind, status, channel, received_at, due_at, extended_months, \
         verified_at, created_by, job_requested_at, locked_until, updated_at) \
         VALUES ('crashed-1', $1, 'access', 'in_progress', 'cli', $2, $3, 0, $2, 'cli', $2, $4, $2)",
    )
    .bind(&carl)
    .bind(now)
    .bind(now + 30 * DAY_MS)
    .bind(now - 1)
    .execute(app.pool())
    .await?;
    let exports = app.test_db.data_dir.path().join("exports");
    std::fs::create_dir_all(&exports)?;
    std::fs::write(
        exports.join(".crashed-1.tar.gz.partial"),
        b"half an archive",
    )?;
    app.state.privacy_wakeup.notify_one();
    wait_status(&app, "crashed-1", "completed").await?;
    assert!(exports.join("crashed-1.tar.gz").exists());
    assert!(!exports.join(".crashed-1.tar.gz.partial").exists());
    let names = gnu_tar_list(&exports.join("crashed-1.tar.gz"))?;
    assert!(names.iter().any(|n| n.ends_with(" manifest.json")));
    Ok(())
}
backend_test!(export_interrupted_by_a_crash_is_run_again);

backend_test!(already_compressed_files_are_stored_not_deflated_again);
/// An upload that does not compress (a photo, a video: here random bytes) goes into the
/// archive in a level-0 gzip member (stored deflate blocks), text in deflated members: one
/// `.tar.gz` GNU tar and Python's tarfile read as before, with every file intact.
async fn already_compressed_files_are_stored_not_deflated_again(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (alice, account) = app
        .member("Alice Photos", "alice.photos@example.com")
        .await?;
    let alice_id = account["id"].as_str().context("id")?.to_string();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let photo: Vec<u8> = (0..1_500_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let notes = "Meeting notes, again and again. ".repeat(20_000);
    for (name, bytes) in [
        ("photo.jpg", photo.clone()),
        ("notes.txt", notes.clone().into_bytes()),
    ] {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        let r = alice
            .post(app.url("/api/v1/files"))
            .multipart(form)
            .send()
            .await?;
        assert_eq!(r.status(), 201, "{}", r.text().await?);
    }
    let r = alice
        .post(app.url("/account/privacy/export"))
        .send()
        .await?;
    assert_eq!(r.status(), 303);
    let id = latest_request(&app, &alice_id, "access").await?;
    wait_status(&app, &id, "completed").await?;
    let bytes = alice
        .get(app.url(&format!("/account/privacy/exports/{id}")))
        .send()
        .await?
        .bytes()
        .await?;
    let work = tempfile::tempdir()?;
    let archive = work.path().join("export.tar.gz");
    std::fs::write(&archive, &bytes)?;
    let gnu = work.path().join("gnu");
    gnu_tar_extract(&archive, &gnu)?;
    verify_manifest(&gnu)?;
    let py = work.path().join("py");
    python_extract(&archive, &py)?;
    verify_manifest(&py)?;
    // The members, and how many begin with a stored deflate block (BTYPE 00).
    let script = r"import sys, zlib
data = open(sys.argv[1], 'rb').read()
members = stored = 0
while data:
    assert data[:2] == b'\x1f\x8b' and data[3] == 0, 'plain gzip header'
    stored += (data[10] >> 1) & 3 == 0
    d = zlib.decompressobj(31)
    d.decompress(data)
    data = d.unused_data
    members += 1
print(members, stored)
";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&archive)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = String::from_utf8(out.stdout)?;
    let mut it = counts.split_whitespace().map(str::parse::<usize>);
    let (members, stored) = (
        it.next().context("members")??,
        it.next().context("stored")??,
    );
    anyhow::ensure!(
        members >= 3 && stored >= 1,
        "members {members}, stored {stored}"
    );
    // The text is still deflated: the archive is far smaller than photo + notes.
    anyhow::ensure!(
        bytes.len() < photo.len() + notes.len() / 4,
        "archive {} bytes",
        bytes.len()
    );
    Ok(())
}
