//! Backups: create, catalog, verify by test restore, 30-day rotation, restore, refusals.

use anyhow::{Context, Result};
use heepr_compliance::backup::{self, BackupError};
use heepr_compliance::clock::DAY_MS;
use heepr_tests::{Backend, TestDb, backend_test};

async fn account_count(db: &TestDb) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(db.db.pool())
        .await?)
}

backend_test!(backup_is_catalogued_verified_and_restored);
async fn backup_is_catalogued_verified_and_restored(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let dir = db.data_dir.path().join("backups");
    db.insert_account("before@example.com").await?;
    let now = 1_800_000_000_000;
    let entry = backup::create(&db.db, &db.url, &dir, now).await?;
    assert!(entry.size_bytes > 0 && entry.sha256.len() == 64);
    assert!(entry.schema_version >= 20261129000001);
    let catalog = backup::read_catalog(&dir)?;
    assert_eq!(catalog.backups, vec![entry.clone()]);
    assert!(!std::fs::read_dir(&dir)?.any(|f| {
        f.map(|f| f.file_name().to_string_lossy().ends_with(".partial"))
            .unwrap_or(true)
    }));

    let verified = backup::verify(&dir, &entry.id, &db.url, now + 1).await?;
    assert_eq!(verified.id, entry.id);
    assert_eq!(
        backup::read_catalog(&dir)?.backups[0].verified_at_ms,
        Some(now + 1)
    );

    // After the backup someone signs up; restoring brings the database back to the backup.
    db.insert_account("after@example.com").await?;
    assert_eq!(account_count(&db).await?, 2);
    let known = heepr_core::platform::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .context("migrations")?;
    let restored = backup::restore(&dir, &entry.id, &db.url, db.db.backend(), known).await?;
    assert_eq!(restored.id, entry.id);
    let reopened = heepr_compliance::Db::connect(&db.url, 1).await?;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM accounts")
        .fetch_all(reopened.pool())
        .await?;
    assert_eq!(ids, vec!["before@example.com"]);
    Ok(())
}

backend_test!(a_damaged_or_newer_backup_is_never_restored);
async fn a_damaged_or_newer_backup_is_never_restored(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let dir = db.data_dir.path().join("backups");
    let entry = backup::create(&db.db, &db.url, &dir, 1_800_000_000_000).await?;
    db.insert_account("keep@example.com").await?;

    let err = backup::restore(
        &dir,
        &entry.id,
        &db.url,
        db.db.backend(),
        entry.schema_version - 1,
    )
    .await
    .err();
    assert!(
        matches!(err, Some(BackupError::NewerSchema { .. })),
        "{err:?}"
    );

    let path = dir.join(&entry.file);
    let mut bytes = std::fs::read(&path)?;
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes)?;
    let err = backup::verify(&dir, &entry.id, &db.url, 0).await.err();
    assert!(
        matches!(err, Some(BackupError::ChecksumMismatch { .. })),
        "{err:?}"
    );
    let err = backup::restore(&dir, &entry.id, &db.url, db.db.backend(), i64::MAX)
        .await
        .err();
    assert!(
        matches!(err, Some(BackupError::ChecksumMismatch { .. })),
        "{err:?}"
    );
    assert_eq!(account_count(&db).await?, 1, "nothing was touched");

    let err = backup::verify(&dir, "nope", &db.url, 0).await.err();
    assert!(
        err.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("no backup \"nope\"")
    );
    Ok(())
}

