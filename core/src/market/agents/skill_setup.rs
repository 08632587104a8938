//! The skill setup bundle published agents get ("We generate a custom skill setup. Drop it
//! into Claude Code, Cursor, Cline, or your own runner"): a `.tar.gz` with a `SKILL.md` that
//! tells an agent runner how to work heepr's bearer API, plus config snippets per runner.
//!
//! The key itself is never in the bundle: it is shown once when issued, and the snippets read
//! it from the `HEEPR_API_KEY` environment variable. The archive is deterministic (sorted
//! entries, fixed mtime and modes), so the same agent gives the same bytes.

use flate2::Compression;
use flate2::write::GzEncoder;

use super::Agent;
use crate::platform::error::AppError;

/// Modification time written for every entry (2026-01-01T00:00:00Z), for reproducible bytes.
const FIXED_MTIME: u64 = 1_767_225_600;

/// The bundle's files, `(path, contents)`, in archive order.
pub fn files(agent: &Agent, public_url: &str) -> Vec<(String, String)> {
    let skill = skill_md(agent, public_url);
    let mut files = vec![
        ("heepr-skill/SKILL.md".to_owned(), skill.clone()),
        (
            "heepr-skill/claude-code/.claude/skills/heepr/SKILL.md".to_owned(),
            skill.clone(),
        ),
        (
            "heepr-skill/cursor/.cursor/rules/heepr.mdc".to_owned(),
            format!(
                "---\ndescription: Work heepr orders for the agent {name}\nalwaysApply: false\n---\n\n{skill}",
                name = agent.name
            ),
        ),
        ("heepr-skill/cline/.clinerules/heepr.md".to_owned(), skill),
        (
            "heepr-skill/http-runner/runner.sh".to_owned(),
            runner_sh(public_url),
        ),
        (
            "heepr-skill/README.txt".to_owned(),
            format!(
                "Skill setup for the heepr agent \"{name}\" ({id}).\n\n\
                 1. Issue an API key on heepr (Agents > {name} > API keys) and export it:\n   export HEEPR_API_KEY=hpr_...\n\
                 2. Copy the folder for your runner into your project:\n   claude-code/ (Claude Code), cursor/ (Cursor), cline/ (Cline),\n   http-runner/ (any script: runner.sh uses curl and python3).\n\
                 3. SKILL.md explains the bearer API; the full reference is {url}/api/openapi.json\n",
                name = agent.name,
                id = agent.id,
                url = public_url
            ),
        ),
    ];
    files.sort();
    files
}

fn skill_md(agent: &Agent, url: &str) -> String {
    let form: Vec<String> = agent
        .order_form
        .iter()
        .map(|f| {
            format!(
                "- `{}` ({:?}{}): {}",
                f.name,
                f.field_type,
                if f.required { ", required" } else { "" },
                f.label
            )
        })
        .collect();
    format!(
        "---\nname: heepr-{id}\ndescription: Take and deliver orders for the heepr agent \"{name}\" through heepr's bearer API.\n---\n\n\
# heepr agent worker: {name}\n\n\
You work orders customers place with the agent \"{name}\" on heepr ({url}). Every call sends\n\
`Authorization: Bearer $HEEPR_API_KEY`. Never print the key.\n\n\
## Loop\n\
1. `POST {url}/api/v1/agent/heartbeat` at least every 2 minutes (marks the agent online).\n\
2. `GET {url}/api/v1/agent/orders?status=placed` lists new orders with the customer's answers.\n\
3. `POST {url}/api/v1/agent/orders/{{id}}/accept` to take one (starts the work).\n\
4. `POST {url}/api/v1/agent/orders/{{id}}/events` `{{\"kind\":\"progress\",\"message\":\"...\"}}` to report progress.\n\
5. `GET|POST {url}/api/v1/agent/orders/{{id}}/messages` `{{\"body\":\"...\"}}` to talk with the customer.\n\
6. `POST {url}/api/v1/agent/orders/{{id}}/deliveries` (multipart: `note` text, one or more `file` parts) to deliver.\n\
7. Orders in `in_progress` again after a revision was approved: read the messages and deliver again.\n\
8. `POST {url}/api/v1/agent/threads/{{id}}/offers` `{{\"scope\",\"price_points\",\"delivery_hours\",\"expires_in_hours\"}}` sends an offer in a pre-sale chat.\n\n\
Deliver before the deadline ({hours} hours after the order is placed): an order not delivered by then is refunded\n\
to the customer automatically. Files attached to an order: `GET {url}/api/v1/agent/files/{{id}}`.\n\n\
## The order form customers fill\n{form}\n\n\
## Rules\n\
- You see the customer's display name and what they submitted for the order, nothing else.\n\
- Keep your tools, models and keys to yourself; do not send them in messages.\n\
- Errors come as JSON `{{\"error\":{{\"code\",\"message\"}}}}`; 401 means the key was revoked.\n\
- Send an `Idempotency-Key` header (any unique text, e.g. `deliver-<order id>`) on every POST you may retry:\n  a retry with the same key and body within 24 hours gets the first answer and does nothing twice.\n",
        id = agent.id,
        name = agent.name,
        hours = agent.delivery_hours,
        form = if form.is_empty() {
            "(no fields)".to_owned()
        } else {
            form.join("\n")
        },
    )
}

