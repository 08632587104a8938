//! Helpers shared by the privacy stories: staff tokens, waiting for DSR jobs, reading
//! archives back with GNU tar and Python, scanning the database and data dir.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Parser;
use heepr_compliance::Clock;
use heepr_compliance::subject_rows::text_value;
use heepr_core::cli::args::Cli;
use heepr_core::identity::staff::{self, StaffRole};
use heepr_tests::TestApp;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// A server whose outgoing mail stays queued in `email_outbox` (its SMTP server refuses), so
/// tests can read each email's text.
pub async fn spawn_keeping_mail(backend: &heepr_tests::Backend) -> Result<TestApp> {
    TestApp::spawn_with(backend, |s| {
        s.mail_transport =
            heepr_core::platform::settings::MailTransportConfig::Smtp("smtp://127.0.0.1:9".into());
    })
    .await
}

/// A staff token of `role` for `app`.
pub async fn staff_token(app: &TestApp, email: &str, role: StaffRole) -> Result<String> {
    let (_, token) = staff::create(&app.state.db, email, role, app.clock.now_ms())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(token)
}

/// The status of request `id`.
pub async fn status_of(app: &TestApp, id: &str) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT status FROM dsr_requests WHERE id = $1")
            .bind(id)
            .fetch_one(app.pool())
            .await?,
    )
}

/// Waits (bounded, ~15 s) until request `id` is in `status`.
pub async fn wait_status(app: &TestApp, id: &str, status: &str) -> Result<()> {
    for _ in 0..300 {
        if status_of(app, id).await? == status {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let reason: Option<String> =
        sqlx::query_scalar("SELECT status_reason FROM dsr_requests WHERE id = $1")
            .bind(id)
            .fetch_one(app.pool())
            .await?;
    bail!(
        "request {id} never became {status}; it is {} ({})",
        status_of(app, id).await?,
        reason.unwrap_or_default()
    )
}

/// The newest request of `kind` for `account_id`.
pub async fn latest_request(app: &TestApp, account_id: &str, kind: &str) -> Result<String> {
    sqlx::query_scalar(
        "SELECT id FROM dsr_requests WHERE account_id = $1 AND kind = $2 ORDER BY received_at DESC, id DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(kind)
    .fetch_optional(app.pool())
    .await?
    .context("no such request")
}

/// Lists a .tar.gz with GNU tar (`tar -tzvf`), returning the verbose lines.
pub fn gnu_tar_list(archive: &Path) -> Result<Vec<String>> {
    let out = Command::new("tar").arg("-tzvf").arg(archive).output()?;
    if !out.status.success() {
        bail!("tar -tzvf failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .map(str::to_string)
        .collect())
}

/// Extracts with GNU tar into a fresh dir.
pub fn gnu_tar_extract(archive: &Path, into: &Path) -> Result<()> {
    std::fs::create_dir_all(into)?;
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(into)
        .output()?;
    if !out.status.success() {
        bail!("tar -xzf failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// Extracts with Python's tarfile and the `data` filter (refuses absolute paths, `..`,
/// links outside, special files); returns the member names.
pub fn python_extract(archive: &Path, into: &Path) -> Result<Vec<String>> {
    let script = [
        "import sys, tarfile",
        "with tarfile.open(sys.argv[1], 'r:gz') as t:",
        "    t.extractall(sys.argv[2], filter='data')",
        "    print('\\n'.join(t.getnames()))",
    ]
    .join("\n");
    let out = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .arg(archive)
        .arg(into)
        .output()?;
    if !out.status.success() {
        bail!(
            "python tarfile failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .map(str::to_string)
        .collect())
}

/// Checks every file listed in `dir/manifest.json` has the listed size and SHA-256;
/// returns the manifest.
pub fn verify_manifest(dir: &Path) -> Result<Value> {
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    let files = manifest["files"].as_array().context("manifest.files")?;
    for f in files {
        let path = f["path"].as_str().context("path")?;
        let bytes = std::fs::read(dir.join(path)).with_context(|| path.to_string())?;
        assert_eq!(
            bytes.len() as u64,
            f["size"].as_u64().unwrap_or(u64::MAX),
            "{path} size"
        );
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            f["sha256"].as_str().unwrap_or_default(),
            "{path} sha256"
        );
    }
    Ok(manifest)
}

/// Every (table, column, value) in the database whose text contains one of `needles`
/// (ASCII case-insensitive).
pub async fn db_mentions(app: &TestApp, needles: &[&str]) -> Result<Vec<String>> {
    let schema = heepr_compliance::schema::read_columns(&app.state.db).await?;
    let mut hits = Vec::new();
    for (table, columns) in &schema {
        if table == "_sqlx_migrations" {
            continue; // sqlx's bookkeeping (binary checksums), written before any account
        }
        let cols: Vec<&String> = columns.iter().collect();
        let list = cols
            .iter()
            .map(|c| format!("CAST(\"{c}\" AS TEXT)"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {list} FROM \"{table}\""
        )))
        .fetch_all(app.pool())
        .await?;
        for row in rows {
            for (i, col) in cols.iter().enumerate() {
                let Some(v) = text_value(&row, i) else {
                    continue;
                };
                let lower = v.to_ascii_lowercase();
                if needles
                    .iter()
                    .any(|n| lower.contains(&n.to_ascii_lowercase()))
                {
                    hits.push(format!("{table}.{col} = {v:?}"));
                }
            }
        }
    }
    Ok(hits)
}

/// Every file under `dir` (recursively) whose bytes contain one of `needles` (ASCII
/// case-insensitive).
pub fn files_mentioning(dir: &Path, needles: &[&str]) -> Result<Vec<PathBuf>> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path)?.to_ascii_lowercase();
            let found = needles.iter().any(|n| {
                let n = n.to_ascii_lowercase().into_bytes();
                bytes.windows(n.len()).any(|w| w == n.as_slice())
            });
            if found {
                hits.push(path);
            }
        }
    }
    Ok(hits)
}

/// Account id of `email`.
pub async fn account_id(app: &TestApp, email: &str) -> Result<String> {
    let row = sqlx::query("SELECT id FROM accounts WHERE email = $1")
        .bind(email)
        .fetch_one(app.pool())
        .await?;
    Ok(row.try_get("id")?)
}

/// Runs `heepr <args>` in-process (the real clap definition) on `app`'s database, data
/// dir and policies; fails on a non-zero exit code.
pub async fn heepr(app: &TestApp, args: &[&str]) -> Result<()> {
    let data_dir = app.test_db.data_dir.path().display().to_string();
    let policies = heepr_tests::policies_dir().display().to_string();
    let mut argv = vec![
        "heepr",
        "--data-dir",
        &data_dir,
        "--database-url",
        &app.test_db.url,
        "--policies",
        &policies,
    ];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv)?;
    match heepr_core::cli::run(cli).await? {
        0 => Ok(()),
        code => anyhow::bail!("exit code {code}"),
    }
}

/// The pseudonym drawn for erased `account_id`.
pub async fn pseudonym_of(app: &TestApp, account_id: &str) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT pseudonym FROM pseudonyms WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(app.pool())
            .await?,
    )
}