backend_test!(rotation_keeps_exactly_thirty_days);
async fn rotation_keeps_exactly_thirty_days(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let dir = db.data_dir.path().join("backups");
    let policies = heepr_compliance::Policies::load(&heepr_tests::policies_dir())?;
    let now = 1_800_000_000_000;
    let mut taken = Vec::new();
    for age_days in [45, 31, 30, 29, 0] {
        let at = now - age_days * DAY_MS;
        let offset = if age_days == 31 { 1 } else { 0 };
        taken.push((
            age_days,
            backup::create(&db.db, &db.url, &dir, at - offset).await?,
        ));
    }
    // Withdrawal-ledger lines older than every kept backup (less a day's margin) go with
    // the backups that could need them.
    use heepr_compliance::withdrawal_ledger::{self, Withdrawal};
    let revoked_at = |days: i64| Withdrawal::ApiKeyRevoked {
        key_id: format!("key-{days}"),
        at: now - days * DAY_MS,
    };
    for days in [45, 31, 10] {
        withdrawal_ledger::append(db.data_dir.path(), &revoked_at(days))?;
    }
    let removed =
        heepr_core::privacy::retention::rotate_backups(&policies, &dir, db.data_dir.path(), now)?;
    assert_eq!(
        withdrawal_ledger::read(db.data_dir.path())?,
        vec![revoked_at(31), revoked_at(10)],
        "the oldest kept backup is 30 days old: a line 31 days old is within the margin"
    );
    let removed_ids: Vec<&str> = removed.iter().map(|b| b.id.as_str()).collect();
    let expect_removed: Vec<&str> = taken
        .iter()
        .filter(|(d, _)| *d > 30)
        .map(|(_, b)| b.id.as_str())
        .collect();
    assert_eq!(removed_ids, expect_removed);
    let kept: Vec<String> = backup::read_catalog(&dir)?
        .backups
        .into_iter()
        .map(|b| b.id)
        .collect();
    let expect_kept: Vec<String> = taken
        .iter()
        .filter(|(d, _)| *d <= 30)
        .map(|(_, b)| b.id.clone())
        .collect();
    assert_eq!(kept, expect_kept, "a backup exactly 30 days old is kept");
    for (_, b) in taken.iter().filter(|(d, _)| *d > 30) {
        assert!(!dir.join(&b.file).exists());
    }
    Ok(())
}

