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
    let removed = heepr_core::privacy::retention::rotate_backups(&policies, &dir, now)?;
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
    app.member("Kim Kept", "kim.kept@example.com").await?;
    let dir = app.test_db.data_dir.path().join("backups");
    let entry = backup::create(&app.state.db, &app.test_db.url, &dir, app.clock_now()).await?;

    // After the backup, Erin is erased.
    let policies = heepr_compliance::Policies::load(&heepr_tests::policies_dir())?;
    let job = heepr_compliance::erasure::ErasureJob {
        map: &policies.data_map,
        account_id: &erin,
        request_id: None,
        actor: "test",
        data_dir: app.test_db.data_dir.path(),
        batch_rows: 100,
        stop_after_batches: None,
    };
    heepr_compliance::erasure::run(&app.state.db, &job, app.clock_now() + 1_000).await?;
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
    let replayed = heepr_core::privacy::restore::after_restore(
        &reopened,
        &policies,
        app.test_db.data_dir.path(),
        entry.created_at_ms,
    )
    .await?;
    assert_eq!(replayed, 1);
    assert_eq!(present(reopened.pool().clone()).await?, 0);
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
