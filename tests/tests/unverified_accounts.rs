//! An account whose address is never confirmed is erased 30 days after sign-up (rule
//! `unverified_accounts`; issue 14: "unverified accounts never expire" broke "nothing
//! outlives its published period"), by the scheduler and by `heepr sweep`, with no email
//! and no closed-address hash; a legal hold or an open request makes it wait. Also: the
//! scheduler prunes the mail-file store (it used to take a backup instead, so `.eml` files
//! under the data dir outlived the 12 months the policy states).

use anyhow::{Context, Result, ensure};
use heepr_compliance::audit::AuditActor;
use heepr_compliance::clock::DAY_MS;
use heepr_core::runtime::scheduler;
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test, heepr_with};

const RULE: &str = "unverified_accounts";

async fn unverified(app: &TestApp, name: &str, email: &str) -> Result<String> {
    let client = app.client()?;
    let account = app
        .sign_up_unverified(&client, name, email, DEFAULT_PASSWORD)
        .await?;
    Ok(account["id"].as_str().context("id")?.to_string())
}

async fn erased(app: &TestApp, id: &str) -> Result<bool> {
    let sql = "SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1";
    Ok(app.count(sql, id).await? == 1)
}

/// Emails sent or queued to `address`.
async fn mails_to(app: &TestApp, address: &str) -> Result<i64> {
    // One statement: two counts race the mail sender.
    let sql = "SELECT (SELECT COUNT(*) FROM email_log WHERE recipient = $1) \
               + (SELECT COUNT(*) FROM email_outbox WHERE recipient = $1)";
    app.count(sql, address).await
}

backend_test!(an_account_never_confirmed_is_erased_thirty_days_after_sign_up);
async fn an_account_never_confirmed_is_erased_thirty_days_after_sign_up(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let una = unverified(&app, "Una Unconfirmed", "una@example.com").await?;
    let hal = unverified(&app, "Hal Held", "hal@example.com").await?;
    let (_, vera) = app.member("Vera Verified", "vera@example.com").await?;
    let vera = vera["id"].as_str().context("id")?.to_string();
    let mut tx = app.state.db.begin_write().await?;
    heepr_compliance::holds::place(
        &mut tx,
        "hold-hal",
        &hal,
        "fraud investigation",
        &AuditActor::staff("staff-1"),
        app.clock_now(),
    )
    .await?;
    tx.commit().await?;
    app.flush().await;
    let mails_before = mails_to(&app, "una@example.com").await?;

    // Una's dashboard tells her the date.
    let client = app.client()?;
    app.log_in(&client, "una@example.com", DEFAULT_PASSWORD)
        .await?;
    let page = client
        .get(app.url("/dashboard"))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        page.contains("An account whose address is never confirmed is deleted: verify before"),
        "the banner gives the deletion date"
    );
    // A day short of the period: nothing happens.
    app.clock.advance_ms(29 * DAY_MS);
    scheduler::run_rule(&app.state, &app.state.policies, RULE, app.clock_now()).await;
    ensure!(!erased(&app, &una).await?, "kept until 30 days have passed");
    // Thirty days and a minute after sign-up, the nightly run erases Una. A dry run first
    // counts her as erasable and Hal (held) as waiting.
    app.clock.advance_ms(DAY_MS + 60_000);
    let dry = heepr_core::privacy::unverified_accounts::erase_expired(
        &app.state,
        RULE,
        app.clock_now(),
        true,
        "dry-run-test",
    )
    .await?;
    assert_eq!(
        (dry.would_erase(), dry.waiting, dry.rows_affected),
        (1, 1, 0)
    );
    ensure!(!erased(&app, &una).await?, "a dry run erases nothing");
    scheduler::run_rule(&app.state, &app.state.policies, RULE, app.clock_now()).await;
    ensure!(
        erased(&app, &una).await?,
        "the unconfirmed account is erased"
    );
    let left = "SELECT COUNT(*) FROM accounts WHERE email = $1";
    assert_eq!(
        app.count(left, "una@example.com").await?,
        0,
        "her address is gone"
    );
    ensure!(!erased(&app, &hal).await?, "a legal hold makes it wait");
    ensure!(
        !erased(&app, &vera).await?,
        "a confirmed account is never touched"
    );
    let closed = app
        .count(
            "SELECT COUNT(*) FROM closed_addresses WHERE address_hmac <> $1",
            "",
        )
        .await?;
    assert_eq!(
        closed, 0,
        "no closed-address hash: the address's owner keeps the bonus"
    );
    let mails_after = mails_to(&app, "una@example.com").await?;
    ensure!(mails_after <= mails_before, "nobody is mailed about it");
    let run: (i64, String) = sqlx::query_as(
        "SELECT rows_affected, outcome FROM retention_runs WHERE rule = $1 AND dry_run = 0 ORDER BY started_at DESC LIMIT 1",
    )
    .bind(RULE)
    .fetch_one(app.pool())
    .await?;
    assert_eq!(run, (1, "succeeded".to_string()), "the run is on record");

    // The address's owner signs up themselves later and gets the bonus.
    let (_, real) = app.member("Una Real", "una@example.com").await?;
    let real = real["id"].as_str().context("id")?;
    let bonus =
        "SELECT COUNT(*) FROM ledger_transfers WHERE kind = 'signup_bonus' AND reference = $1";
    assert_eq!(
        app.count(bonus, real).await?,
        1,
        "the sign-up bonus reaches the real owner"
    );
    Ok(())
}

