//! Right of access: the export archive, read back by GNU tar and Python's tarfile (with the
//! `data` filter), its checksums, its coverage of the data map, and who may download it.

mod privacy_support;

use anyhow::{Context, Result};
use heepr_compliance::Policies;
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

    // Rows in every personal table the shipped data map exports.
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
    let r = alice
        .post(app.url("/account/privacy/requests"))
        .form(&[("kind", "objection"), ("details", "No profiling, please")])
        .send()
        .await?;
    assert_eq!(r.status(), 303);

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
    assert_eq!(
        alice
            .get(app.url("/account/privacy"))
            .send()
            .await?
            .status(),
        200
    );
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