backend_test!(restore_re_applies_erasures_made_after_the_backup);
async fn restore_re_applies_erasures_made_after_the_backup(backend: Backend) -> Result<()> {
    let app = heepr_tests::TestApp::spawn(&backend).await?;
    let (_, account) = app.member("Erin Erased", "erin.erased@example.com").await?;
    let erin = account["id"].as_str().context("id")?.to_string();
    let (kim, _) = app.member("Kim Kept", "kim.kept@example.com").await?;
    // Kim's own note naming Erin: the erasure replaces it by a redacted copy.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"Call Erin Erased back".to_vec()).file_name("todo.txt"),
    );
    let uploaded: serde_json::Value = kim
        .post(app.url("/api/v1/files"))
        .multipart(form)
        .send()
        .await?
        .json()
        .await?;
    let note = uploaded["files"][0]["id"]
        .as_str()
        .context("file id")?
        .to_owned();
    let dir = app.test_db.data_dir.path().join("backups");
    let entry = backup::create(&app.state.db, &app.test_db.url, &dir, app.clock_now()).await?;

    // After the backup, Erin is erased; so is Nell, who signed up after it.
    let (_, nell) = app.member("Nell Newer", "nell.newer@example.com").await?;
    let nell = nell["id"].as_str().context("id")?.to_string();
    let policies = heepr_compliance::Policies::load(&heepr_tests::policies_dir())?;
    for (who, at) in [(&nell, 500), (&erin, 1_000)] {
        let job = heepr_compliance::erasure::ErasureJob {
            map: &policies.data_map,
            account_id: who,
            request_id: None,
            actor: "test",
            data_dir: app.test_db.data_dir.path(),
            batch_rows: 100,
            stop_after_batches: None,
        };
        heepr_compliance::erasure::run(&app.state.db, &job, app.clock_now() + at).await?;
    }
    let before = pseudonym_of(app.pool(), &erin).await?;
    let present = |pool: sqlx::AnyPool| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM accounts WHERE email = 'erin.erased@example.com'",
        )
        .fetch_one(&pool)
        .await
    };
    assert_eq!(present(app.pool().clone()).await?, 0);

    // Restoring the older backup alone would bring her back; the replay erases her again.
    let known = heepr_core::platform::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .context("migrations")?;
    backup::restore(
        &dir,
        &entry.id,
        &app.test_db.url,
        app.state.db.backend(),
        known,
    )
    .await?;
    let reopened = heepr_compliance::Db::connect(&app.test_db.url, 2).await?;
    assert_eq!(
        present(reopened.pool().clone()).await?,
        1,
        "the backup predates the erasure"
    );
    // Regression (fresh tester): the ledger's entry for Nell, whom the backup never had,
    // failed the restore on a foreign key, for good (every retry failed the same way).
    let replayed = heepr_core::privacy::restore::after_restore(
        &reopened,
        &policies,
        app.test_db.data_dir.path(),
        entry.created_at_ms,
    )
    .await?;
    assert_eq!(replayed, 1, "Erin again; Nell was never in the backup");
    assert_eq!(present(reopened.pool().clone()).await?, 0);
    // Regression: the replayed erasure's ledger row and pseudonym said the person was
    // erased when the backup was restored, not when they were.
    let times: (i64, i64) = sqlx::query_as(
        "SELECT l.erased_at, p.created_at FROM erasure_ledger l \
         JOIN pseudonyms p ON p.account_id = l.account_id WHERE l.account_id = $1",
    )
    .bind(&erin)
    .fetch_one(reopened.pool())
    .await?;
    let erased_at = app.clock_now() + 1_000;
    assert_eq!(
        times,
        (erased_at, erased_at),
        "the erasure's own time is kept"
    );
    // Regression (fresh tester): Kim's note, restored, pointed at the original bytes the
    // erasure had deleted (downloads answered 500, then 410); it points at the redacted copy.
    let stored: String = sqlx::query_scalar("SELECT stored_path FROM files WHERE id = $1")
        .bind(&note)
        .fetch_one(reopened.pool())
        .await?;
    let text = std::fs::read_to_string(app.test_db.data_dir.path().join(&stored))
        .context("the restored row's content is stored")?;
    assert!(text.starts_with("Call Former member "), "{text}");
    // Regression: every replay appended the erasure to the ledger file again.
    let lines = heepr_compliance::erasure_ledger::read_file(app.test_db.data_dir.path())?;
    assert_eq!(
        lines.iter().filter(|e| e.account_id == erin).count(),
        1,
        "one ledger line per erased person, however often it is replayed"
    );
    // Regression: the replay drew a new pseudonym, so records signed "Former member 3F2A"
    // before the restore were signed by another name after it.
    assert_eq!(
        pseudonym_of(reopened.pool(), &erin).await?,
        before,
        "the same pseudonym as before the restore"
    );
    let kim: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email = 'kim.kept@example.com'")
            .fetch_one(reopened.pool())
            .await?;
    assert_eq!(kim, 1, "nobody else is touched");
    // Replaying again changes nothing.
    assert_eq!(
        heepr_core::privacy::restore::after_restore(
            &reopened,
            &policies,
            app.test_db.data_dir.path(),
            entry.created_at_ms
        )
        .await?,
        0
    );
    Ok(())
}

/// The pseudonym written over `account_id`'s account row.
async fn pseudonym_of(pool: &sqlx::AnyPool, account_id: &str) -> Result<String> {
    let name: String = sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(pool)
        .await?;
    anyhow::ensure!(name.starts_with("Former member "), "{name}");
    Ok(name)
}

