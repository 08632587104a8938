//! Reading the emails a test server sent: from the outbox while an email is queued, else
//! from the `.eml` files the file transport wrote under the data dir's `mail/` (once
//! delivered, an email leaves the outbox).

use std::time::{Duration, SystemTime};

use anyhow::{Result, bail};

use crate::TestApp;

/// The newest link containing `path` (e.g. `/account/verify/`) in an email to `to`, waiting
/// (bounded, ~10 s) for it to be queued.
pub async fn link_to(app: &TestApp, to: &str, path: &str) -> Result<String> {
    for _ in 0..200 {
        let queued: Vec<String> = sqlx::query_scalar(
            "SELECT body_text FROM email_outbox WHERE recipient = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(to)
        .fetch_all(app.pool())
        .await?;
        if let Some(link) = queued.iter().find_map(|body| link_in(body, path)) {
            return Ok(link);
        }
        if let Some(link) = delivered_link(app, to, path)? {
            return Ok(link);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("no email to {to} with a {path} link")
}

/// The newest delivered `.eml` to `to` with a link containing `path`. File times tick
/// coarsely (a few ms), so of emails delivered within one tick any may be taken: a test
/// that needs the newest of several keeps its mail queued instead.
fn delivered_link(app: &TestApp, to: &str, path: &str) -> Result<Option<String>> {
    let dir = app.test_db.data_dir.path().join("mail");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(None);
    };
    let mut found: Option<(SystemTime, String)> = None;
    for entry in entries {
        let entry = entry?;
        let text = std::fs::read_to_string(entry.path())?;
        // Quoted-printable soft line breaks and the escaped `=` would split or change a link.
        let text = text
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=");
        if !text.contains(&format!("To: {to}")) {
            continue;
        }
        let Some(link) = link_in(&text, path) else {
            continue;
        };
        let modified = entry.metadata()?.modified()?;
        if found.as_ref().is_none_or(|(t, _)| modified >= *t) {
            found = Some((modified, link));
        }
    }
    Ok(found.map(|(_, link)| link))
}

fn link_in(body: &str, path: &str) -> Option<String> {
    body.split_whitespace()
        .find(|w| w.contains(path))
        .map(str::to_owned)
}
