//! End-to-end test harness: a real heepr server on 127.0.0.1, on a fresh database per test,
//! on SQLite (a temp file) or PostgreSQL (a fresh database on the server named by
//! `HEEPR_TEST_DATABASE_URL`).
//!
//! Every story test is written once as `async fn name(backend: Backend) -> Result<()>` and
//! declared with [`backend_test!`], which makes `name::sqlite` and `name::postgres` tests.
//! Without `HEEPR_TEST_DATABASE_URL` the PostgreSQL half says it was skipped; in CI
//! (`CI=true`) a missing URL is a failure, so the PostgreSQL half can never pass silently.

pub mod dovecot;
pub mod mail;
pub mod market;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use heepr_compliance::{Clock, Db, ManualClock, Policies};
use heepr_core::AppState;
use heepr_core::platform::deferred_writes::Drainer;
use heepr_core::platform::settings::Settings;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A temp SQLite file.
    Sqlite,
    /// A fresh database on the PostgreSQL server at this admin URL.
    Postgres(String),
}

/// The environment variable naming the PostgreSQL server for tests.
pub const PG_URL_VAR: &str = "HEEPR_TEST_DATABASE_URL";

impl Backend {
    /// The PostgreSQL backend if configured. `Ok(None)` means skip (reported on stderr);
    /// in CI a missing URL is an error.
    pub fn postgres() -> Result<Option<Backend>> {
        match std::env::var(PG_URL_VAR) {
            Ok(url) if !url.is_empty() => Ok(Some(Backend::Postgres(url))),
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                bail!("{PG_URL_VAR} is not set in CI: the PostgreSQL half of the suite must run")
            }
            _ => {
                eprintln!("SKIPPED PostgreSQL half: set {PG_URL_VAR}=postgres://... to run it");
                Ok(None)
            }
        }
    }
}

/// Declares a test that runs on both backends: `backend_test!(name);` for an
/// `async fn name(backend: Backend) -> anyhow::Result<()>` in scope.
#[macro_export]
macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                super::$name($crate::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                match $crate::Backend::postgres()? {
                    Some(backend) => super::$name(backend).await,
                    None => Ok(()),
                }
            }
        }
    };
}

/// The repository's `policies/` directory.
pub fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

/// A fresh, migrated database for one test, plus its data dir. On PostgreSQL the database
/// is dropped again when the test ends.
pub struct TestDb {
    /// The database.
    pub db: Db,
    /// Its URL.
    pub url: String,
    /// Temp data dir (SQLite file, mail, uploads); deleted on drop.
    pub data_dir: tempfile::TempDir,
}

impl TestDb {
    /// Creates and migrates a fresh database on `backend`.
    pub async fn new(backend: &Backend) -> Result<TestDb> {
        let data_dir = tempfile::tempdir()?;
        let url = match backend {
            Backend::Sqlite => format!(
                "sqlite:{}?mode=rwc",
                data_dir.path().join("heepr.db").display()
            ),
            Backend::Postgres(admin_url) => create_pg_database(admin_url).await?,
        };
        let db = heepr_core::platform::db::open_and_migrate(&url).await?;
        Ok(TestDb { db, url, data_dir })
    }
}

impl TestDb {
    /// Inserts a bare active, verified account whose id, email and display name are all `id`, for
    /// tests that need a row to point at rather than a person to sign in as.
    pub async fn insert_account(&self, id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO accounts (id, email, display_name, status, age_16_or_over_confirmed_at, created_at, updated_at, email_verified_at) \
             VALUES ($1, $1, $1, 'active', 0, 0, 0, 0)",
        )
        .bind(id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.url.starts_with("postgres") {
            return;
        }
        let Some((base, name)) = self.url.rsplit_once('/') else {
            return;
        };
        let (admin_url, name) = (format!("{base}/postgres"), name.to_string());
        // Drop runs inside the test's runtime; a thread with its own runtime can block.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Db::connect(&admin_url, 1).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(admin.pool())
                    .await
                    .ok()?;
                admin.close().await;
                Some(())
            })
        });
        let _ = dropped.join();
    }
}

