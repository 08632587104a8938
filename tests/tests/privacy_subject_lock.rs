//! One lock per data subject: an export and an erasure of one person never run at once, an
//! export overtaken by the person's erasure publishes nothing, no half-written or expired
//! archive outlives its period (start-up clean-up, erasure, `heepr sweep`).

mod privacy_support;

use anyhow::{Context, Result};
use heepr_compliance::Clock;
use heepr_compliance::subject::lock as subject_lock;
use heepr_core::privacy::export_archive::{
    Registered, build_archive, clean_export_dir, register_archive,
};
use heepr_tests::{Backend, TestApp, backend_test};
use privacy_support::*;

const DAY_MS: i64 = 24 * 3_600_000;

/// Records an access request `id` of `account_id` in `status` that no worker will pick up
/// (no job requested), so the test drives its export itself.
async fn access_request(app: &TestApp, id: &str, account_id: &str, status: &str) -> Result<()> {
    let now = app.clock.now_ms();
    sqlx::query(
        "INSERT INTO dsr_requests (id, account_id, kind, status, channel, received_at, due_at, extended_months, \
         verified_at, created_by, updated_at) \
         VALUES ($1, $2, 'access', $3, 'cli', $4, $5, 0, $4, 'cli', $4)",
    )
    .bind(id)
    .bind(account_id)
    .bind(status)
    .bind(now)
    .bind(now + 30 * DAY_MS)
    .execute(app.pool())
    .await?;
    Ok(())
}

/// Names of the files in the exports directory.
fn export_dir_files(app: &TestApp) -> Result<Vec<String>> {
    let dir = app.test_db.data_dir.path().join("exports");
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

async fn export_overtaken_by_erasure_publishes_nothing(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (alice, account) = app
        .member("Alice Overtaken", "alice.overtaken@example.com")
        .await?;
    let alice_id = account["id"].as_str().context("id")?.to_string();
    access_request(&app, "export-1", &alice_id, "in_progress").await?;
    // The export has built its archive (a holder that then stalled past its lease) ...
    let built = build_archive(&app.state, "export-1", &alice_id).await?;
    assert!(app.test_db.data_dir.path().join(&built.file_path).exists());
    // ... the erasure runs meanwhile ...
    let erasure = ask_erasure(&app, &alice, &alice_id).await?;
    wait_status(&app, &erasure, "completed").await?;
    // ... and the export finishes: nothing is published, the file is gone.
    assert_eq!(
        register_archive(&app.state, &built).await?,
        Registered::Discarded
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM export_archives WHERE account_id = $1",
            &alice_id
        )
        .await?,
        0
    );
    assert_eq!(export_dir_files(&app)?, Vec::<String>::new());
    Ok(())
}
backend_test!(export_overtaken_by_erasure_publishes_nothing);

/// Found by a fresh pass: staff rejected an access request while its archive was being
/// built, and the archive was still published for 7 days. Now a request that is no longer
/// in progress when its archive is ready publishes nothing and keeps its state.
async fn an_archive_of_a_request_rejected_meanwhile_is_not_published(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (_, account) = app.member("Rae Rejected", "rae@example.com").await?;
    let rae = account["id"].as_str().context("id")?.to_string();
    access_request(&app, "rejected-1", &rae, "in_progress").await?;
    let built = build_archive(&app.state, "rejected-1", &rae).await?;
    let officer = heepr_compliance::audit::AuditActor::staff("officer-1");
    heepr_core::privacy::requests::transitions::transition(
        &app.state,
        "rejected-1",
        heepr_compliance::dsr::RequestStatus::Rejected,
        Some("manifestly unfounded: asked 40 times today"),
        &officer,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(
        register_archive(&app.state, &built).await?,
        Registered::NotWanted
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM export_archives WHERE account_id = $1",
            &rae
        )
        .await?,
        0
    );
    assert_eq!(export_dir_files(&app)?, Vec::<String>::new());
    assert_eq!(status_of(&app, "rejected-1").await?, "rejected");
    Ok(())
}
backend_test!(an_archive_of_a_request_rejected_meanwhile_is_not_published);

