//! Retention sweeps: period boundaries, dry runs, leases, resumption, kept references.

use anyhow::{Context, Result};
use chrono::DateTime;
use heepr_compliance::sweep::{self, Outcome, SweepOptions};
use heepr_compliance::{ManualClock, Policies, lease};
use heepr_tests::{Backend, TestDb, backend_test, policies_dir};

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .unwrap_or_default()
}

async fn email_log_row(db: &TestDb, id: &str, finished_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_log (id, account_id, recipient, template, subject, status, transport, queued_at, finished_at) \
         VALUES ($1, NULL, 'x@example.com', 'welcome', 'Welcome', 'sent', 'file', $2, $2)",
    )
    .bind(id)
    .bind(finished_at)
    .execute(db.db.pool())
    .await?;
    Ok(())
}

async fn email_log_ids(db: &TestDb) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT id FROM email_log ORDER BY id")
        .fetch_all(db.db.pool())
        .await?)
}

backend_test!(email_log_is_kept_exactly_twelve_months);
async fn email_log_is_kept_exactly_twelve_months(backend: Backend) -> Result<()> {
    let policies = Policies::load(&policies_dir())?;
    // (now, rows kept, rows swept): a row at exactly 12 months stays; a millisecond older goes.
    let cases = [
        (
            "2027-06-15T03:00:00Z",
            "2026-06-15T03:00:00Z",
            "2026-06-15T02:59:59.999Z",
        ),
        // Leap day: 12 calendar months before 2028-02-29 is 2027-02-28.
        (
            "2028-02-29T03:00:00Z",
            "2027-02-28T03:00:00Z",
            "2027-02-28T02:59:59.999Z",
        ),
        // Month ends: 12 months before 2027-03-31 is 2026-03-31.
        (
            "2027-03-31T03:00:00Z",
            "2026-03-31T03:00:00Z",
            "2026-03-30T23:00:00Z",
        ),
    ];
    for (now, kept, swept) in cases {
        let db = TestDb::new(&backend).await?;
        email_log_row(&db, "a-kept", ms(kept)).await?;
        email_log_row(&db, "b-swept", ms(swept)).await?;
        email_log_row(&db, "c-recent", ms(now) - 1000).await?;
        let clock = ManualClock::new(ms(now));
        let run = sweep::sweep_rule(
            &db.db,
            &policies,
            &clock,
            "email_log",
            ms(now),
            &SweepOptions::default(),
            None,
        )
        .await?;
        assert_eq!(run.outcome, Outcome::Succeeded, "{now}");
        assert_eq!(run.rows_affected(), 1, "{now}");
        assert_eq!(
            email_log_ids(&db).await?,
            vec!["a-kept", "c-recent"],
            "{now}"
        );
    }
    Ok(())
}

backend_test!(dry_run_counts_and_deletes_nothing_and_runs_are_recorded);
async fn dry_run_counts_and_deletes_nothing_and_runs_are_recorded(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2027-06-15T03:00:00Z");
    for i in 0..25 {
        email_log_row(&db, &format!("old-{i:02}"), ms("2025-01-01T00:00:00Z") + i).await?;
    }
    email_log_row(&db, "new", now - 5).await?;
    let clock = ManualClock::new(now);
    let dry = SweepOptions {
        dry_run: true,
        ..SweepOptions::default()
    };
    let run = sweep::sweep_rule(&db.db, &policies, &clock, "email_log", now, &dry, None).await?;
    assert_eq!((run.rows_examined(), run.rows_affected()), (25, 0));
    assert_eq!(email_log_ids(&db).await?.len(), 26);

    let small = SweepOptions {
        batch_size: 10,
        ..SweepOptions::default()
    };
    let run = sweep::sweep_rule(&db.db, &policies, &clock, "email_log", now, &small, None).await?;
    assert_eq!((run.rows_examined(), run.rows_affected()), (25, 25));
    assert_eq!(email_log_ids(&db).await?, vec!["new"]);

    let recorded: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT dry_run, rows_examined, rows_affected, outcome FROM retention_runs WHERE rule = 'email_log' ORDER BY started_at, id",
    )
    .fetch_all(db.db.pool())
    .await?;
    assert_eq!(
        recorded,
        vec![
            (1, 25, 0, "succeeded".into()),
            (0, 25, 25, "succeeded".into())
        ]
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM job_leases")
            .fetch_one(db.db.pool())
            .await?,
        0,
        "lease released"
    );
    Ok(())
}

