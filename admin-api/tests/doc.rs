//! `docs/admin-api.md` says exactly what the crate says:
//! - every JSON example marked `<!-- type: Name -->` is exactly that type (no field more,
//!   none less, no unknown state), and the examples of each struct together show every
//!   field it has, optional ones included;
//! - every enum marked `<!-- enum: Name -->` lists exactly its wire names, in order;
//! - every wire type of the crate is shown;
//! - the endpoint table lists exactly [`ROUTES`] (method, path, query parameters, role,
//!   body, status, answer), and the error table exactly [`CODES`].
//!
//! The last test changes the doc in small ways and checks each change is caught.

use std::collections::{BTreeMap, BTreeSet};

use heepr_admin_api::contract::{TYPE_NAMES, check, fields};
use heepr_admin_api::error::CODES;
use heepr_admin_api::routes::{Access, ROUTES};
use heepr_admin_api::{IntakeOutcome, Kind, Role, Status, Store};
use serde_json::Value;

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/admin-api.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The wire names of every enum, in declaration order.
fn enums() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("Role", Role::ALL.map(Role::as_str).to_vec()),
        ("Status", Status::ALL.map(Status::as_str).to_vec()),
        ("Kind", Kind::ALL.map(Kind::as_str).to_vec()),
        ("Store", Store::ALL.map(Store::as_str).to_vec()),
        (
            "IntakeOutcome",
            IntakeOutcome::ALL.map(IntakeOutcome::as_str).to_vec(),
        ),
    ])
}

/// What the doc shows: examples by type, enum values, and the two tables' rows.
#[derive(Default)]
struct Doc {
    examples: Vec<(String, String)>,
    enums: BTreeMap<String, Vec<String>>,
    routes: Vec<Vec<String>>,
    errors: Vec<Vec<String>>,
}

fn marker<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    line.trim()
        .strip_prefix(&format!("<!-- {kind}: "))?
        .strip_suffix(" -->")
        .map(str::trim)
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// The rows of the table whose header starts with `header`.
fn table(lines: &[&str], header: &str) -> Vec<Vec<String>> {
    let Some(start) = lines.iter().position(|l| l.starts_with(header)) else {
        return Vec::new();
    };
    lines[start + 2..]
        .iter()
        .take_while(|l| l.starts_with('|'))
        .map(|l| cells(l))
        .collect()
}

fn parse(text: &str) -> Result<Doc, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut doc = Doc {
        routes: table(&lines, "| method and path |"),
        errors: table(&lines, "| status | code |"),
        ..Doc::default()
    };
    let mut i = 0;
    while i < lines.len() {
        let next = lines[i + 1..].iter().position(|l| !l.trim().is_empty());
        if let Some(name) = marker(lines[i], "type") {
            let open = next
                .map(|n| i + 1 + n)
                .ok_or(format!("{name}: no example"))?;
            if lines[open].trim() != "```json" {
                return Err(format!(
                    "{name}: the marker is not followed by a ```json block"
                ));
            }
            let len = lines[open + 1..]
                .iter()
                .position(|l| l.trim() == "```")
                .ok_or(format!("{name}: unclosed block"))?;
            let body = lines[open + 1..open + 1 + len].join("\n");
            doc.examples.push((name.to_string(), body));
            i = open + len + 1;
        } else if let Some(name) = marker(lines[i], "enum") {
            let line = next.map(|n| lines[i + 1 + n]).unwrap_or_default();
            doc.enums.insert(name.to_string(), backticked(line));
        }
        i += 1;
    }
    Ok(doc)
}

fn check_examples(doc: &Doc, problems: &mut Vec<String>) {
    let mut shown: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, body) in &doc.examples {
        if !TYPE_NAMES.contains(&name.as_str()) {
            problems.push(format!("example of {name}, which is not a wire type"));
            continue;
        }
        let value: Value = match serde_json::from_str(body) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("example of {name} is not JSON: {e}"));
                continue;
            }
        };
        if let Err(e) = check(name, &value) {
            problems.push(format!("example of {name}: {e}"));
        }
        let keys = shown.entry(name).or_default();
        keys.extend(
            value
                .as_object()
                .into_iter()
                .flat_map(|o| o.keys().cloned()),
        );
    }
    let enums = enums();
    for name in TYPE_NAMES {
        if let Some(values) = enums.get(name) {
            match doc.enums.get(*name) {
                Some(listed) if listed == values => {}
                Some(listed) => problems.push(format!(
                    "enum {name}: the doc lists {listed:?}, the crate has {values:?}"
                )),
                None => problems.push(format!("enum {name}: no `<!-- enum: {name} -->` list")),
            }
            continue;
        }
        let Some(keys) = shown.get(name) else {
            problems.push(format!("{name}: no example in the doc"));
            continue;
        };
        if let Some(fields) = fields(name) {
            let fields: BTreeSet<String> = fields.iter().map(|f| f.to_string()).collect();
            for f in fields.difference(keys) {
                problems.push(format!(
                    "{name}.{f}: in the crate, in no example of the doc"
                ));
            }
        }
    }
    for name in doc.enums.keys() {
        if !enums.contains_key(name.as_str()) {
            problems.push(format!("enum list of {name}, which is not a wire enum"));
        }
    }
}

