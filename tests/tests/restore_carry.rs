//! A backup restore keeps the privacy desk's records made after the backup (issue 10: "a
//! request is answered within 30 days" holds through a restore). Restoring used to roll
//! back every request, legal hold and audit entry made since the backup with the
//! marketplace: a person who asked for their data the day before the restore was never
//! answered, and data under a hold placed since could be swept.

use anyhow::{Context, Result, ensure};
use heepr_compliance::audit::AuditActor;
use heepr_compliance::backup::{self, carry};
use heepr_compliance::dsr::RequestKind;
use heepr_core::privacy::requests::intake::{self, Channel, NewRequest};
use heepr_tests::{Backend, TestApp, backend_test, heepr_with};

/// Records a staff-entered request for `account_id`, as the admin API does.
async fn request_for(app: &TestApp, account_id: &str, kind: RequestKind) -> Result<String> {
    let actor = AuditActor::staff("staff-restore-test");
    let new = NewRequest {
        account_id,
        kind,
        channel: Channel::Staff,
        details: Some("asked by letter"),
        actor: &actor,
        verified: None,
        run_job_now: false,
    };
    Ok(intake::create(&app.state, &new).await?.id)
}

/// Runs `heepr backup restore ID` in-process on `app`'s database and data dir (backups in
/// `DATA_DIR/backups`); returns the exit code.
async fn restore_cli(app: &TestApp, backup_id: &str) -> Result<u8> {
    let data_dir = app.test_db.data_dir.path();
    let dir = data_dir.join("backups").display().to_string();
    let args = ["backup", "restore", backup_id, "--backup-dir", &dir];
    heepr_with(&app.test_db, data_dir, &args).await
}

async fn count(pool: &sqlx::AnyPool, sql: &'static str, arg: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(sql).bind(arg).fetch_one(pool).await?)
}

/// A server with two members and a backup of that day; returns the backup's id and the
/// first member's account id.
async fn site_with_backup(backend: &Backend) -> Result<(TestApp, String, String)> {
    let app = TestApp::spawn(backend).await?;
    let (_, ann) = app.member("Ann Asks", "ann.asks@example.com").await?;
    let ann = ann["id"].as_str().context("id")?.to_string();
    let dir = app.test_db.data_dir.path().join("backups");
    let entry = backup::create(&app.state.db, &app.test_db.url, &dir, app.clock_now()).await?;
    Ok((app, entry.id, ann))
}