backend_test!(expired_sessions_are_swept);
async fn expired_sessions_are_swept(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2027-01-01T00:00:00Z");
    db.insert_account("acc").await?;
    for (id, expires) in [("expired", now - 1), ("live", now + 1)] {
        sqlx::query("INSERT INTO sessions (id, account_id, token_hash, created_at, last_seen_at, expires_at) VALUES ($1, 'acc', $1, 0, 0, $2)")
            .bind(id)
            .bind(expires)
            .execute(db.db.pool())
            .await?;
    }
    let run = sweep::sweep_rule(
        &db.db,
        &policies,
        &ManualClock::new(now),
        "sessions",
        now,
        &SweepOptions::default(),
        None,
    )
    .await?;
    assert_eq!(run.rows_affected(), 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_all(db.db.pool())
        .await?;
    assert_eq!(left, vec!["live"]);
    Ok(())
}

backend_test!(a_row_another_row_points_to_is_never_swept);
async fn a_row_another_row_points_to_is_never_swept(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let mut policies = Policies::load(&policies_dir())?;
    // Pretend accounts were under a 90-day rule: one account is still referenced by a session.
    let accounts = policies
        .data_map
        .tables
        .get_mut("accounts")
        .context("accounts")?;
    accounts.retention = "request_log".into();
    accounts.retention_clock = Some("created_at".into());
    for id in ["lonely", "referenced"] {
        db.insert_account(id).await?;
    }
    sqlx::query("INSERT INTO sessions (id, account_id, token_hash, created_at, last_seen_at, expires_at) VALUES ('s', 'referenced', 'h', 0, 0, 99999999999999)")
        .execute(db.db.pool())
        .await?;
    let now = ms("2027-01-01T00:00:00Z");
    let run = sweep::sweep_rule(
        &db.db,
        &policies,
        &ManualClock::new(now),
        "request_log",
        now,
        &SweepOptions::default(),
        None,
    )
    .await?;
    assert_eq!(run.outcome, Outcome::Succeeded, "{:?}", run.error);
    let left: Vec<String> = sqlx::query_scalar("SELECT id FROM accounts")
        .fetch_all(db.db.pool())
        .await?;
    assert_eq!(left, vec!["referenced"]);
    Ok(())
}

backend_test!(two_sweepers_never_run_one_rule_at_once);
async fn two_sweepers_never_run_one_rule_at_once(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2027-06-15T03:00:00Z");
    for i in 0..40 {
        email_log_row(&db, &format!("old-{i:02}"), ms("2025-01-01T00:00:00Z") + i).await?;
    }
    let clock = ManualClock::new(now);
    // A live lease of another sweeper: this one stands aside.
    assert!(
        lease::acquire(
            &db.db,
            "retention:email_log",
            "other-host",
            now,
            now + 60_000
        )
        .await?
    );
    let run = sweep::sweep_rule(
        &db.db,
        &policies,
        &clock,
        "email_log",
        now,
        &SweepOptions::default(),
        None,
    )
    .await?;
    assert_eq!(run.outcome, Outcome::Skipped);
    assert_eq!(email_log_ids(&db).await?.len(), 40);
    lease::release(&db.db, "retention:email_log", "other-host").await?;

    // Two at once: every row goes exactly once, nobody fails.
    let small = SweepOptions {
        batch_size: 5,
        ..SweepOptions::default()
    };
    let (opt_a, opt_b) = (
        SweepOptions {
            holder: "a".into(),
            ..small.clone()
        },
        SweepOptions {
            holder: "b".into(),
            ..small
        },
    );
    let (a, b) = tokio::join!(
        sweep::sweep_rule(&db.db, &policies, &clock, "email_log", now, &opt_a, None),
        sweep::sweep_rule(&db.db, &policies, &clock, "email_log", now, &opt_b, None),
    );
    let (a, b) = (a?, b?);
    assert!(
        a.outcome != Outcome::Failed && b.outcome != Outcome::Failed,
        "{:?} {:?}",
        a.error,
        b.error
    );
    assert_eq!(a.rows_affected() + b.rows_affected(), 40);
    assert!(email_log_ids(&db).await?.is_empty());
    Ok(())
}

backend_test!(a_sweep_killed_midway_is_finished_by_the_next_run);
async fn a_sweep_killed_midway_is_finished_by_the_next_run(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2027-06-15T03:00:00Z");
    for i in 0..30 {
        email_log_row(&db, &format!("old-{i:02}"), ms("2025-01-01T00:00:00Z") + i).await?;
    }
    // The state a kill -9 leaves after one batch: a run marked running, its lease held by a
    // process that no longer renews it, some rows gone.
    sqlx::query("INSERT INTO retention_runs (id, rule, dry_run, started_at, cutoff_at, outcome) VALUES ('dead', 'email_log', 0, $1, $2, 'running')")
        .bind(now - 600_000)
        .bind(now - 1)
        .execute(db.db.pool())
        .await?;
    assert!(
        lease::acquire(
            &db.db,
            "retention:email_log",
            "dead-process",
            now - 600_000,
            now - 300_000
        )
        .await?
    );
    sqlx::query(
        "DELETE FROM email_log WHERE id IN ('old-00', 'old-01', 'old-02', 'old-03', 'old-04')",
    )
    .execute(db.db.pool())
    .await?;

    let clock = ManualClock::new(now);
    let run = sweep::sweep_rule(
        &db.db,
        &policies,
        &clock,
        "email_log",
        now,
        &SweepOptions::default(),
        None,
    )
    .await?;
    assert_eq!(run.outcome, Outcome::Succeeded);
    assert_eq!(run.rows_affected(), 25);
    assert!(email_log_ids(&db).await?.is_empty());
    let dead: String = sqlx::query_scalar("SELECT outcome FROM retention_runs WHERE id = 'dead'")
        .fetch_one(db.db.pool())
        .await?;
    assert_eq!(dead, "interrupted");
    Ok(())
}

backend_test!(held_subjects_rows_are_skipped_and_sweeps_are_audited);
async fn held_subjects_rows_are_skipped_and_sweeps_are_audited(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2027-06-15T03:00:00Z");
    for id in ["held", "free"] {
        db.insert_account(id).await?;
        sqlx::query(
            "INSERT INTO email_log (id, account_id, recipient, template, subject, status, transport, queued_at, finished_at) \
             VALUES ($1, $1, 'x@example.com', 'welcome', 'Welcome', 'sent', 'file', 0, 0)",
        )
        .bind(id)
        .execute(db.db.pool())
        .await?;
    }
    sqlx::query("INSERT INTO legal_holds (id, account_id, reason, placed_by, placed_at) VALUES ('h1', 'held', 'litigation', 'staff:1', 0)")
        .execute(db.db.pool())
        .await?;
    let clock = ManualClock::new(now);
    let run = sweep::sweep_rule(
        &db.db,
        &policies,
        &clock,
        "email_log",
        now,
        &SweepOptions::default(),
        heepr_core::privacy::retention::HOLDS,
    )
    .await?;
    assert_eq!(run.rows_affected(), 1);
    assert_eq!(
        email_log_ids(&db).await?,
        vec!["held"],
        "the held subject's row stays"
    );

    // Once the hold is lifted, the next sweep takes it.
    sqlx::query("UPDATE legal_holds SET lifted_at = 1, lifted_by = 'staff:1' WHERE id = 'h1'")
        .execute(db.db.pool())
        .await?;
    sweep::sweep_rule(
        &db.db,
        &policies,
        &clock,
        "email_log",
        now,
        &SweepOptions::default(),
        heepr_core::privacy::retention::HOLDS,
    )
    .await?;
    assert!(email_log_ids(&db).await?.is_empty());

    // Both runs are in the audit trail, and the chain verifies.
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE actor = 'system:retention' AND action = 'retention.sweep'")
        .fetch_one(db.db.pool())
        .await?;
    assert_eq!(audited, 2);
    let verification = heepr_compliance::audit::verify(db.db.pool()).await?;
    assert!(verification.first_broken.is_none());
    Ok(())
}

backend_test!(staff_see_rules_last_runs_and_backups_and_officers_dry_run);
async fn staff_see_rules_last_runs_and_backups_and_officers_dry_run(
    backend: Backend,
) -> Result<()> {
    let app = heepr_tests::TestApp::spawn(&backend).await?;
    let (_, officer) = heepr_core::identity::staff::create(
        &app.state.db,
        "dpo@example.com",
        heepr_core::identity::staff::StaffRole::PrivacyOfficer,
        // Tokens expire (90 days): issue them at the server's time.
        app.clock_now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    let (_, support) = heepr_core::identity::staff::create(
        &app.state.db,
        "help@example.com",
        heepr_core::identity::staff::StaffRole::Support,
        app.clock_now(),
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    let client = app.client()?;
    let anonymous = client
        .get(app.url("/admin/api/v1/retention/rules"))
        .send()
        .await?;
    assert_eq!(anonymous.status(), 401);

    let dry = client
        .post(app.url("/admin/api/v1/retention/rules/email_log/dry-run"))
        .bearer_auth(&support)
        .send()
        .await?;
    assert_eq!(dry.status(), 403, "support is read-only");
    let dry: serde_json::Value = client
        .post(app.url("/admin/api/v1/retention/rules/email_log/dry-run"))
        .bearer_auth(&officer)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(dry["outcome"], "succeeded");
    assert_eq!(dry["dry_run"], true);

    let rules: serde_json::Value = client
        .get(app.url("/admin/api/v1/retention/rules"))
        .bearer_auth(&support)
        .send()
        .await?
        .json()
        .await?;
    let email_log = rules["rules"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["rule"] == "email_log"))
        .cloned()
        .context("email_log rule")?;
    assert_eq!(email_log["period"], "12 months");
    assert_eq!(email_log["last_run"]["dry_run"], true);
    assert_eq!(email_log["last_run"]["outcome"], "succeeded");
    let unknown = client
        .post(app.url("/admin/api/v1/retention/rules/forever/dry-run"))
        .bearer_auth(&officer)
        .send()
        .await?;
    assert_eq!(unknown.status(), 404);

    heepr_compliance::backup::create(
        &app.state.db,
        &app.test_db.url,
        &app.state.settings.backup_dir,
        app.clock_now(),
    )
    .await?;
    let backups: serde_json::Value = client
        .get(app.url("/admin/api/v1/backups"))
        .bearer_auth(&support)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(backups["backups"].as_array().map(Vec::len), Some(1));
    assert_eq!(backups["backups"][0]["file_present"], true);
    Ok(())
}

/// `retention_runs`' outcome and counts for run `id`.
async fn run_record(db: &TestDb, id: &str) -> Result<(String, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT outcome, rows_examined, rows_affected FROM retention_runs WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.db.pool())
    .await?)
}

