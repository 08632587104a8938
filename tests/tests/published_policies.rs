//! Published policies, record of processing, cookies and consents, change notices: the
//! promises of issue 7 that do not need a sign-in provider.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use heepr_compliance::{Clock, ManualClock, Policies};
use heepr_core::AppState;
use heepr_core::cli::args::Cli;
use heepr_core::platform::settings::Settings;
use heepr_core::privacy::notices::{self, BatchLimits};
use heepr_tests::{Backend, START_MS, TestApp, TestDb, backend_test, policies_dir};
use serde_json::{Value, json};

/// A copy of the repository's policies in a temp dir, to edit.
fn policies_copy() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    for entry in std::fs::read_dir(policies_dir())? {
        let entry = entry?;
        std::fs::copy(entry.path(), dir.path().join(entry.file_name()))?;
    }
    Ok(dir)
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) -> Result<()> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)?;
    ensure!(text.contains(from), "{file} does not contain {from:?}");
    std::fs::write(&path, text.replace(from, to))?;
    Ok(())
}

/// A server on `backend` running with the policies of `dir`.
struct PolicyApp {
    base: String,
    db: TestDb,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for PolicyApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn spawn_with_policies(backend: &Backend, dir: &Path) -> Result<PolicyApp> {
    let db = TestDb::new(backend).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let settings = Settings::with_defaults(db.data_dir.path().to_path_buf(), base.clone());
    let policies = Policies::load(dir)?;
    let clock = Arc::new(ManualClock::new(START_MS)) as Arc<dyn Clock>;
    let state = AppState::new(db.db.clone(), settings, policies, clock)?;
    let server = tokio::spawn(async move {
        let _ = heepr_core::serve(listener, state, std::future::pending()).await;
    });
    Ok(PolicyApp { base, db, server })
}

/// The page's text with askama's HTML escapes undone.
async fn page(url: &str) -> Result<(u16, String)> {
    let response = reqwest::get(url).await?;
    let status = response.status().as_u16();
    let html = response.text().await?;
    let text = html
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    Ok((status, text))
}

/// Promise sentences of the site's privacy policy (shared/spec/heepr-site.txt), with the
/// figures the policy files give.
const PROMISES: &[&str] = &[
    "Effective 2026-05-20. We collect only what we need to run the marketplace, and we don't sell your data.",
    "Account data - display name, email address, hashed password, and (if you sign in via Google, GitHub, or Facebook) the basic profile fields those providers return to us.",
    "We do NOT collect content from your Agent's local execution.",
    "We do NOT sell personal data. We do NOT use your message content, briefs, or deliverables to train models.",
    "consent (where required, e.g. non-essential cookies)",
    "OAuth provider: Google - Google LLC (United States), if you choose to sign in with Google",
    "Payment processor - Payment processor (not yet chosen) (United States), only when the Beta's points-only mode ends",
    "Our servers are hosted in the United States.",
    "We rely on Standard Contractual Clauses (or equivalent) for transfers from the EEA/UK.",
    "the chat thread becomes read-only 7 days after the order's terminal state.",
    "Email logs are retained for up to 12 months. Backups are rotated on a 30-day cycle.",
    "request an export of your marketplace data (account profile, orders, messages, reviews, points ledger, and uploaded files) in a machine-readable, portable format",
    "we'll respond within 30 days and deliver any export as a downloadable archive.",
    "Deletion removes your profile, sessions, and personal identifiers;",
    "Passwords are hashed with a memory-hard algorithm (Argon2).",
    "Sessions are bound to an HttpOnly cookie.",
    "heepr is not intended for users under 16.",
    "We use a small number of cookies, none for advertising.",
    "For material changes, we'll send a notification email to the address on your account.",
    "Privacy questions: privacy@heepr.ai.",
];

async fn privacy_pages_render_the_policy_files(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (status, text) = page(&app.url("/privacy")).await?;
    ensure!(status == 200, "/privacy: {status}");
    for promise in PROMISES {
        ensure!(text.contains(promise), "/privacy lacks {promise:?}");
    }
    // Generated lists: retention rules with periods, export sections, cookies.
    for fact in [
        "email log, policy notices: Email logs are retained for up to 12 months. (retention period: 12 months)",
        "request log: Request logs are retained for 90 days. (retention period: 90 days)",
        "consents, terms acceptances: Consent records are kept while the account is active",
        "consents (consents, terms_acceptances)",
        "sign in identities (sign_in_identities)",
        "heepr_session / __Host-heepr_session:",
        // Rules over whole accounts or files, with no table of their own, are published
        // too (the page used to list only rules named by a table).
        "unverified accounts: An account whose email address is never confirmed is deleted 30 days after sign-up. (retention period: 30 days)",
        "unrecorded files: Uploaded files and export archives that no record names",
    ] {
        ensure!(text.contains(fact), "/privacy lacks {fact:?}");
    }
    // Every rule with a period is on the page.
    let policies = heepr_compliance::Policies::load(&heepr_tests::policies_dir())?;
    for (name, rule) in &policies.retention.rules {
        if rule.has_period() {
            ensure!(
                text.contains(&rule.description),
                "/privacy does not publish rule {name}"
            );
        }
    }
    let (status, old) = page(&app.url("/privacy/versions/2026-05-20")).await?;
    ensure!(
        status == 200 && old.contains("Version 2026-05-20"),
        "{status}"
    );
    let (status, _) = page(&app.url("/privacy/versions/1999-01-01")).await?;
    ensure!(status == 404, "unknown version: {status}");

    let (status, cookies) = page(&app.url("/cookies")).await?;
    ensure!(status == 200, "/cookies: {status}");
    for fact in [
        "heepr_session / __Host-heepr_session",
        "heepr_sign_in",
        "At most 30 minutes",
        "none for advertising",
    ] {
        ensure!(cookies.contains(fact), "/cookies lacks {fact:?}");
    }
    let (status, subs) = page(&app.url("/subprocessors")).await?;
    ensure!(status == 200, "/subprocessors: {status}");
    for fact in [
        "Meta Platforms, Inc.",
        "GitHub, Inc.",
        "Standard Contractual Clauses",
        "Error monitoring and request tracing",
    ] {
        ensure!(subs.contains(fact), "/subprocessors lacks {fact:?}");
    }
    let (_, landing) = page(&app.url("/")).await?;
    for link in [
        "href=\"/privacy\"",
        "href=\"/cookies\"",
        "href=\"/subprocessors\"",
    ] {
        ensure!(landing.contains(link), "footer lacks {link}");
    }
    Ok(())
}
backend_test!(privacy_pages_render_the_policy_files);

async fn retention_figures_follow_the_policy_file(backend: Backend) -> Result<()> {
    let dir = policies_copy()?;
    edit(
        dir.path(),
        "retention.toml",
        "period_months = 12",
        "period_months = 13",
    )?;
    // The published words must agree with the period: changing only one is refused.
    let err = Policies::load(dir.path()).err().context("accepted")?;
    ensure!(err.key == "rules.email_log.description", "{err}");
    ensure!(err.reason.contains("12 months"), "{err}");
    edit(
        dir.path(),
        "retention.toml",
        "Email logs are retained for up to 12 months.\"",
        "Email logs are retained for up to 13 months.\"",
    )?;
    // Every other text stating the old period must follow: nothing enforces 12 months now.
    let err = Policies::load(dir.path()).err().context("accepted")?;
    ensure!(err.key == "tables.email_log.purpose", "{err}");
    ensure!(err.to_string().contains("data_map.toml"), "{err}");
    ensure!(err.reason.contains("12 months"), "{err}");
    edit(
        dir.path(),
        "data_map.toml",
        "kept up to 12 months.",
        "kept up to 13 months.",
    )?;
    edit(
        dir.path(),
        "retention.toml",
        "retained for up to 12 months.'",
        "retained for up to 13 months.'",
    )?;
    // A new material version makes the first one an old, still readable, version.
    let mut privacy = std::fs::read_to_string(dir.path().join("privacy_policy.toml"))?;
    privacy.push_str(
        "\n[[versions]]\nversion = \"2026-07-01\"\neffective = \"2026-07-01\"\nmaterial = true\nsummary = \"Email logs are now kept 13 months.\"\ntext = \"\"\"\nEffective {{ effective }}.\n\n## Retention\nEmail logs are retained for up to {{ retention.email_log }}.\n\"\"\"\n",
    );
    std::fs::write(dir.path().join("privacy_policy.toml"), privacy)?;
    let app = spawn_with_policies(&backend, dir.path()).await?;
    // 2026-05-20 was published while the files said 12 months: its snapshot keeps that.
    let before = Policies::load(&policies_dir())?;
    let clock = ManualClock::new(START_MS);
    let limits = BatchLimits {
        batch_size: 10,
        max_batches: None,
    };
    let first =
        notices::publish(&app.db.db, &before, &clock, &app.base, "2026-05-20", limits).await?;
    ensure!(first.first_publication && !first.material, "{first:?}");
    // `heepr serve` records the version in force at start-up, once.
    let serve_start = heepr_core::privacy::publications::record_current;
    ensure!(!serve_start(&app.db.db, &before, START_MS).await?);
    ensure!(serve_start(&app.db.db, &Policies::load(dir.path())?, START_MS).await?);
    let (_, text) = page(&format!("{}/privacy", app.base)).await?;
    ensure!(text.contains("Email logs are retained for up to 13 months."));
    ensure!(text.contains("Version 2026-07-01"));
    ensure!(!text.contains("12 months"), "the page still says 12 months");
    let (status, old) = page(&format!("{}/privacy/versions/2026-05-20", app.base)).await?;
    ensure!(status == 200 && old.contains("replaced on 2026-07-01"));
    ensure!(
        old.contains("Email logs are retained for up to 12 months. Backups"),
        "the old version does not read as published"
    );
    // Publishing again keeps the first snapshot.
    let again = notices::publish(
        &app.db.db,
        &Policies::load(dir.path())?,
        &clock,
        &app.base,
        "2026-05-20",
        limits,
    )
    .await?;
    ensure!(!again.first_publication);
    let (_, old) = page(&format!("{}/privacy/versions/2026-05-20", app.base)).await?;
    ensure!(old.contains("Email logs are retained for up to 12 months. Backups"));

    // A placeholder naming no fact stops start-up with file, key and reason.
    edit(
        dir.path(),
        "privacy_policy.toml",
        "{{ retention.email_log }}.\n\"\"\"",
        "{{ retention.chat_logs }}.\n\"\"\"",
    )?;
    let err = Policies::load(dir.path()).err().context("accepted")?;
    ensure!(err.file.ends_with("privacy_policy.toml"), "{err}");
    ensure!(err.key == "versions[1].text", "{err}");
    ensure!(err.reason.contains("retention.chat_logs"), "{err}");
    Ok(())
}
backend_test!(retention_figures_follow_the_policy_file);

/// Without `--out`, `heepr ropa` writes under the data dir, never into the current directory.
#[tokio::test]
async fn ropa_writes_under_the_data_dir_by_default() -> Result<()> {
    let data = tempfile::tempdir()?;
    let cwd = std::env::current_dir()?;
    let cli = Cli::try_parse_from([
        "heepr",
        "--policies",
        &policies_dir().display().to_string(),
        "--data-dir",
        &data.path().display().to_string(),
        "ropa",
    ])?;
    heepr_core::cli::run(cli).await?;
    ensure!(
        data.path().join("ropa").join("ropa.json").is_file()
            && data.path().join("ropa").join("ropa.md").is_file(),
        "no record under DATA_DIR/ropa"
    );
    ensure!(
        !cwd.join("ropa.json").exists() && !cwd.join("ropa.md").exists(),
        "the record was written into the current directory"
    );
    Ok(())
}

#[tokio::test]
async fn ropa_lists_every_category_of_the_data_map() -> Result<()> {
    let out = tempfile::tempdir()?;
    let policies = policies_dir();
    let cli = Cli::try_parse_from([
        "heepr",
        "--policies",
        &policies.display().to_string(),
        "ropa",
        "--out",
        &out.path().display().to_string(),
    ])?;
    heepr_core::cli::run(cli).await?;
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("ropa.json"))?)?;
    let md = std::fs::read_to_string(out.path().join("ropa.md"))?;
    let loaded = Policies::load(&policies)?;
    let mut expected = BTreeSet::new();
    let mut personal_tables = BTreeSet::new();
    for (table, spec) in &loaded.data_map.tables {
        for col in spec.columns.values().filter(|c| c.personal) {
            if let Some(category) = col.category {
                expected.insert(heepr_compliance::ropa::category_name(category).to_string());
                personal_tables.insert(table.clone());
            }
        }
    }
    let listed: BTreeSet<String> = json["categories"]
        .as_array()
        .context("categories")?
        .iter()
        .filter_map(|c| c["category"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        listed == expected,
        "listed {listed:?}, data map has {expected:?}"
    );
    for category in &expected {
        ensure!(
            md.contains(&format!("## Category: {category}")),
            "ropa.md lacks {category}"
        );
    }
    let tables: BTreeSet<String> = json["categories"]
        .as_array()
        .context("categories")?
        .iter()
        .flat_map(|c| c["processing"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["table"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        tables == personal_tables,
        "tables {tables:?} vs {personal_tables:?}"
    );
    let account = json["categories"]
        .as_array()
        .context("categories")?
        .iter()
        .find(|c| c["category"] == "account")
        .context("account category")?;
    ensure!(account["recipients"].to_string().contains("Google LLC"));
    ensure!(account["legal_bases"].to_string().contains("contract"));
    let email_log = json["categories"]
        .to_string()
        .contains("\"retention\":\"12 months\"");
    ensure!(email_log, "the email log's 12 months are not in the record");
    let transfers = json["transfers"].to_string();
    ensure!(
        transfers.contains("United States") && transfers.contains("Standard Contractual Clauses")
    );
    ensure!(md.contains("## Transfers outside the EEA/UK"));
    Ok(())
}

/// Names of the cookies a response sets.
fn set_cookie_names(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split('=').next().map(|n| n.trim().to_owned()))
        .collect()
}

async fn only_the_session_cookie_is_set_by_default(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    let mut names = Vec::new();
    let form = [
        ("display_name", "Ada"),
        ("email", "ada@example.com"),
        ("password", "correct horse battery"),
        ("age_16_or_over", "yes"),
        ("accept_terms", "yes"),
    ];
    let login = [
        ("email", "ada@example.com"),
        ("password", "correct horse battery"),
    ];
    let steps: Vec<reqwest::RequestBuilder> = vec![
        client.get(app.url("/")),
        client.get(app.url("/privacy")),
        client.get(app.url("/cookies")),
        client.get(app.url("/signup")),
        client.post(app.url("/signup")).form(&form),
        // Signing up opens no session: log in.
        client.post(app.url("/login")).form(&login),
        client.get(app.url("/dashboard")),
        client.get(app.url("/account/consents")),
        client.get(app.url("/api/v1/me")),
        client.post(app.url("/logout")),
        client.get(app.url("/login")),
        client.post(app.url("/login")).form(&login),
        client.get(app.url("/dashboard")),
    ];
    for step in steps {
        let response = step.send().await?;
        ensure!(
            response.status().as_u16() < 400,
            "{}: {}",
            response.url(),
            response.status()
        );
        names.extend(set_cookie_names(&response));
    }
    ensure!(!names.is_empty(), "the journey set no cookie at all");
    for name in &names {
        ensure!(name == "heepr_session", "cookie {name} set by default");
        let listed = app
            .state
            .policies
            .cookies
            .find(name)
            .with_context(|| format!("{name} is not listed in cookies.toml"))?;
        ensure!(listed.set_by_default && listed.category == "strictly_necessary");
    }
    Ok(())
}
backend_test!(only_the_session_cookie_is_set_by_default);

async fn consent_withdrawal_is_recorded_and_exported(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (client, account) = app.member("Ada", "ada@example.com").await?;
    let account_id = account["id"].as_str().context("id")?.to_owned();
    let given: Value = client
        .post(app.url("/api/v1/me/consents"))
        .json(&json!({"purpose": "product_news_email", "action": "given"}))
        .send()
        .await?
        .json()
        .await?;
    ensure!(given["given"] == true, "{given}");
    app.clock.advance_ms(60_000);
    // Withdrawn from the dashboard page, a plain form.
    let response = client
        .post(app.url("/account/consents"))
        .form(&[("purpose", "product_news_email"), ("action", "withdrawn")])
        .send()
        .await?;
    ensure!(response.status() == 303, "{}", response.status());
    let (_, page_text) = {
        let r = client.get(app.url("/account/consents")).send().await?;
        (r.status(), r.text().await?)
    };
    ensure!(page_text.contains("Product news by email") && page_text.contains("withdrawn"));
    let listed: Value = client
        .get(app.url("/api/v1/me/consents"))
        .send()
        .await?
        .json()
        .await?;
    let news = listed["consents"]
        .as_array()
        .context("consents")?
        .iter()
        .find(|c| c["purpose"] == "product_news_email")
        .context("purpose")?;
    ensure!(news["given"] == false, "{news}");
    let actions: Vec<&str> = listed["history"]
        .as_array()
        .context("history")?
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    ensure!(actions == ["given", "withdrawn"], "{actions:?}");
    let rows = app
        .count(
            "SELECT COUNT(*) FROM consents WHERE account_id = $1 AND version = '2026-05-20'",
            &account_id,
        )
        .await?;
    ensure!(rows == 2, "{rows} consent rows");
    let bad = client
        .post(app.url("/api/v1/me/consents"))
        .json(&json!({"purpose": "advertising", "action": "given"}))
        .send()
        .await?;
    ensure!(bad.status() == 422, "{}", bad.status());
    let anonymous = reqwest::get(app.url("/api/v1/me/consents")).await?;
    ensure!(anonymous.status() == 401);

    // Part of the export, and erased: the data map puts every column of `consents` in the
    // export's `consents` section and deletes the rows on erasure, so the DSR engine exports
    // and erases them without code of its own.
    let spec = &app.state.policies.data_map.tables["consents"];
    ensure!(spec.export == "consents");
    ensure!(spec.erasure == heepr_compliance::data_map::TableErasure::Delete);
    ensure!(spec.columns.values().all(|c| c.exported()));
    ensure!(
        spec.links
            .iter()
            .any(|l| l.column == "account_id" && l.via.is_none())
    );
    Ok(())
}
backend_test!(consent_withdrawal_is_recorded_and_exported);

/// One run of the publish job with batches of 2, stopping after `max_batches`.
async fn run(
    app: &TestApp,
    policies: &Policies,
    version: &str,
    max_batches: Option<u32>,
) -> Result<notices::PublishReport> {
    let limits = BatchLimits {
        batch_size: 2,
        max_batches,
    };
    Ok(notices::publish(
        &app.state.db,
        policies,
        &app.clock,
        &app.base,
        version,
        limits,
    )
    .await?)
}

async fn material_change_reaches_each_active_account_once(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let mut ids = Vec::new();
    for i in 0..5 {
        let client = app.client()?;
        let account = app
            .sign_up(
                &client,
                &format!("Member {i}"),
                &format!("m{i}@example.com"),
                "correct horse battery",
            )
            .await?;
        ids.push(account["id"].as_str().context("id")?.to_owned());
    }
    sqlx::query("UPDATE accounts SET status = 'closed' WHERE id = $1")
        .bind(&ids[4])
        .execute(app.pool())
        .await?;
    let dir = policies_copy()?;
    let mut privacy = std::fs::read_to_string(dir.path().join("privacy_policy.toml"))?;
    privacy.push_str(
        "\n[[versions]]\nversion = \"2026-07-01\"\neffective = \"2026-07-01\"\nmaterial = true\nsummary = \"We now name our email provider.\"\ntext = \"\"\"\nEffective {{ effective }}.\n\"\"\"\n",
    );
    std::fs::write(dir.path().join("privacy_policy.toml"), privacy)?;
    let policies = Policies::load(dir.path())?;
    let db = &app.state.db;

    // The job is "killed" after its first batch of 2: that batch is committed, nothing else.
    let first = run(&app, &policies, "2026-07-01", Some(1)).await?;
    ensure!(first.queued == 2 && !first.complete, "{first:?}");
    // A kill inside a batch rolls it back: simulate one by a transaction never committed.
    {
        let mut tx = db.begin_write().await?;
        sqlx::query("INSERT INTO policy_notices (id, policy, version, account_id, email_id, queued_at) VALUES ('x', 'privacy', '2026-07-01', $1, '', 0)")
            .bind(&ids[3])
            .execute(&mut *tx)
            .await?;
        drop(tx);
    }
    let rerun = run(&app, &policies, "2026-07-01", None).await?;
    ensure!(rerun.queued == 2 && rerun.complete, "{rerun:?}");
    let again = run(&app, &policies, "2026-07-01", None).await?;
    ensure!(again.queued == 0 && again.complete, "{again:?}");
    // Not material: nothing is sent.
    let quiet = run(&app, &policies, "2026-05-20", None).await?;
    ensure!(!quiet.material && quiet.queued == 0, "{quiet:?}");
    let unknown = run(&app, &policies, "1999-01-01", None).await.err();
    ensure!(unknown.is_some_and(|e| {
        e.to_string()
            .contains("published versions: 2026-05-20, 2026-07-01")
    }));

    // Delivered through the outbox and recorded in the email log, once per active account.
    loop {
        let report = heepr_core::runtime::email_delivery::deliver_due(&app.state).await?;
        if report.sent == 0 && report.failed == 0 && report.deferred == 0 {
            break;
        }
    }
    for (i, id) in ids.iter().enumerate() {
        let logged = app
            .count(
                "SELECT COUNT(*) FROM email_log WHERE account_id = $1 AND template = 'policy_change' AND status = 'sent'",
                id,
            )
            .await?;
        let expected = if i == 4 { 0 } else { 1 };
        if logged != expected {
            bail!("account {i}: {logged} notices, expected {expected}");
        }
    }
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM email_outbox WHERE template = 'policy_change' LIMIT 1",
    )
    .fetch_optional(app.pool())
    .await?
    .unwrap_or_default();
    ensure!(body.is_empty(), "outbox not drained");
    Ok(())
}
backend_test!(material_change_reaches_each_active_account_once);

/// Start-up refuses a policy that states a period no rule enforces: the privacy-request rule
/// says "3 years" and, without its period, nothing would delete the records; the loader
/// names the file, the key and the figure.
#[test]
fn a_stated_period_without_a_rule_enforcing_it_stops_start_up() -> Result<()> {
    let dir = policies_copy()?;
    Policies::load(dir.path()).context("the shipped policies load")?;
    edit(
        dir.path(),
        "retention.toml",
        "period_months = 36\nschedule = \"0 55 3 * * *\"\n",
        "",
    )?;
    let err = Policies::load(dir.path()).err().context("accepted")?;
    ensure!(err.key == "rules.privacy_requests.description", "{err}");
    ensure!(
        err.reason.contains("3 years") && err.reason.contains("not set"),
        "{err}"
    );
    ensure!(err.to_string().contains("retention.toml"), "{err}");
    Ok(())
}