backend_test!(a_restore_keeps_every_privacy_record_made_after_the_backup);
async fn a_restore_keeps_every_privacy_record_made_after_the_backup(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (_, ann) = app.member("Ann Asks", "ann.asks@example.com").await?;
    let ann = ann["id"].as_str().context("id")?.to_string();
    // An email-log row 13 months old when the backup is taken (published period: 12
    // months); the nightly sweep deletes it after the backup. (Not Ann's: her legal hold,
    // placed later, keeps her rows.)
    let now = heepr_compliance::Clock::now_ms(&heepr_compliance::SystemClock);
    let old = now - 395 * heepr_compliance::clock::DAY_MS;
    sqlx::query(
        "INSERT INTO email_log (id, account_id, recipient, template, subject, status, transport, queued_at, finished_at) \
         VALUES ('old-mail', NULL, 'gone@example.com', 'welcome', 'Welcome', 'sent', 'file', $1, $1)",
    )
    .bind(old)
    .execute(app.pool())
    .await?;
    let dir = app.test_db.data_dir.path().join("backups");
    let backup_id = backup::create(&app.state.db, &app.test_db.url, &dir, app.clock_now())
        .await?
        .id;
    sqlx::query("DELETE FROM email_log WHERE id = 'old-mail'")
        .execute(app.pool())
        .await?;
    let mut app = app;
    // After the backup: Ann asks for her data, she is put on legal hold, an address is
    // closed, and Bob signs up and asks for erasure.
    app.clock.advance_ms(60_000);
    let asked = request_for(&app, &ann, RequestKind::Access).await?;
    let mut tx = app.state.db.begin_write().await?;
    heepr_compliance::holds::place(
        &mut tx,
        "hold-after-backup",
        &ann,
        "litigation notice received",
        &AuditActor::staff("staff-restore-test"),
        app.clock_now(),
    )
    .await?;
    tx.commit().await?;
    sqlx::query("INSERT INTO closed_addresses (address_hmac, closed_at) VALUES ($1, $2)")
        .bind("hmac-of-a-closed-address")
        .bind(app.clock_now())
        .execute(app.pool())
        .await?;
    let (_, bob) = app.member("Bob Late", "bob.late@example.com").await?;
    let bob = bob["id"].as_str().context("id")?.to_string();
    let bobs = request_for(&app, &bob, RequestKind::Erasure).await?;
    app.stop().await?;

    let data_dir = app.test_db.data_dir.path().to_path_buf();
    assert_eq!(restore_cli(&app, &backup_id).await?, 0);

    let db = heepr_compliance::Db::connect(&app.test_db.url, 2).await?;
    let pool = db.pool();
    let status: String = sqlx::query_scalar("SELECT status FROM dsr_requests WHERE id = $1")
        .bind(&asked)
        .fetch_optional(pool)
        .await?
        .context("Ann's request made after the backup survives the restore")?;
    assert_eq!(status, "awaiting_verification");
    let hold = "SELECT COUNT(*) FROM legal_holds WHERE id = $1 AND lifted_at IS NULL";
    assert_eq!(count(pool, hold, "hold-after-backup").await?, 1, "the hold");
    let closed = "SELECT COUNT(*) FROM closed_addresses WHERE address_hmac = $1";
    assert_eq!(count(pool, closed, "hmac-of-a-closed-address").await?, 1);
    let audited = "SELECT COUNT(*) FROM audit_log WHERE request_id = $1 AND action = 'dsr.receive'";
    assert_eq!(count(pool, audited, &asked).await?, 1, "its audit entry");
    let chain = heepr_compliance::audit::verify(pool).await?;
    ensure!(
        chain.first_broken.is_none(),
        "the audit chain holds after the entries made since the backup were appended again: {:?}",
        chain.first_broken
    );
    // Bob's account did not exist when the backup was taken: it is gone, and his request is
    // named (by id) for staff to answer by email instead of failing the restore.
    assert_eq!(
        count(pool, "SELECT COUNT(*) FROM accounts WHERE id = $1", &bob).await?,
        0
    );
    assert_eq!(
        count(
            pool,
            "SELECT COUNT(*) FROM dsr_requests WHERE id = $1",
            &bobs
        )
        .await?,
        0
    );
    let details: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'backup.restore' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    ensure!(
        details.contains(&bobs),
        "the restore's audit names the request not carried: {details}"
    );
    ensure!(
        !carry::file_path(&data_dir).exists(),
        "the finished restore removed its carry file"
    );
    // The row the backup brought back past its period is swept by the restore itself.
    let mail = "SELECT COUNT(*) FROM email_log WHERE id = $1";
    assert_eq!(
        count(pool, mail, "old-mail").await?,
        0,
        "nothing restored outlives its period"
    );
    Ok(())
}

backend_test!(a_restore_killed_after_replacing_the_database_finishes_on_the_next_run);
/// Killed after the database was replaced and before the records were written back: the
/// carry file stays, the server refuses to start on the half-restored database, and the
/// next `backup restore` writes the records back from the file (the database it would
/// otherwise read them from is already the backup's).
async fn a_restore_killed_after_replacing_the_database_finishes_on_the_next_run(
    backend: Backend,
) -> Result<()> {
    let (mut app, backup_id, ann) = site_with_backup(&backend).await?;
    app.clock.advance_ms(60_000);
    let asked = request_for(&app, &ann, RequestKind::Access).await?;
    app.stop().await?;
    let data_dir = app.test_db.data_dir.path().to_path_buf();
    let dir = data_dir.join("backups");
    let policies = heepr_compliance::Policies::load(&heepr_tests::policies_dir())?;
    let taken = backup::read_catalog(&dir)?.backups[0].created_at_ms;
    let read = carry::read(
        &app.state.db,
        &policies.data_map,
        &backup_id,
        taken,
        app.clock_now(),
    )
    .await?;
    carry::save(&data_dir, &read)?;
    app.state.db.close().await;
    let known = heepr_core::platform::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .context("migrations")?;
    let backend_kind = heepr_compliance::Backend::from_url(&app.test_db.url).context("url")?;
    backup::restore(&dir, &backup_id, &app.test_db.url, backend_kind, known).await?;
    // ...killed here.

    // Nothing may write to the half-restored database: whatever it wrote would be lost when
    // the restore is finished (it used to be: a staff member created meanwhile vanished).
    let dir_arg = dir.display().to_string();
    for command in [
        vec!["serve", "--bind", "127.0.0.1:0"],
        vec![
            "staff",
            "create",
            "--email",
            "late@heepr.test",
            "--role",
            "support",
        ],
        vec!["sweep"],
        vec!["backup", "create", "--backup-dir", dir_arg.as_str()],
    ] {
        let ran = heepr_with(&app.test_db, &data_dir, &command).await;
        let refusal = format!("{:#}", ran.err().context("refused")?);
        ensure!(refusal.contains("did not finish"), "{command:?}: {refusal}");
        ensure!(refusal.contains(&backup_id), "{refusal}");
    }

    assert_eq!(restore_cli(&app, &backup_id).await?, 0);
    let db = heepr_compliance::Db::connect(&app.test_db.url, 2).await?;
    let found = "SELECT COUNT(*) FROM dsr_requests WHERE id = $1";
    assert_eq!(
        count(db.pool(), found, &asked).await?,
        1,
        "the request is back"
    );
    ensure!(!carry::file_path(&data_dir).exists());
    Ok(())
}