// The writes are retried (a dropped connection) with one Idempotency-Key per order and
// step, so a retry gets the first answer instead of accepting or delivering twice.
/// The http runner: a POSIX shell script with curl, reading JSON with python3 (a grep for
/// `"id"` also matches the ids of an order's files, so it would accept a file id as an
/// order and stop at the 404).
fn runner_sh(url: &str) -> String {
    RUNNER_SH.replace("{url}", url)
}

const RUNNER_SH: &str = r#"#!/bin/sh
# A minimal heepr agent runner: heartbeat, accept new orders, deliver a text file.
# Usage: HEEPR_API_KEY=hpr_... sh runner.sh    (needs curl and python3)
set -eu
API={url}/api/v1/agent
AUTH="Authorization: Bearer $HEEPR_API_KEY"
# Writes are retried with an Idempotency-Key: a retry gets the first answer, never a second action.
RETRY="--retry 3 --retry-all-errors"
# The ids of the orders in the JSON list on stdin (not of their files or anything else).
order_ids() {
  python3 -c 'import json, sys; print("\n".join(o["id"] for o in json.load(sys.stdin)["orders"]))'
}
RESULT=$(mktemp)
trap 'rm -f "$RESULT"' EXIT
curl -fsS -X POST -H "$AUTH" "$API/heartbeat" >/dev/null
for id in $(curl -fsS -H "$AUTH" "$API/orders?status=placed" | order_ids); do
  curl -fsS $RETRY -X POST -H "$AUTH" -H "Idempotency-Key: accept-$id" "$API/orders/$id/accept" >/dev/null
  echo "Result for order $id" > "$RESULT"
  curl -fsS $RETRY -X POST -H "$AUTH" -H "Idempotency-Key: deliver-$id" -F note='Done' -F "file=@$RESULT;filename=result.txt" "$API/orders/$id/deliveries" >/dev/null
  echo "delivered $id"
done
"#;

/// The bundle as `.tar.gz` bytes.
///
/// Errors: 500 if writing the archive in memory fails.
pub fn bundle(agent: &Agent, public_url: &str) -> Result<Vec<u8>, AppError> {
    let encoder = GzEncoder::new(Vec::new(), Compression::default());
    let mut tar = tar::Builder::new(encoder);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, contents) in files(agent, public_url) {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mtime(FIXED_MTIME);
        header.set_mode(if path.ends_with(".sh") { 0o755 } else { 0o644 });
        header.set_cksum();
        tar.append_data(&mut header, &path, contents.as_bytes())
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let encoder = tar.into_inner().map_err(|e| AppError::Internal(e.into()))?;
    encoder.finish().map_err(|e| AppError::Internal(e.into()))
}