async fn erasure_waits_for_the_subjects_running_export(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (bea, account) = app.member("Bea Busy", "bea.busy@example.com").await?;
    let bea_id = account["id"].as_str().context("id")?.to_string();
    // Another worker runs an export of Bea: it holds her lock.
    let export_lock = subject_lock::take(&app.state.db, &bea_id, "other-worker", app.clock_now())
        .await?
        .context("the lock was free")?;
    let erasure = ask_erasure(&app, &bea, &bea_id).await?;
    assert!(
        !heepr_core::privacy::jobs::run_request(&app.state, &erasure, "test-worker").await?,
        "the erasure ran beside the subject's export"
    );
    assert_eq!(status_of(&app, &erasure).await?, "in_progress");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM pseudonyms WHERE account_id = $1",
            &bea_id
        )
        .await?,
        0,
        "the erasure began while the export held the lock"
    );
    // The export ends: the erasure runs.
    export_lock.release().await?;
    app.state.privacy_wakeup.notify_one();
    wait_status(&app, &erasure, "completed").await?;
    Ok(())
}
backend_test!(erasure_waits_for_the_subjects_running_export);

async fn stale_archive_files_are_deleted_at_start_up(backend: Backend) -> Result<()> {
    // Left by a killed export of a request the database does not know (a restored backup).
    let app = TestApp::spawn_with(&backend, |settings| {
        let exports = settings.data_dir.join("exports");
        let _ = std::fs::create_dir_all(&exports);
        let _ = std::fs::write(exports.join(".gone-1.tar.gz.partial"), b"half");
    })
    .await?;
    for _ in 0..200 {
        if export_dir_files(&app)?.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(export_dir_files(&app)?, Vec::<String>::new());

    // Of a known subject: a half-written archive, a finished one never registered, and a
    // registered one, which stays.
    let (_carl, account) = app.member("Carl Killed", "carl.killed@example.com").await?;
    let carl = account["id"].as_str().context("id")?.to_string();
    access_request(&app, "killed-1", &carl, "in_progress").await?;
    access_request(&app, "unregistered-1", &carl, "in_progress").await?;
    access_request(&app, "done-1", &carl, "in_progress").await?;
    let done = build_archive(&app.state, "done-1", &carl).await?;
    assert_eq!(
        register_archive(&app.state, &done).await?,
        Registered::Registered
    );
    let exports = app.test_db.data_dir.path().join("exports");
    std::fs::write(exports.join(".killed-1.tar.gz.partial"), b"half")?;
    std::fs::write(exports.join(".killed-1.tar.gz.section"), b"scratch")?;
    std::fs::write(exports.join("unregistered-1.tar.gz"), b"whole")?;
    assert_eq!(clean_export_dir(&app.state, "restarted-worker").await?, 3);
    assert_eq!(export_dir_files(&app)?, vec!["done-1.tar.gz".to_string()]);

    // While another worker holds Carl's lock (an export running), his files are left alone.
    std::fs::write(exports.join(".killed-1.tar.gz.partial"), b"half")?;
    let running = subject_lock::take(&app.state.db, &carl, "other-worker", app.clock_now())
        .await?
        .context("the lock was free")?;
    assert_eq!(clean_export_dir(&app.state, "restarted-worker").await?, 0);
    running.release().await?;

    // The erasure deletes every archive file of the subject, half-written ones included.
    let (dan, account) = app.member("Dan Erased", "dan.erased@example.com").await?;
    let dan_id = account["id"].as_str().context("id")?.to_string();
    access_request(&app, "dan-1", &dan_id, "in_progress").await?;
    std::fs::write(exports.join(".dan-1.tar.gz.partial"), b"half of Dan")?;
    let erasure = ask_erasure(&app, &dan, &dan_id).await?;
    wait_status(&app, &erasure, "completed").await?;
    assert!(!exports.join(".dan-1.tar.gz.partial").exists());
    Ok(())
}
backend_test!(stale_archive_files_are_deleted_at_start_up);

async fn expired_archive_and_its_file_go_with_heepr_sweep(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (_eve, account) = app.member("Eve Expired", "eve.expired@example.com").await?;
    let eve = account["id"].as_str().context("id")?.to_string();
    access_request(&app, "old-1", &eve, "in_progress").await?;
    let built = build_archive(&app.state, "old-1", &eve).await?;
    assert_eq!(
        register_archive(&app.state, &built).await?,
        Registered::Registered
    );
    let file = app.test_db.data_dir.path().join(&built.file_path);
    assert!(file.exists());
    // The test clock started on 2026-06-01; `heepr sweep` runs on the real clock, long
    // after the archive's 7 days.
    assert!(heepr_compliance::SystemClock.now_ms() > app.clock_now() + 8 * DAY_MS);
    heepr(&app, &["sweep", "--rule", "export_archives"]).await?;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM export_archives WHERE account_id = $1",
            &eve
        )
        .await?,
        0
    );
    assert!(
        !file.exists(),
        "the expired archive's file outlived its row"
    );
    Ok(())
}
backend_test!(expired_archive_and_its_file_go_with_heepr_sweep);