/// A route as the doc's table row spells it: `GET /path?a=&b=`, role, body, answer.
fn route_rows() -> Vec<Vec<String>> {
    ROUTES
        .iter()
        .map(|r| {
            let query = r.query.map_or(String::new(), |q| {
                let names: Vec<String> = fields(q)
                    .unwrap_or_default()
                    .iter()
                    .map(|f| format!("{f}="))
                    .collect();
                format!("?{}", names.join("&"))
            });
            vec![
                format!("`{}{query}`", r.name()),
                match r.access {
                    Access::Any => "any",
                    Access::Officer => "officer",
                }
                .to_string(),
                r.body.map_or(String::new(), |b| format!("`{b}`")),
                format!("{} `{}`", r.status, r.answer),
            ]
        })
        .collect()
}

fn check_tables(doc: &Doc, problems: &mut Vec<String>) {
    let documented: Vec<Vec<String>> = doc
        .routes
        .iter()
        .map(|r| r[..4.min(r.len())].to_vec())
        .collect();
    let expected = route_rows();
    let missing: Vec<_> = expected
        .iter()
        .filter(|r| !documented.contains(r))
        .collect();
    let extra: Vec<_> = documented
        .iter()
        .filter(|r| !expected.contains(r))
        .collect();
    for row in &missing {
        problems.push(format!(
            "route {row:?} is in the crate, not in the endpoint table"
        ));
    }
    for row in &extra {
        problems.push(format!(
            "endpoint table row {row:?} is not a route of the crate"
        ));
    }
    if missing.is_empty() && extra.is_empty() && documented != expected {
        problems.push("the endpoint table is not in the order of ROUTES".into());
    }
    for r in ROUTES {
        for name in [Some(r.answer), r.body, r.query].into_iter().flatten() {
            if !TYPE_NAMES.contains(&name) {
                problems.push(format!("{}: {name} is not in TYPE_NAMES", r.name()));
            }
        }
    }
    let documented: Vec<(String, String)> = doc
        .errors
        .iter()
        .map(|r| {
            (
                r[0].clone(),
                r.get(1)
                    .map(|c| c.trim_matches('`').to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = CODES
        .iter()
        .map(|c| (c.status.to_string(), c.code.to_string()))
        .collect();
    if documented != expected {
        problems.push(format!(
            "error table {documented:?} differs from the crate's codes {expected:?}"
        ));
    }
}

/// Every way `text` disagrees with the crate.
fn problems(text: &str) -> Vec<String> {
    let doc = match parse(text) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    check_examples(&doc, &mut problems);
    check_tables(&doc, &mut problems);
    problems
}

#[test]
fn the_doc_matches_the_crate() {
    let problems = problems(&doc());
    assert!(
        problems.is_empty(),
        "docs/admin-api.md and heepr-admin-api disagree:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn drift_in_any_direction_is_caught() {
    let doc = doc();
    let drifts = [
        // A field the crate has disappears from the doc's only example showing it.
        (r#""due_at_ms": 1782864000000,"#, ""),
        // The doc shows a field the crate does not have.
        (
            r#""file_present": true}"#,
            r#""file_present": true, "encrypted": false}"#,
        ),
        // An optional body field is not shown anywhere.
        (r#", "details": "Everything you hold on me, please.""#, ""),
        // A state the crate does not know.
        (
            r#""allowed_transitions": ["on_hold", "#,
            r#""allowed_transitions": ["paused", "#,
        ),
        // A route missing, or a different answer, or a different role.
        (
            "| `GET /backups` | any | | 200 `BackupList` | oldest first, with the catalog's warnings |\n",
            "",
        ),
        ("200 `HoldLifted`", "200 `Hold`"),
        (
            "| `POST /accounts/{id}/rectify` | officer | `Rectify` | 200 `Rectified` |",
            "| `POST /accounts/{id}/rectify` | officer | `Reason` | 200 `Rectified` |",
        ),
        (
            "| `POST /requests/{id}/extend` | officer",
            "| `POST /requests/{id}/extend` | any",
        ),
        // A query parameter the route does not take.
        ("&limit=`", "&limit=&offset=`"),
        // An error code renamed, an enum value missing.
        ("| 409 | `no_period` |", "| 409 | `no_rule_period` |"),
        ("`consent_withdrawal`.", "."),
    ];
    for (from, to) in drifts {
        assert!(doc.contains(from), "the doc no longer contains {from:?}");
        let changed = doc.replacen(from, to, 1);
        assert!(
            !problems(&changed).is_empty(),
            "changing {from:?} to {to:?} went unnoticed"
        );
    }
}