/// A default sweep of the email log at the clock's time.
async fn sweep_at(db: &TestDb, policies: &Policies, clock: &ManualClock) -> Result<sweep::RuleRun> {
    let now = heepr_compliance::Clock::now_ms(clock);
    let options = SweepOptions::default();
    Ok(sweep::sweep_rule(&db.db, policies, clock, "email_log", now, &options, None).await?)
}

backend_test!(a_dead_sweepers_lease_is_taken_over_within_a_minute);
/// A sweeper took the rule's lease and died (never renewed): for the lease's 60 s the rule is
/// skipped, and just after it lapses the next sweep takes over and deletes everything, on the
/// injectable clock, without sleeping.
async fn a_dead_sweepers_lease_is_taken_over_within_a_minute(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2027-06-15T03:00:00Z");
    for i in 0..12 {
        email_log_row(&db, &format!("old-{i:02}"), ms("2025-01-01T00:00:00Z") + i).await?;
    }
    let dead = lease::LeaseGuard::take(
        &db.db,
        "retention:email_log",
        "killed-sweeper",
        now,
        lease::JOB_LEASE_MS,
        lease::JOB_HEARTBEAT_MS,
    )
    .await?
    .context("the lease was free")?;
    dead.abandon(); // kill -9: no more heartbeats, no release
    assert_eq!(lease::JOB_LEASE_MS, 60_000, "a minute, not five");
    let clock = ManualClock::new(now + 59_000);
    let run = sweep_at(&db, &policies, &clock).await?;
    assert_eq!(run.outcome, Outcome::Skipped, "the lease is still live");
    assert_eq!(email_log_ids(&db).await?.len(), 12);
    clock.set_ms(now + lease::JOB_LEASE_MS + 1);
    let run = sweep_at(&db, &policies, &clock).await?;
    assert_eq!(run.outcome, Outcome::Succeeded, "{:?}", run.error);
    assert_eq!(run.rows_affected(), 12);
    assert!(email_log_ids(&db).await?.is_empty());
    // The survivor gave its lease back: the next run starts at once.
    assert_eq!(
        sweep_at(&db, &policies, &clock).await?.outcome,
        Outcome::Succeeded
    );
    Ok(())
}