/// Asks for the erasure of the signed-in `client`'s account (`account_id`) from the
/// dashboard, password confirmed; returns the erasure request's id.
pub async fn ask_erasure(
    app: &TestApp,
    client: &reqwest::Client,
    account_id: &str,
) -> Result<String> {
    let r = client
        .post(app.url("/account/delete"))
        .form(&[("password", heepr_tests::DEFAULT_PASSWORD)])
        .send()
        .await?;
    anyhow::ensure!(
        r.status() == 303,
        "account deletion answered {}",
        r.status()
    );
    latest_request(app, account_id, "erasure").await
}

/// Waits (bounded) until no email is queued, so none goes out naming `account_id` after
/// a test starts erasing them.
pub async fn wait_mail_out(app: &TestApp, account_id: &str) -> Result<()> {
    app.wait_for_count(
        "SELECT COUNT(*) FROM accounts WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM email_outbox)",
        account_id,
        1,
    )
    .await?;
    Ok(())
}

/// Calls admin route `path` (after `/admin/api/v1`) with staff `token`; the status and the
/// JSON body (`null` when there is none).
pub async fn admin(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Result<(u16, Value)> {
    let mut req = app
        .client()?
        .request(method, app.url(&format!("/admin/api/v1{path}")))
        .header("Authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await?;
    let status = r.status().as_u16();
    Ok((status, r.json::<Value>().await.unwrap_or(Value::Null)))
}