/// Runs `heepr backup <args> --backup-dir <dir>` in-process (the real clap definition).
async fn heepr_backup(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> Result<u8> {
    let backup_dir = dir.display().to_string();
    let mut argv = vec!["backup"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--backup-dir", &backup_dir]);
    heepr_tests::heepr_with(db, db.data_dir.path(), &argv).await
}

fn catalog_ids(dir: &std::path::Path) -> Result<Vec<String>> {
    Ok(backup::read_catalog(dir)?
        .backups
        .into_iter()
        .map(|b| b.id)
        .collect())
}

backend_test!(rotation_with_only_old_backups_keeps_the_newest);
/// The scheduler was down for weeks: every backup is past 30 days. Rotation keeps the newest
/// (none verified), then the newest *verified* one once there is one, whatever its age; it
/// never rotates to zero.
async fn rotation_with_only_old_backups_keeps_the_newest(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let dir = db.data_dir.path().join("backups");
    let policies = heepr_compliance::Policies::load(&heepr_tests::policies_dir())?;
    let now = 1_800_000_000_000;
    let mut old = Vec::new();
    for age_days in [50, 45, 40, 35] {
        old.push(backup::create(&db.db, &db.url, &dir, now - age_days * DAY_MS).await?);
    }
    // Verified: the 45-day-old one. Newest overall: the 35-day-old one.
    backup::verify(&dir, &old[1].id, &db.url, now - 44 * DAY_MS).await?;

    let removed =
        heepr_core::privacy::retention::rotate_backups(&policies, &dir, db.data_dir.path(), now)?;
    let removed: Vec<&str> = removed.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        removed,
        vec![old[0].id.as_str(), old[2].id.as_str(), old[3].id.as_str()]
    );
    assert_eq!(
        catalog_ids(&dir)?,
        vec![old[1].id.clone()],
        "the newest verified is kept"
    );
    assert!(dir.join(&old[1].file).exists());
    // Rotating again, months later, still keeps it.
    assert!(
        heepr_core::privacy::retention::rotate_backups(
            &policies,
            &dir,
            db.data_dir.path(),
            now + 90 * DAY_MS
        )?
        .is_empty()
    );
    assert_eq!(catalog_ids(&dir)?, vec![old[1].id.clone()]);

    // None verified, all old: the newest is kept.
    let dir2 = db.data_dir.path().join("backups-unverified");
    let mut unverified = Vec::new();
    for age_days in [40, 33, 31] {
        unverified.push(backup::create(&db.db, &db.url, &dir2, now - age_days * DAY_MS).await?);
    }
    let removed = backup::rotate(&dir2, now - 30 * DAY_MS)?;
    assert_eq!(removed.len(), 2);
    assert_eq!(catalog_ids(&dir2)?, vec![unverified[2].id.clone()]);

    // `backup list` warns: the newest verified backup is far older than 2 days.
    let listing = backup::listing(&dir, now)?;
    assert_eq!(listing.newest_verified.as_deref(), Some(old[1].id.as_str()));
    assert!(
        listing
            .warnings
            .iter()
            .any(|w| w.contains("newest verified backup") && w.contains("45 days ago")),
        "{:?}",
        listing.warnings
    );
    let json = serde_json::to_value(&listing)?;
    assert!(
        json["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("2 days")),
        "{json}"
    );
    assert!(
        backup::listing(&dir2, now)?
            .warnings
            .iter()
            .any(|w| w.contains("no backup has passed verification")),
        "an unverified newest backup is a warning too"
    );
    // A fresh verified backup silences it.
    let fresh = backup::create(&db.db, &db.url, &dir, now - DAY_MS).await?;
    backup::verify(&dir, &fresh.id, &db.url, now - DAY_MS).await?;
    assert!(backup::listing(&dir, now)?.warnings.is_empty());
    assert_eq!(heepr_backup(&db, &dir, &["list", "--json"]).await?, 0);
    Ok(())
}

backend_test!(rotation_is_refused_after_a_failed_backup);
/// A day whose backup failed must not also lose an old one: the failure is recorded in the
/// catalog, `heepr backup rotate` exits non-zero with the reason and deletes nothing, and
/// `backup list` says so; the next successful backup lifts the refusal.
async fn rotation_is_refused_after_a_failed_backup(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let dir = db.data_dir.path().join("backups");
    let now = heepr_compliance::Clock::now_ms(&heepr_compliance::SystemClock);
    let first = backup::create(&db.db, &db.url, &dir, now - 40 * DAY_MS).await?;
    backup::create(&db.db, &db.url, &dir, now - 35 * DAY_MS).await?;

    // Today's backup fails (its database connection is gone).
    let gone = heepr_compliance::Db::connect(&db.url, 1).await?;
    gone.close().await;
    assert!(
        backup::create(&gone, &db.url, &dir, now - 1_000)
            .await
            .is_err()
    );
    let catalog = backup::read_catalog(&dir)?;
    let attempt = catalog
        .last_attempt
        .context("the failed attempt is recorded")?;
    assert_eq!(attempt.outcome, backup::AttemptOutcome::Failed);
    assert!(attempt.reason.is_some_and(|r| !r.is_empty()));
    assert_eq!(
        catalog.backups.len(),
        2,
        "the failure keeps the catalog's backups"
    );

    let err = heepr_backup(&db, &dir, &["rotate"])
        .await
        .err()
        .context("rotate must fail")?;
    let msg = format!("{err:#}");
    assert!(
        msg.contains("not rotating") && msg.contains("failed"),
        "{msg}"
    );
    assert_eq!(catalog_ids(&dir)?.len(), 2, "nothing deleted");
    assert!(matches!(
        backup::rotate(&dir, now - 30 * DAY_MS),
        Err(BackupError::LastBackupFailed { .. })
    ));
    assert!(
        backup::listing(&dir, now)?
            .warnings
            .iter()
            .any(|w| w.contains("most recent backup attempt")),
        "backup list warns about the failure"
    );

    // The next backup succeeds: rotation runs again and removes the old one it may.
    let today = backup::create(&db.db, &db.url, &dir, now).await?;
    assert_eq!(heepr_backup(&db, &dir, &["rotate"]).await?, 0);
    let ids = catalog_ids(&dir)?;
    assert!(!ids.contains(&first.id), "{ids:?}");
    assert!(ids.contains(&today.id));
    Ok(())
}

backend_test!(interrupted_backups_leave_no_partial_files);
/// A killed backup leaves `*.partial` files (the copy, SQLite's `-journal` of it, a half
/// catalog); the next create and the next rotate remove every one of them, and a missing
/// directory is nothing to rotate.
async fn interrupted_backups_leave_no_partial_files(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let dir = db.data_dir.path().join("backups");
    assert!(
        backup::rotate(&dir, 0)?.is_empty(),
        "no directory yet: nothing to do"
    );
    std::fs::create_dir_all(&dir)?;
    let leftovers = [
        "heepr-0190aaaa.sqlite.partial",
        "heepr-0190aaaa.sqlite.partial-journal",
        "heepr-0190bbbb.pgdump.partial",
        "catalog.json.partial",
    ];
    let plant = || -> Result<()> {
        for name in leftovers {
            std::fs::write(dir.join(name), b"half")?;
        }
        Ok(())
    };
    let partials = || -> Result<Vec<String>> {
        let mut found = Vec::new();
        for f in std::fs::read_dir(&dir)? {
            let name = f?.file_name().to_string_lossy().into_owned();
            if name.contains(".partial") {
                found.push(name);
            }
        }
        Ok(found)
    };
    plant()?;
    let entry = backup::create(&db.db, &db.url, &dir, 1_800_000_000_000).await?;
    assert_eq!(partials()?, Vec::<String>::new(), "create cleans up");
    plant()?;
    backup::rotate(&dir, 0)?;
    assert_eq!(partials()?, Vec::<String>::new(), "rotate cleans up");
    assert_eq!(catalog_ids(&dir)?, vec![entry.id], "the real backup stays");
    Ok(())
}

/// A stale or missing backup is not only a log line: the admin API lists the warning and
/// the scheduled backup job appends it to the audit trail.
async fn backup_warnings_reach_the_admin_api_and_the_audit_trail(backend: Backend) -> Result<()> {
    let app = heepr_tests::TestApp::spawn(&backend).await?;
    let (_, token) = heepr_core::identity::staff::create(
        &app.state.db,
        "dpo@heepr.example",
        heepr_core::identity::staff::StaffRole::Support,
        app.clock_now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    let list: heepr_admin_api::BackupList = app
        .client()?
        .get(app.url("/admin/api/v1/backups"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await?
        .json()
        .await?;
    assert!(list.backups.is_empty());
    assert!(
        list.warnings.iter().any(|w| w.contains("no backups")),
        "{:?}",
        list.warnings
    );
    let n = heepr_core::runtime::scheduler::record_backup_warnings(&app.state, app.clock_now())
        .await
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    assert_eq!(n, list.warnings.len());
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'backup.warning'")
            .fetch_one(app.pool())
            .await?;
    assert_eq!(audited, i64::try_from(n)?);
    Ok(())
}
backend_test!(backup_warnings_reach_the_admin_api_and_the_audit_trail);

/// A backup holds the consents and API keys of its day. Restoring it must not give back a
/// consent withdrawn, or a key revoked (a leaked key), after it was taken: the withdrawal
/// ledger, outside the database, is replayed (issue 10, backups after restore).
async fn restore_keeps_withdrawals_made_after_the_backup(backend: Backend) -> Result<()> {
    use heepr_tests::market::{issue_key, publish_agent};
    let app = heepr_tests::TestApp::spawn(&backend).await?;
    let (wanda, account) = app.member("Wanda Withdraws", "wanda@example.com").await?;
    let wanda_id = account["id"].as_str().context("id")?.to_string();
    let consent = |action: &'static str| {
        let wanda = wanda.clone();
        let url = app.url("/api/v1/me/consents");
        async move {
            let r = wanda
                .post(url)
                .json(&serde_json::json!({"purpose": "product_news_email", "action": action}))
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "{}", r.text().await?);
            anyhow::Ok(())
        }
    };
    consent("given").await?;
    let agent = publish_agent(&app, &wanda, "Withdrawn Helper", 50, "writing").await?;
    issue_key(&app, &wanda, &agent).await?;
    let key_id: String = sqlx::query_scalar("SELECT id FROM api_keys WHERE agent_id = $1")
        .bind(&agent)
        .fetch_one(app.pool())
        .await?;
    let dir = app.test_db.data_dir.path().join("backups");
    let entry = backup::create(&app.state.db, &app.test_db.url, &dir, app.clock_now()).await?;

    app.clock.advance_ms(60_000);
    consent("withdrawn").await?;
    let r = wanda
        .delete(app.url(&format!("/api/v1/my/agents/{agent}/keys/{key_id}")))
        .send()
        .await?;
    assert!(r.status().is_success(), "{}", r.status());

    let known = heepr_core::platform::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .context("migrations")?;
    backup::restore(
        &dir,
        &entry.id,
        &app.test_db.url,
        app.state.db.backend(),
        known,
    )
    .await?;
    let reopened = heepr_compliance::Db::connect(&app.test_db.url, 2).await?;
    let last_consent = |pool: sqlx::AnyPool| {
        let wanda_id = wanda_id.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT action FROM consents WHERE account_id = $1 ORDER BY recorded_at DESC, id DESC LIMIT 1",
            )
            .bind(wanda_id)
            .fetch_one(&pool)
            .await
        }
    };
    let revoked = |pool: sqlx::AnyPool| {
        let key_id = key_id.clone();
        async move {
            sqlx::query_scalar::<_, Option<i64>>("SELECT revoked_at FROM api_keys WHERE id = $1")
                .bind(key_id)
                .fetch_one(&pool)
                .await
        }
    };
    assert_eq!(
        last_consent(reopened.pool().clone()).await?,
        "given",
        "the backup's day"
    );
    assert_eq!(revoked(reopened.pool().clone()).await?, None);

    let ended = heepr_core::privacy::restore::end_credentials(
        &reopened,
        app.test_db.data_dir.path(),
        entry.created_at_ms,
        app.clock_now(),
    )
    .await?;
    assert_eq!((ended.consents_withdrawn, ended.api_keys_revoked), (1, 1));
    assert_eq!(last_consent(reopened.pool().clone()).await?, "withdrawn");
    assert!(revoked(reopened.pool().clone()).await?.is_some());
    // Replaying again changes nothing.
    let again = heepr_core::privacy::restore::end_credentials(
        &reopened,
        app.test_db.data_dir.path(),
        entry.created_at_ms,
        app.clock_now(),
    )
    .await?;
    assert_eq!((again.consents_withdrawn, again.api_keys_revoked), (0, 0));
    Ok(())
}
backend_test!(restore_keeps_withdrawals_made_after_the_backup);

/// An erasure run with another data dir (`heepr dsr erase` on another host, or from another
/// directory) wrote its ledger line there, not beside the backups. The database knows it,
/// so the restore copies the database's ledger before overwriting it, and the person stays
/// erased.
async fn restore_keeps_an_erasure_run_from_another_data_dir(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let home = db.data_dir.path().to_path_buf();
    assert_eq!(
        heepr_tests::heepr_with(&db, &home, &["demo-data", "--accounts", "3"]).await?,
        0
    );
    let email: String = sqlx::query_scalar("SELECT email FROM accounts ORDER BY id LIMIT 1")
        .fetch_one(db.db.pool())
        .await?;
    let dir = home.join("backups");
    assert_eq!(heepr_backup(&db, &dir, &["create"]).await?, 0);
    let elsewhere = tempfile::tempdir()?;
    let erase = ["dsr", "erase", "--email", email.as_str(), "--yes"];
    assert_eq!(
        heepr_tests::heepr_with(&db, elsewhere.path(), &erase).await?,
        0
    );
    let account_id: String =
        sqlx::query_scalar("SELECT account_id FROM erasure_ledger ORDER BY erased_at DESC LIMIT 1")
            .fetch_one(db.db.pool())
            .await?;
    let before = pseudonym_of(db.db.pool(), &account_id).await?;
    let id = catalog_ids(&dir)?.pop().context("a backup")?;
    assert_eq!(heepr_backup(&db, &dir, &["restore", &id]).await?, 0);
    let reopened = heepr_compliance::Db::connect(&db.url, 2).await?;
    let back: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email = $1")
        .bind(&email)
        .fetch_one(reopened.pool())
        .await?;
    assert_eq!(
        back, 0,
        "the erased person did not come back with the backup"
    );
    assert_eq!(pseudonym_of(reopened.pool(), &account_id).await?, before);
    Ok(())
}
backend_test!(restore_keeps_an_erasure_run_from_another_data_dir);

backend_test!(backups_are_readable_by_heepr_only);
/// Regression (fresh tester): backups and their catalog were created 0644 in a 0755
/// directory: harmless inside the 0700 data dir, everyone's personal data to any local user
/// when `--backup-dir` points elsewhere. Now the directory is 0700 and the files 0600.
async fn backups_are_readable_by_heepr_only(backend: Backend) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let app = heepr_tests::TestApp::spawn(&backend).await?;
    let outside = tempfile::tempdir()?;
    let dir = outside.path().join("heepr-backups");
    let entry = backup::create(&app.state.db, &app.test_db.url, &dir, app.clock_now()).await?;
    let mode = |p: &std::path::Path| -> Result<u32> {
        Ok(std::fs::metadata(p)?.permissions().mode() & 0o777)
    };
    assert_eq!(mode(&dir)?, 0o700);
    assert_eq!(mode(&dir.join(&entry.file))?, 0o600);
    assert_eq!(mode(&dir.join("catalog.json"))?, 0o600);
    Ok(())
}