backend_test!(a_cut_short_sweep_records_the_rows_of_its_committed_batches);
/// A sweep killed after two committed batches of 5: its `retention_runs` record already
/// says 10 rows deleted (and 30 examined). The next run, after the lease lapsed, marks it
/// interrupted with those counts kept, and deletes the other 20.
async fn a_cut_short_sweep_records_the_rows_of_its_committed_batches(
    backend: Backend,
) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2027-06-15T03:00:00Z");
    for i in 0..30 {
        email_log_row(&db, &format!("old-{i:02}"), ms("2025-01-01T00:00:00Z") + i).await?;
    }
    let clock = ManualClock::new(now);
    let killed = SweepOptions {
        batch_size: 5,
        stop_after_batches: Some(2),
        holder: "killed".into(),
        ..SweepOptions::default()
    };
    let cut = sweep::sweep_rule(&db.db, &policies, &clock, "email_log", now, &killed, None).await?;
    let cut_id = cut.run_id.context("the run was recorded")?;
    assert_eq!(email_log_ids(&db).await?.len(), 20);
    assert_eq!(
        run_record(&db, &cut_id).await?,
        ("running".to_string(), 30, 10),
        "the record counts the committed batches"
    );

    // Within the lease the rule is skipped; after it lapses the next run finishes the job.
    clock.set_ms(now + 30_000);
    let skipped = sweep::sweep_rule(
        &db.db,
        &policies,
        &clock,
        "email_log",
        now + 30_000,
        &SweepOptions::default(),
        None,
    )
    .await?;
    assert_eq!(skipped.outcome, Outcome::Skipped);
    let later = now + lease::JOB_LEASE_MS + 1;
    clock.set_ms(later);
    let run = sweep::sweep_rule(
        &db.db,
        &policies,
        &clock,
        "email_log",
        later,
        &SweepOptions::default(),
        None,
    )
    .await?;
    assert_eq!(run.outcome, Outcome::Succeeded, "{:?}", run.error);
    assert_eq!(run.rows_affected(), 20);
    assert_eq!(
        run_record(&db, &cut_id).await?,
        ("interrupted".to_string(), 30, 10),
        "an interrupted run keeps its counts"
    );
    let finished = run.run_id.context("recorded")?;
    assert_eq!(
        run_record(&db, &finished).await?,
        ("succeeded".to_string(), 20, 20)
    );
    assert!(email_log_ids(&db).await?.is_empty());
    Ok(())
}