backend_test!(a_refused_restore_leaves_nothing_behind);
/// A restore refused by its checks (a damaged backup) touches nothing: no carry file is
/// written, so the server and every command still run (it used to leave the file, and the
/// server refused to start on a database that was never changed).
async fn a_refused_restore_leaves_nothing_behind(backend: Backend) -> Result<()> {
    let (mut app, backup_id, _) = site_with_backup(&backend).await?;
    app.stop().await?;
    let data_dir = app.test_db.data_dir.path().to_path_buf();
    let dir = data_dir.join("backups");
    let file = dir.join(&backup::read_catalog(&dir)?.backups[0].file);
    let mut bytes = std::fs::read(&file)?;
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&file, bytes)?;
    let refused = restore_cli(&app, &backup_id).await;
    let why = format!("{:#}", refused.err().context("refused")?);
    ensure!(why.contains("checksum"), "{why}");
    ensure!(
        !carry::file_path(&data_dir).exists(),
        "no carry file after a refusal"
    );
    assert_eq!(heepr_with(&app.test_db, &data_dir, &["sweep"]).await?, 0);
    Ok(())
}

backend_test!(a_restore_is_unfinished_until_its_sweep_ran);
/// The sweep after the restore is part of it: when it fails, the restore says so, keeps its
/// carry file (so nothing runs on data the backup brought back past its period) and the
/// next run finishes it.
async fn a_restore_is_unfinished_until_its_sweep_ran(backend: Backend) -> Result<()> {
    let (mut app, backup_id, _) = site_with_backup(&backend).await?;
    app.stop().await?;
    let data_dir = app.test_db.data_dir.path().to_path_buf();
    // The mail-file store cannot be read: the email_files rule's sweep fails.
    let mail = data_dir.join("mail");
    let _ = std::fs::remove_dir_all(&mail);
    std::fs::write(&mail, b"not a directory")?;
    let first = restore_cli(&app, &backup_id).await;
    let why = format!(
        "{:#}",
        first.err().context("the restore reports its sweep")?
    );
    ensure!(why.contains("sweep"), "{why}");
    ensure!(carry::file_path(&data_dir).exists(), "still unfinished");
    let serve = heepr_with(&app.test_db, &data_dir, &["serve", "--bind", "127.0.0.1:0"]).await;
    ensure!(serve.is_err(), "the server waits for the restore");
    std::fs::remove_file(&mail)?;
    assert_eq!(restore_cli(&app, &backup_id).await?, 0);
    ensure!(!carry::file_path(&data_dir).exists(), "finished");
    Ok(())
}

backend_test!(a_correction_the_restore_undid_is_reopened);
/// A rectification completed after the backup: the restore puts the old value back, so the
/// request goes back to in_progress with a note, for staff to apply it again (it used to
/// stay "completed" over the wrong value).
async fn a_correction_the_restore_undid_is_reopened(backend: Backend) -> Result<()> {
    let (mut app, backup_id, ann) = site_with_backup(&backend).await?;
    app.clock.advance_ms(60_000);
    let actor = AuditActor::staff("staff-restore-test");
    let new = NewRequest {
        account_id: &ann,
        kind: RequestKind::Rectification,
        channel: Channel::Staff,
        details: Some("my name is spelt Anne"),
        actor: &actor,
        verified: Some(heepr_compliance::dsr::VerifiedBy::Operator),
        run_job_now: false,
    };
    let rid = intake::create(&app.state, &new).await?.id;
    let correction = heepr_core::privacy::rectification::Correction {
        account_id: &ann,
        field: heepr_core::privacy::rectification::Field::DisplayName,
        value: "Anne Asks",
        reason: "the subject asked",
        request_id: Some(&rid),
    };
    heepr_core::privacy::rectification::rectify(&app.state, &correction, &actor).await?;
    app.stop().await?;
    assert_eq!(restore_cli(&app, &backup_id).await?, 0);
    let db = heepr_compliance::Db::connect(&app.test_db.url, 2).await?;
    let name: String = sqlx::query_scalar("SELECT display_name FROM accounts WHERE id = $1")
        .bind(&ann)
        .fetch_one(db.pool())
        .await?;
    assert_eq!(name, "Ann Asks", "the backup's value is back");
    let status: String = sqlx::query_scalar("SELECT status FROM dsr_requests WHERE id = $1")
        .bind(&rid)
        .fetch_one(db.pool())
        .await?;
    assert_eq!(status, "in_progress", "the request is open again");
    let notes =
        "SELECT COUNT(*) FROM dsr_notes WHERE request_id = $1 AND body LIKE '%apply it again%'";
    assert_eq!(count(db.pool(), notes, &rid).await?, 1);
    Ok(())
}