async fn a_restarted_server_resumes_its_own_interrupted_erasure_at_once(
    backend: Backend,
) -> Result<()> {
    // The installation's worker identity exists before this server starts, as after an
    // earlier run of it.
    let mut identity = String::new();
    let app = TestApp::spawn_with(&backend, |settings| {
        identity =
            heepr_core::privacy::jobs::worker_identity(&settings.data_dir).unwrap_or_default();
    })
    .await?;
    assert!(!identity.is_empty());
    let (_rita, account) = app
        .member("Rita Restart", "rita.restart@example.com")
        .await?;
    let rita = account["id"].as_str().context("id")?.to_string();
    // The previous server was killed mid-erasure: its first step done, its leases (the
    // request's, the subject's, and the old 30-minute claim) just renewed.
    let job = heepr_compliance::erasure::ErasureJob {
        map: &app.state.policies.data_map,
        account_id: &rita,
        request_id: Some("erase-1"),
        actor: "system",
        data_dir: app.test_db.data_dir.path(),
        batch_rows: heepr_compliance::erasure::DEFAULT_BATCH_ROWS,
        stop_after_batches: Some(1),
    };
    let first = heepr_compliance::erasure::run(&app.state.db, &job, app.clock_now()).await;
    assert!(first.is_err(), "the erasure was meant to stop: {first:?}");
    let now = app.clock_now();
    sqlx::query(
        "INSERT INTO dsr_requests (id, account_id, kind, status, channel, received_at, due_at, extended_months, \
         verified_at, created_by, job_requested_at, locked_until, updated_at) \
         VALUES ('erase-1', $1, 'erasure', 'in_progress', 'cli', $2, $3, 0, $2, 'cli', $2, $4, $2)",
    )
    .bind(&rita)
    .bind(now)
    .bind(now + 30 * DAY_MS)
    .bind(now + 30 * 60_000)
    .execute(app.pool())
    .await?;
    for lease in ["dsr:erase-1".to_string(), subject_lock::lock_name(&rita)] {
        sqlx::query("INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3)")
            .bind(lease)
            .bind(&identity)
            .bind(now + heepr_compliance::lease::JOB_LEASE_MS)
            .execute(app.pool())
            .await?;
    }
    // The restarted server (same installation) resumes it at once, not when leases lapse.
    app.state.privacy_wakeup.notify_one();
    wait_status(&app, "erase-1", "completed").await?;
    let hits = db_mentions(&app, &["rita.restart@example.com", "Rita Restart"]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");
    Ok(())
}
backend_test!(a_restarted_server_resumes_its_own_interrupted_erasure_at_once);