backend_test!(closed_privacy_requests_go_three_years_after_closing);
/// Policy: "Data-subject requests are kept for 3 years after they are closed". A request
/// closed more than 3 years ago is swept; one closed less than 3 years ago, an open one
/// received long ago, one whose duplicate still exists, and one of a subject under legal hold
/// stay.
async fn closed_privacy_requests_go_three_years_after_closing(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2030-06-15T03:00:00Z");
    for account in ["subject", "held"] {
        db.insert_account(account).await?;
    }
    let dsr = |id: &'static str,
               account: &'static str,
               status: &'static str,
               completed: Option<i64>,
               dup: Option<&'static str>| {
        let pool = db.db.pool().clone();
        async move {
            sqlx::query(
                "INSERT INTO dsr_requests (id, account_id, kind, status, channel, received_at, due_at, extended_months, \
                 created_by, duplicate_of, completed_at, updated_at) \
                 VALUES ($1, $2, 'objection', $3, 'cli', $4, $4, 0, 'cli', $5, $6, $4)",
            )
            .bind(id)
            .bind(account)
            .bind(status)
            .bind(ms("2026-01-01T00:00:00Z"))
            .bind(dup)
            .bind(completed)
            .execute(&pool)
            .await
        }
    };
    let over = Some(ms("2027-06-15T02:59:59Z"));
    let under = Some(ms("2027-06-15T03:00:01Z"));
    dsr("closed-long-ago", "subject", "completed", over, None).await?;
    dsr("rejected-long-ago", "subject", "rejected", over, None).await?;
    dsr("closed-recently", "subject", "completed", under, None).await?;
    dsr("still-open", "subject", "in_progress", None, None).await?;
    dsr("original", "subject", "completed", over, None).await?;
    dsr(
        "its-duplicate",
        "subject",
        "completed",
        under,
        Some("original"),
    )
    .await?;
    dsr("held-subject", "held", "completed", over, None).await?;
    sqlx::query("INSERT INTO legal_holds (id, account_id, reason, placed_by, placed_at) VALUES ('h1', 'held', 'claim', 'staff:1', 0)")
        .execute(db.db.pool())
        .await?;

    let run = sweep::sweep_rule(
        &db.db,
        &policies,
        &ManualClock::new(now),
        "privacy_requests",
        now,
        &SweepOptions::default(),
        heepr_core::privacy::retention::HOLDS,
    )
    .await?;
    assert_eq!(run.outcome, Outcome::Succeeded, "{:?}", run.error);
    let left: Vec<String> = sqlx::query_scalar("SELECT id FROM dsr_requests ORDER BY id")
        .fetch_all(db.db.pool())
        .await?;
    assert_eq!(
        left,
        vec![
            "closed-recently",
            "held-subject",
            "its-duplicate",
            "original",
            "still-open"
        ]
    );
    assert_eq!(run.rows_affected(), 2);
    Ok(())
}