backend_test!(a_password_replaced_after_the_backup_does_not_come_back);
/// A password changed after the backup (perhaps because it leaked): the restore brings the
/// old hash back with the account, so it is cleared and the person sets a new one with a
/// reset link (the old password used to work again).
async fn a_password_replaced_after_the_backup_does_not_come_back(backend: Backend) -> Result<()> {
    let (mut app, backup_id, _) = site_with_backup(&backend).await?;
    let client = app.client()?;
    app.log_in(
        &client,
        "ann.asks@example.com",
        heepr_tests::DEFAULT_PASSWORD,
    )
    .await?;
    let changed = client
        .put(app.url("/api/v1/me/password"))
        .json(&serde_json::json!({"current_password": heepr_tests::DEFAULT_PASSWORD, "new_password": "a brand new secret"}))
        .send()
        .await?;
    ensure!(changed.status().is_success(), "{}", changed.status());
    app.stop().await?;
    assert_eq!(restore_cli(&app, &backup_id).await?, 0);
    let db = heepr_compliance::Db::connect(&app.test_db.url, 2).await?;
    let hash: Option<String> = sqlx::query_scalar(
        "SELECT password_hash FROM accounts WHERE email = 'ann.asks@example.com'",
    )
    .fetch_one(db.pool())
    .await?;
    ensure!(hash.is_none(), "the old password is cleared, not restored");
    Ok(())
}

/// Regression (fresh tester): the machine is lost, the backups are restored into a new data
/// dir with its own new database (the embedded default), and everyone erased since the
/// backup came back, silently: the erasure ledger that re-applies those erasures lived only
/// in the lost data dir. Its copy now lives with the backups (`BACKUP_DIR/ledgers/`), and
/// the restore takes what it lacks from there. (SQLite: a new machine's database is a new
/// file under its data dir.)
#[tokio::test]
async fn a_restore_into_a_new_data_dir_still_re_applies_erasures() -> Result<()> {
    let (mut app, backup_id, ann) = site_with_backup(&Backend::Sqlite).await?;
    heepr_core::privacy::erase_account::erase_subject(
        &app.state,
        &ann,
        heepr_core::privacy::erase_account::ErasureCause::Retention,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))??;
    app.stop().await?;

    // A new machine: nothing of the old data dir but the backups.
    let new_dir = tempfile::tempdir()?;
    let new_backups = new_dir.path().join("backups");
    copy_tree(&app.test_db.data_dir.path().join("backups"), &new_backups)?;
    let (data, backups) = (
        new_dir.path().display().to_string(),
        new_backups.display().to_string(),
    );
    let policies = heepr_tests::policies_dir().display().to_string();
    let heepr = |args: &[&str]| {
        let mut argv = vec!["heepr", "--data-dir", &data, "--policies", &policies];
        argv.extend_from_slice(args);
        heepr_core::cli::args::Cli::try_parse_from(argv)
    };
    use clap::Parser;
    assert_eq!(heepr_core::cli::run(heepr(&["migrate"])?).await?, 0);
    let restore = heepr(&["backup", "restore", &backup_id, "--backup-dir", &backups])?;
    assert_eq!(heepr_core::cli::run(restore).await?, 0);

    let url = format!("sqlite://{}/heepr.db", data);
    let db = heepr_compliance::Db::connect(&url, 2).await?;
    let back: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email = 'ann.asks@example.com'")
            .fetch_one(db.pool())
            .await?;
    assert_eq!(
        back, 0,
        "the erasure made after the backup is applied again"
    );
    Ok(())
}

/// Copies the directory tree `from` to `to`.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