backend_test!(heepr_sweep_erases_unconfirmed_accounts_too);
/// The cron path: `heepr sweep` (all rules) erases an unconfirmed account past 30 days.
async fn heepr_sweep_erases_unconfirmed_accounts_too(backend: Backend) -> Result<()> {
    let db = heepr_tests::TestDb::new(&backend).await?;
    let now = heepr_compliance::Clock::now_ms(&heepr_compliance::SystemClock);
    for (id, age_days) in [("old-unconfirmed", 31), ("new-unconfirmed", 2)] {
        db.insert_account(id).await?;
        sqlx::query("UPDATE accounts SET email_verified_at = NULL, created_at = $1 WHERE id = $2")
            .bind(now - age_days * DAY_MS)
            .bind(id)
            .execute(db.db.pool())
            .await?;
    }
    let data_dir = db.data_dir.path().to_path_buf();
    assert_eq!(heepr_with(&db, &data_dir, &["sweep"]).await?, 0);
    let ledger = |id: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM erasure_ledger WHERE account_id = $1")
            .bind(id)
            .fetch_one(db.db.pool())
    };
    assert_eq!(ledger("old-unconfirmed").await?, 1);
    assert_eq!(ledger("new-unconfirmed").await?, 0);
    Ok(())
}

backend_test!(the_scheduler_prunes_mail_files_past_twelve_months);
async fn the_scheduler_prunes_mail_files_past_twelve_months(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let mail = app.test_db.data_dir.path().join("mail");
    std::fs::create_dir_all(&mail)?;
    let old = mail.join("old.eml");
    std::fs::write(&old, "Subject: a year and more ago\r\n\r\nhello\r\n")?;
    let thirteen_months_ago = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(app.clock_now() - 400 * DAY_MS)?);
    std::fs::File::options()
        .write(true)
        .open(&old)?
        .set_modified(thirteen_months_ago)?;
    scheduler::run_rule(
        &app.state,
        &app.state.policies,
        "email_files",
        app.clock_now(),
    )
    .await;
    ensure!(!old.exists(), "the mail file past 12 months is deleted");
    ensure!(
        !app.state.settings.backup_dir.join("catalog.json").exists(),
        "the mail-file rule takes no backup"
    );
    Ok(())
}