backend_test!(every_rule_with_a_period_sweeps_every_table_it_governs);
/// "Nothing outlives its published period": each rule with a period reaches every table the
/// data map puts under it, as the nightly sweep runs it (legal holds respected), whatever
/// that table's row key or links: a sweep that needed an `id` column skipped
/// `email_changes` (keyed by `account_id`), and one that could not follow a `via` link
/// without a subject column skipped `agent_events`, both without a word.
async fn every_rule_with_a_period_sweeps_every_table_it_governs(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let policies = Policies::load(&policies_dir())?;
    let now = ms("2027-06-01T03:00:00Z");
    let clock = ManualClock::new(now);
    let options = SweepOptions {
        data_dir: Some(db.data_dir.path().to_path_buf()),
        ..SweepOptions::default()
    };
    for (name, rule) in &policies.retention.rules {
        if !rule.has_period() || !rule.governs_tables() {
            continue;
        }
        let run = sweep::sweep_rule(&db.db, &policies, &clock, name, now, &options, None).await?;
        assert_eq!(run.outcome, Outcome::Succeeded, "{name}: {:?}", run.error);
        let swept: Vec<&str> = run.tables.iter().map(|t| t.table.as_str()).collect();
        let governed: Vec<&str> = policies
            .data_map
            .tables
            .iter()
            .filter(|(_, t)| t.retention == *name)
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(swept, governed, "rule {name}");
    }
    Ok(())
}

backend_test!(an_agent_event_is_kept_while_its_orders_customer_is_held);
/// The hold filter follows a link through another table's own links: an agent event on an
/// order belongs to the order's customer too, so their legal hold keeps it past the
/// `agent_events` period, and the sweep deletes it once the hold is lifted; an event of the
/// same age on no order goes at once.
async fn an_agent_event_is_kept_while_its_orders_customer_is_held(backend: Backend) -> Result<()> {
    use heepr_tests::TestApp;
    use heepr_tests::market::{id_of, market, place_order};
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let order = id_of(&place_order(&app, &m.customer, &m.agent_id).await?);
    let customer: String = sqlx::query_scalar("SELECT customer_id FROM orders WHERE id = $1")
        .bind(&order)
        .fetch_one(app.pool())
        .await?;
    for (id, order_id) in [("on-order", Some(order.as_str())), ("no-order", None)] {
        sqlx::query(
            "INSERT INTO agent_events (id, agent_id, order_id, kind, detail, created_at) VALUES ($1, $2, $3, 'progress', '', 0)",
        )
        .bind(id)
        .bind(&m.agent_id)
        .bind(order_id)
        .execute(app.pool())
        .await?;
    }
    sqlx::query("INSERT INTO legal_holds (id, account_id, reason, placed_by, placed_at) VALUES ('h1', $1, 'claim', 'staff:1', 0)")
        .bind(&customer)
        .execute(app.pool())
        .await?;
    let options = SweepOptions::default();
    let sweep = || {
        sweep::sweep_rule(
            &app.state.db,
            &app.state.policies,
            &app.clock,
            "agent_events",
            app.clock_now(),
            &options,
            heepr_core::privacy::retention::HOLDS,
        )
    };
    let events = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT id FROM agent_events WHERE created_at = 0 ORDER BY id",
        )
        .fetch_all(app.pool())
        .await
    };
    let run = sweep().await?;
    assert_eq!(run.outcome, Outcome::Succeeded, "{:?}", run.error);
    assert_eq!(events().await?, vec!["on-order".to_string()]);
    sqlx::query("UPDATE legal_holds SET lifted_at = 1, lifted_by = 'staff:1', lift_reason = 'settled' WHERE id = 'h1'")
        .execute(app.pool())
        .await?;
    sweep().await?;
    assert!(events().await?.is_empty());
    Ok(())
}