async fn create_pg_database(admin_url: &str) -> Result<String> {
    let admin = Db::connect(admin_url, 1)
        .await
        .context("connecting to HEEPR_TEST_DATABASE_URL")?;
    let name = format!("heepr_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await
        .context("creating a test database (the role needs CREATEDB)")?;
    admin.close().await;
    let (base, _) = admin_url
        .rsplit_once('/')
        .context("database URL has no /dbname")?;
    Ok(format!("{base}/{name}"))
}

/// A running heepr server for one test.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's state (database, settings).
    pub state: AppState,
    /// The server's clock; tests move it.
    pub clock: ManualClock,
    /// Keeps the database and data dir alive.
    pub test_db: TestDb,
    /// Ends the server's graceful shutdown wait (see [`TestApp::stop`]).
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

/// 2026-06-01T00:00:00Z, where every test's clock starts.
pub const START_MS: i64 = 1_780_272_000_000;

impl TestApp {
    /// Starts a server with default settings on a fresh database.
    pub async fn spawn(backend: &Backend) -> Result<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server, letting `configure` adjust the settings first.
    pub async fn spawn_with(
        backend: &Backend,
        configure: impl FnOnce(&mut Settings),
    ) -> Result<TestApp> {
        Ok(Self::start(backend, configure, false).await?.0)
    }

    /// Starts a server whose deferred writes (request log, last-seen times) nobody drains:
    /// the test holds the queue's drainer and starts the writer when it wants
    /// (`heepr_core::runtime::deferred_writer::Writer::spawn`).
    pub async fn spawn_holding_writes(
        backend: &Backend,
        configure: impl FnOnce(&mut Settings),
    ) -> Result<(TestApp, Drainer)> {
        let (app, drainer) = Self::start(backend, configure, true).await?;
        Ok((app, drainer.context("the drainer was already taken")?))
    }

    async fn start(
        backend: &Backend,
        configure: impl FnOnce(&mut Settings),
        hold_writes: bool,
    ) -> Result<(TestApp, Option<Drainer>)> {
        let test_db = TestDb::new(backend).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let mut settings =
            Settings::with_defaults(test_db.data_dir.path().to_path_buf(), base.clone());
        configure(&mut settings);
        let policies = Policies::load(&policies_dir())?;
        let clock = ManualClock::new(START_MS);
        let state = AppState::new(
            test_db.db.clone(),
            settings,
            policies,
            Arc::new(clock.clone()) as Arc<dyn Clock>,
        )?;
        let drainer = if hold_writes {
            state.deferred.take_drainer()
        } else {
            None
        };
        let served = state.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            let _ = heepr_core::serve(listener, served, shutdown).await;
        });
        let app = TestApp {
            base,
            state,
            clock,
            test_db,
            stop: Some(stop),
            server,
        };
        Ok((app, drainer))
    }

    /// Shuts the server down gracefully (as SIGTERM does) and waits until `serve` returned:
    /// every job stopped and every deferred write committed.
    pub async fn stop(&mut self) -> Result<()> {
        let Some(stop) = self.stop.take() else {
            return Ok(());
        };
        let _ = stop.send(());
        (&mut self.server).await?;
        Ok(())
    }

    /// Waits until every write the server queued so far (request log, last-seen and
    /// last-used times) is committed.
    pub async fn flush(&self) {
        self.state.deferred.flush().await;
    }

    /// The server clock's current time (Unix ms).
    pub fn clock_now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A new HTTP client with its own cookie jar (one "browser" or script).
    pub fn client(&self) -> Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .cookie_store(true)
            .timeout(std::time::Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()?)
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The database pool, for assertions.
    pub fn pool(&self) -> &sqlx::AnyPool {
        self.state.db.pool()
    }

    /// Signs up through the API and verifies the address by following the link of the
    /// verification email, as the person would; returns the account JSON (as signed up,
    /// before the bonus was credited).
    pub async fn sign_up(
        &self,
        client: &reqwest::Client,
        name: &str,
        email: &str,
        password: &str,
    ) -> Result<Value> {
        let account = self
            .sign_up_unverified(client, name, email, password)
            .await?;
        let address = account["email"]
            .as_str()
            .context("no email in the account")?;
        self.verify_email(address).await?;
        Ok(account)
    }

    /// Follows the newest verification link mailed to `email` (its page's button), from a
    /// browser that is not signed in.
    pub async fn verify_email(&self, email: &str) -> Result<()> {
        let link = mail::link_to(self, email, "/account/verify/").await?;
        // The link names the public URL, which need not be where the test server listens.
        let path = link
            .find("/account/verify/")
            .map_or(link.as_str(), |at| &link[at..]);
        let response = self.client()?.post(self.url(path)).send().await?;
        if response.status() != 303 {
            bail!("verification failed: {}", response.status());
        }
        Ok(())
    }

    /// Signs up through the API without verifying the address; returns the new account as
    /// `GET /api/v1/me` shows it. The sign-up's answer names no account (it is the same for
    /// an address in use), so the account is read from the database by its address.
    pub async fn sign_up_unverified(
        &self,
        client: &reqwest::Client,
        name: &str,
        email: &str,
        password: &str,
    ) -> Result<Value> {
        let response = client
            .post(self.url("/api/v1/accounts"))
            .json(&json!({"display_name": name, "email": email, "password": password, "age_16_or_over": true, "accept_terms": true}))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if status != 202 {
            bail!("sign-up failed: {status} {body}");
        }
        let address = body["email"].as_str().context("no email in the answer")?;
        let key = heepr_core::identity::accounts::validate::email_key(address);
        let id: String = sqlx::query_scalar(
            "SELECT id FROM accounts WHERE email_normalized = $1 AND status = 'active'",
        )
        .bind(&key)
        .fetch_optional(self.pool())
        .await?
        .with_context(|| format!("no account was created for {address}"))?;
        let profile = heepr_core::identity::accounts::profile(&self.state, &id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(serde_json::to_value(profile)?)
    }

    /// Logs in through the API (the client keeps the cookie).
    pub async fn log_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> Result<Value> {
        let response = client
            .post(self.url("/api/v1/sessions"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if status != 200 {
            bail!("login failed: {status} {body}");
        }
        Ok(body)
    }

    /// A signed-up and logged-in client; returns it with the account JSON.
    pub async fn member(&self, name: &str, email: &str) -> Result<(reqwest::Client, Value)> {
        let client = self.client()?;
        let account = self.sign_up(&client, name, email, DEFAULT_PASSWORD).await?;
        self.log_in(&client, email, DEFAULT_PASSWORD).await?;
        Ok((client, account))
    }

    /// Counts rows of `sql` (a `SELECT COUNT(*) ...` with `$1` bound to `arg`).
    pub async fn count(&self, sql: &'static str, arg: &str) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>(sql)
            .bind(arg)
            .fetch_one(self.pool())
            .await?)
    }

    /// Waits (bounded, ~10 s) until `sql` with `$1 = arg` counts at least `n` rows.
    pub async fn wait_for_count(&self, sql: &'static str, arg: &str, n: i64) -> Result<i64> {
        for _ in 0..200 {
            let got = self.count(sql, arg).await?;
            if got >= n {
                return Ok(got);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        bail!("timed out waiting for {n} rows of {sql}")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The password [`TestApp::member`] uses.
pub const DEFAULT_PASSWORD: &str = "correct horse battery";

/// Reads `{"error": {"code": ..}}` from a response body.
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// Runs `heepr <args>` in-process on `db` with `data_dir` and the shipped policies (the real
/// clap definition and command code); returns the exit code.
///
/// Errors: the arguments do not parse, or the command fails.
pub async fn heepr_with(db: &TestDb, data_dir: &std::path::Path, args: &[&str]) -> Result<u8> {
    use clap::Parser;
    let data_dir = data_dir.display().to_string();
    let policies = policies_dir().display().to_string();
    let mut argv = vec![
        "heepr",
        "--data-dir",
        &data_dir,
        "--database-url",
        &db.url,
        "--policies",
        &policies,
    ];
    argv.extend_from_slice(args);
    heepr_core::cli::run(heepr_core::cli::args::Cli::try_parse_from(argv)?).await
}
