//! The `heepr` command as an operator meets it: bad flags and policies fail with the bad
//! value named, migrate and demo-data work, and the server's logs carry no secrets.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn heepr() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_heepr"));
    cmd.env_remove("HEEPR_DATABASE_URL")
        .env_remove("HEEPR_DATA_DIR")
        .env_remove("HEEPR_POLICIES");
    cmd.arg("--policies")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies"));
    cmd
}

/// The first line `child` prints, waiting at most 60 s (a server that never starts must fail
/// the test, not hang it).
fn first_line(child: &mut std::process::Child) -> String {
    let Some(stdout) = child.stdout.take() else {
        return String::new();
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default()
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    match cmd.output() {
        Ok(out) => (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        Err(e) => (-1, String::new(), e.to_string()),
    }
}

#[test]
fn bad_flag_values_are_named() {
    let dir = tempfile::tempdir().map_err(|e| e.to_string());
    let Ok(dir) = dir else { return };
    let cases: [(&[&str], &str); 4] = [
        (&["serve", "--signup-bonus", "-5"], "-5"),
        (&["serve", "--session-idle-timeout", "soon"], "soon"),
        (&["serve", "--public-url", "heepr.example"], "heepr.example"),
        (&["serve", "--bind", "nowhere"], "nowhere"),
    ];
    for (args, bad) in cases {
        let (code, _, err) = run(heepr().arg("--data-dir").arg(dir.path()).args(args));
        assert_ne!(code, 0, "{args:?} accepted");
        assert!(
            err.contains(bad),
            "{args:?}: error does not name {bad:?}: {err}"
        );
    }
    let (code, _, err) = run(heepr().arg("--data-dir").arg(dir.path()).args([
        "--database-url",
        "mysql://u:hunter2@db/x",
        "migrate",
    ]));
    assert_ne!(code, 0);
    assert!(
        err.contains("unsupported database URL") && !err.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn bad_policy_stops_start_up_with_file_key_and_reason() {
    let Ok(policies) = tempfile::tempdir() else {
        return;
    };
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies");
    for file in ["data_map.toml", "retention.toml"] {
        let text = std::fs::read_to_string(format!("{src}/{file}")).unwrap_or_default();
        let text = if file == "data_map.toml" {
            text.replacen("category = \"technical\"", "category = \"telemetry\"", 1)
        } else {
            text
        };
        assert!(std::fs::write(policies.path().join(file), text).is_ok());
    }
    let Ok(data) = tempfile::tempdir() else {
        return;
    };
    let (code, _, err) = run(Command::new(env!("CARGO_BIN_EXE_heepr"))
        .arg("--policies")
        .arg(policies.path())
        .arg("--data-dir")
        .arg(data.path())
        .arg("migrate"));
    assert_ne!(code, 0);
    assert!(
        err.contains("data_map.toml") && err.contains("telemetry"),
        "{err}"
    );
}

#[test]
fn migrate_then_demo_data_then_refuses_to_mix() {
    let Ok(dir) = tempfile::tempdir() else { return };
    let (code, out, err) = run(heepr().arg("--data-dir").arg(dir.path()).arg("migrate"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("migrations applied"));
    let (code, out, err) = run(heepr().arg("--data-dir").arg(dir.path()).args([
        "demo-data",
        "--accounts",
        "30",
        "--seed",
        "3",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("30 accounts"), "{out}");
    let (code, _, err) =
        run(heepr()
            .arg("--data-dir")
            .arg(dir.path())
            .args(["demo-data", "--accounts", "5"]));
    assert_ne!(code, 0);
    assert!(err.contains("already has 30 accounts"), "{err}");
}

#[test]
fn serve_logs_carry_no_secrets() {
    let Ok(dir) = tempfile::tempdir() else { return };
    let mut child = heepr()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start heepr serve");
    // Drained while the server runs: a full stderr pipe (debug logs pass 64 KiB) would
    // block the server's writes and hang every request.
    let mut stderr = child.stderr.take().expect("stderr piped");
    let drain = std::thread::spawn(move || {
        let mut logs = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut logs);
        logs
    });
    let line = first_line(&mut child);
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    let base = format!("http://{addr}");
    let password = "sup3r-secret-passphrase";
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let token = runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
        let body = serde_json::json!({"display_name": "Ada", "email": "ada@example.com", "password": password, "age_16_or_over": true, "accept_terms": true});
        let _ = client.post(format!("{base}/api/v1/accounts")).json(&body).send().await;
        let login = serde_json::json!({"email": "ada@example.com", "password": password});
        let response = client.post(format!("{base}/api/v1/sessions?token=querysecret")).json(&login).send().await;
        let token = response
            .ok()
            .and_then(|r| r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).map(str::to_owned))
            .unwrap_or_default();
        let _ = client.get(format!("{base}/api/v1/me")).header("cookie", token.split(';').next().unwrap_or("")).send().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        token
    });
    let _ = child.kill();
    let _ = child.wait();
    let logs = drain.join().unwrap_or_default();
    let logs = String::from_utf8_lossy(&logs);
    assert!(logs.contains("request"), "no request logs at all: {logs}");
    let token_value = token
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v)
        .unwrap_or("missing");
    assert!(
        !token_value.is_empty() && token_value != "missing",
        "login failed"
    );
    for secret in [password, "querysecret", token_value] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
    }
}

#[test]
fn sweep_and_retention_rules_speak_crontab() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) =
        run(heepr()
            .arg("--data-dir")
            .arg(dir.path())
            .args(["sweep", "--dry-run", "--json"]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert!(
        lines.iter().any(|l| l["rule"] == "email_log"
            && l["outcome"] == "succeeded"
            && l["dry_run"] == true),
        "{out}"
    );
    let (code, _, err) = run(heepr()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["sweep", "--rule", "forever"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("forever") && err.contains("no retention rule"),
        "{err}"
    );
    let (code, out, err) =
        run(heepr().args(["retention", "rules", "--time-zone", "Europe/Berlin"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("email_log") && out.contains("12 months") && out.contains("0 0 3 * * *"),
        "{out}"
    );
    let (code, _, err) = run(heepr().args(["retention", "rules", "--time-zone", "Mars/Olympus"]));
    assert_ne!(code, 0);
    assert!(err.contains("Mars/Olympus"), "{err}");
}

#[test]
fn restore_is_refused_while_a_server_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(heepr()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["backup", "create"]));
    assert_eq!(code, 0, "{err}");
    let id = out
        .split_whitespace()
        .nth(1)
        .expect("backup id")
        .to_string();
    let mut server = heepr()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("HEEPR_NO_SCHEDULER", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start heepr serve");
    let line = first_line(&mut server);
    assert!(line.contains("listening"), "{line}");
    std::thread::sleep(Duration::from_millis(500));
    let (code, _, err) = run(heepr()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["backup", "restore", &id]));
    let _ = server.kill();
    let _ = server.wait();
    assert_ne!(code, 0);
    assert!(err.contains("server is running"), "{err}");
}

/// The nightly cron line on a fresh install (issue 10): `heepr migrate && heepr sweep
/// --json` exits 0 and deletes what is past its period, with `--backup-dir` elsewhere (not
/// there yet); a rule that fails (its backup dir is a file) is reported and recorded, and
/// every other rule still runs.
#[test]
fn sweep_on_a_fresh_install_runs_every_rule_and_survives_one_failing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backups = dir.path().join("elsewhere").join("backups");
    let (code, _, err) = run(heepr().arg("--data-dir").arg(dir.path()).arg("migrate"));
    assert_eq!(code, 0, "{err}");
    let url = format!("sqlite:{}", dir.path().join("heepr.db").display());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let db = rt
        .block_on(heepr_core::platform::db::open_and_migrate(&url))
        .expect("db");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    let day = 86_400_000_i64;
    let insert_mail = |id: &str, age_days: i64| {
        rt.block_on(
            sqlx::query(
                "INSERT INTO email_log (id, recipient, template, subject, status, transport, queued_at, finished_at) \
                 VALUES ($1, 'r@example.com', 'welcome', 'Hi', 'sent', 'file', $2, $2)",
            )
            .bind(id)
            .bind(now - age_days * day)
            .execute(db.pool()),
        )
        .expect("insert");
    };
    insert_mail("old-1", 400);
    insert_mail("new-1", 10);
    let count = |sql: &str| -> i64 {
        rt.block_on(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(db.pool()),
        )
        .expect("count")
    };
    let sweep = || {
        run(heepr()
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--backup-dir")
            .arg(&backups)
            .args(["sweep", "--json"]))
    };
    let (code, out, err) = sweep();
    assert_eq!(code, 0, "{out}\n{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let of = |rule: &str| {
        lines
            .iter()
            .find(|l| l["rule"] == rule)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(of("backups")["outcome"], "succeeded", "{out}");
    assert_eq!(of("email_log")["outcome"], "succeeded", "{out}");
    assert_eq!(of("email_log")["rows_affected"], 1, "{out}");
    assert_eq!(count("SELECT COUNT(*) FROM email_log"), 1);

    // The backup dir is a file: that rule fails, the email log is still swept.
    std::fs::create_dir_all(backups.parent().expect("parent")).expect("mkdir");
    std::fs::write(&backups, b"not a directory").expect("write");
    insert_mail("old-2", 400);
    let (code, out, err) = sweep();
    assert_eq!(code, 1, "{out}\n{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let of = |rule: &str| {
        lines
            .iter()
            .find(|l| l["rule"] == rule)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(of("backups")["outcome"], "failed", "{out}");
    assert!(
        of("backups")["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{out}"
    );
    assert_eq!(of("email_log")["rows_affected"], 1, "{out}");
    assert!(err.contains("backups"), "{err}");
    assert_eq!(count("SELECT COUNT(*) FROM email_log"), 1);
    assert_eq!(
        count("SELECT COUNT(*) FROM retention_runs WHERE rule = 'backups' AND outcome = 'failed'"),
        1
    );
}

#[test]
fn staff_are_listed_rotated_and_offboarded_from_the_cli() {
    let Ok(dir) = tempfile::tempdir() else { return };
    let data = dir.path().to_str().unwrap_or_default().to_string();
    let staff = |args: &[&str]| run(heepr().args(["--data-dir", &data, "staff"]).args(args));
    let (code, out, err) = staff(&[
        "create",
        "--email",
        "dpo@heepr.example",
        "--role",
        "privacy-officer",
        "--expires-in",
        "30d",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("shown once") && out.contains("expires "),
        "{out}"
    );
    let (code, out, _) = staff(&["list", "--json"]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(list[0]["email"], "dpo@heepr.example");
    assert_eq!(list[0]["active_tokens"], 1);
    let (code, out, err) = staff(&["rotate", "--email", "dpo@heepr.example"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("old tokens revoked"), "{out}");
    let (code, out, err) = staff(&["revoke", "--email", "dpo@heepr.example"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("deactivated; 1 token(s) revoked"), "{out}");
    let (code, _, err) = staff(&["rotate", "--email", "dpo@heepr.example"]);
    assert_ne!(code, 0);
    assert!(err.contains("deactivated"), "{err}");
    // Coming back: the same account, active again, with a new token.
    let (code, out, err) = staff(&[
        "create",
        "--email",
        "dpo@heepr.example",
        "--role",
        "support",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("shown once"), "{out}");
    let (_, out, _) = staff(&["list", "--json"]);
    let back: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(back.as_array().map(Vec::len), Some(1), "{back}");
    assert_eq!(back[0]["role"], "support");
    assert!(back[0]["deactivated_at"].is_null(), "{back}");
    assert_eq!(back[0]["active_tokens"], 1);
    let (code, _, err) = staff(&["revoke", "--email", "dpo@heepr.example"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = staff(&["revoke", "--email", "nobody@heepr.example"]);
    assert_ne!(code, 0);
    assert!(err.contains("staff account"), "{err}");
    let (code, out, _) = staff(&["list"]);
    assert_eq!(code, 0);
    assert!(out.contains("deactivated"), "{out}");
}

/// An error's cause is printed once: no error type repeats its source in its message (the
/// chain printer adds it).
#[test]
fn a_backup_error_prints_its_cause_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_a_dir = dir.path().join("backups-file");
    std::fs::write(&not_a_dir, b"a file where the backup directory should be").expect("write");
    let (code, _out, err) = run(heepr()
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--backup-dir")
        .arg(&not_a_dir)
        .args(["backup", "list"]));
    assert_ne!(code, 0, "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
}

/// A restore brings back the sessions and staff tokens of the backup's day; a leaver's
/// revoked token must not work again, so a restore revokes them all (staff rotate).
#[test]
fn a_restore_revokes_the_staff_tokens_and_sessions_it_brought_back() {
    let Ok(dir) = tempfile::tempdir() else { return };
    let data = dir.path().to_str().unwrap_or_default().to_string();
    let cmd = |args: &[&str]| run(heepr().args(["--data-dir", &data]).args(args));
    let (code, _, err) = cmd(&[
        "staff",
        "create",
        "--email",
        "leaver@heepr.example",
        "--role",
        "privacy-officer",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cmd(&["backup", "create"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cmd(&["staff", "revoke", "--email", "leaver@heepr.example"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = cmd(&["backup", "list", "--json"]);
    let listing: serde_json::Value = serde_json::from_str(&out).expect("json");
    let id = listing["backups"][0]["id"]
        .as_str()
        .expect("a backup")
        .to_string();
    let (code, out, err) = cmd(&["backup", "restore", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("revoked 1 staff tokens"), "{out}");
    let (_, out, _) = cmd(&["staff", "list", "--json"]);
    let staff: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        staff[0]["active_tokens"], 0,
        "the leaver's restored token does not work: {staff}"
    );
}
