//! The background jobs of a server stop when it shuts down: no task outlives
//! `Jobs::shutdown`, the scheduler and the deadline refunds included, so no scheduled work
//! can run after it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, ensure};
use heepr_compliance::{Clock, ManualClock, Policies};
use heepr_core::AppState;
use heepr_core::platform::settings::Settings;
use heepr_core::runtime::jobs;
use heepr_tests::{Backend, START_MS, TestDb, backend_test, policies_dir};

async fn shutdown_stops_the_scheduler_and_every_job(backend: Backend) -> Result<()> {
    let test_db = TestDb::new(&backend).await?;
    let mut settings = Settings::with_defaults(
        test_db.data_dir.path().to_path_buf(),
        "http://127.0.0.1:9".into(),
    );
    settings.scheduler = Some(chrono_tz::UTC);
    let clock = ManualClock::new(START_MS);
    let state = AppState::new(
        test_db.db.clone(),
        settings,
        Policies::load(&policies_dir())?,
        Arc::new(clock.clone()) as Arc<dyn Clock>,
    )?;
    let running = jobs::spawn(state.clone());
    // Wait (bounded) until the jobs run: the presence job has written its lease.
    for _ in 0..600 {
        if jobs::running_servers(&state.db, clock.now_ms()).await? > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ensure!(jobs::running_servers(&state.db, clock.now_ms()).await? == 1);
    // Let every task take its first steps (the scheduler computes its first fire times).
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    ensure!(
        Arc::strong_count(&state.settings) > 1,
        "the jobs hold the state"
    );
    running.shutdown().await;
    // Regression: the lease outlived a clean stop by 90 s, refusing `backup restore`.
    ensure!(
        jobs::running_servers(&state.db, clock.now_ms()).await? == 0,
        "a stopped server still counts as running"
    );
    // Every task that could run scheduled work held a clone of the state.
    ensure!(
        Arc::strong_count(&state.settings) == 1,
        "{} clones of the state outlived shutdown: a background task still runs",
        Arc::strong_count(&state.settings) - 1
    );
    Ok(())
}
backend_test!(shutdown_stops_the_scheduler_and_every_job);
