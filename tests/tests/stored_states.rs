//! Stored states are enums end to end: every value a migration's CHECK constraint allows
//! in a TEXT column belongs to a stored-state enum, and no such value is written as a
//! literal in the SQL of `core/src` or `compliance/src` (queries bind the enum's
//! `as_str()`). The forbidden words come from the enums' own variant lists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use heepr_compliance::base::stored_state::{StoredState, stored_texts};
use heepr_compliance::dsr::{RequestKind, RequestStatus, VerifiedBy};
use heepr_compliance::former_identifiers::Identifier;
use heepr_compliance::sweep::RunOutcome;
use heepr_core::identity::accounts::AccountStatus;
use heepr_core::identity::oauth::flow::{FlowPurpose, SignInFlowStatus};
use heepr_core::identity::oauth::provider::Provider;
use heepr_core::identity::staff::StaffRole;
use heepr_core::ledger::{LedgerAccountKind, TransferKind};
use heepr_core::market::agents::AgentStatus;
use heepr_core::market::agents::events::EventKind;
use heepr_core::market::chats::messages::AuthorRole;
use heepr_core::market::chats::offers::OfferStatus;
use heepr_core::market::files::Purpose;
use heepr_core::market::orders::OrderStatus;
use heepr_core::platform::idempotency::KeyState;
use heepr_core::privacy::analytics::Metric;
use heepr_core::privacy::consents::ConsentAction;
use heepr_core::privacy::objections::Processing;
use heepr_core::privacy::requests::intake::Channel;
use heepr_core::runtime::email_delivery::EmailStatus;

fn texts<S: StoredState>() -> (&'static str, Vec<&'static str>) {
    (S::WHAT, stored_texts::<S>())
}

/// Every stored-state enum with its stored texts. A new one is added here; the migration
/// check below fails until it is.
fn stored_states() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        texts::<AccountStatus>(),
        texts::<AgentStatus>(),
        texts::<AuthorRole>(),
        texts::<Channel>(),
        texts::<ConsentAction>(),
        texts::<EmailStatus>(),
        texts::<EventKind>(),
        texts::<FlowPurpose>(),
        texts::<Identifier>(),
        texts::<KeyState>(),
        texts::<LedgerAccountKind>(),
        texts::<Metric>(),
        texts::<OfferStatus>(),
        texts::<OrderStatus>(),
        texts::<Processing>(),
        texts::<Provider>(),
        texts::<Purpose>(),
        texts::<RequestKind>(),
        texts::<RequestStatus>(),
        texts::<RunOutcome>(),
        texts::<SignInFlowStatus>(),
        texts::<StaffRole>(),
        texts::<TransferKind>(),
        texts::<VerifiedBy>(),
    ]
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `'word'` literals in `source` that are stored-state texts, as `(line, word)`.
/// Comment lines are skipped; a lifetime (`'a`) has no closing quote and a char literal
/// is one character, so neither is taken for a SQL literal.
fn literal_sites(source: &str, words: &BTreeSet<&str>) -> Vec<(usize, String)> {
    let mut sites = Vec::new();
    for (n, line) in source.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(open) = rest.find('\'') {
            let after = &rest[open + 1..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if after[len..].starts_with('\'') && words.contains(&after[..len]) {
                sites.push((n + 1, after[..len].to_owned()));
                rest = &after[len + 1..];
            } else {
                rest = after;
            }
        }
    }
    sites
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

#[test]
fn no_stored_state_is_written_as_a_sql_literal() {
    let words: BTreeSet<&str> = stored_states()
        .into_iter()
        .flat_map(|(_, texts)| texts)
        .collect();
    let root = workspace();
    let mut files = Vec::new();
    for dir in ["core/src", "compliance/src"] {
        rust_files(&root.join(dir), &mut files).unwrap();
    }
    let mut found = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for (line, word) in literal_sites(&source, &words) {
            found.push(format!("{}:{line}: '{word}'", file.display()));
        }
    }
    assert!(
        files.len() > 100,
        "the scan found only {} files",
        files.len()
    );
    assert!(
        found.is_empty(),
        "stored states written as SQL literals (bind the enum's as_str() instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_literal_scan_finds_a_planted_state() {
    let words = BTreeSet::from(["placed", "active"]);
    let planted = "let q = \"UPDATE orders SET status = 'placed' WHERE a.status = 'active'\";\n\
                   // a comment may say 'placed'\n\
                   fn f<'a>(s: &'a str) -> char { 'p' }\n\
                   let other = \"WHERE status = 'unknown'\";";
    assert_eq!(
        literal_sites(planted, &words),
        [(1, "placed".to_owned()), (1, "active".to_owned())]
    );
}

/// The value lists of `CHECK (column IN ('a', 'b'))` constraints in `sql`.
fn check_lists(sql: &str) -> Vec<Vec<String>> {
    let mut lists = Vec::new();
    let mut rest = sql;
    while let Some(at) = rest.find(" IN (") {
        let after = &rest[at + 5..];
        let end = after.find(')').unwrap_or(after.len());
        let items: Vec<String> = after[..end]
            .split(',')
            .map(|v| v.trim().trim_matches('\'').to_owned())
            .collect();
        let before = &rest[..at];
        if before
            .rfind("CHECK (")
            .is_some_and(|c| !before[c..].contains(')'))
            && after[..end].trim_start().starts_with('\'')
        {
            lists.push(items);
        }
        rest = &after[end..];
    }
    lists
}

#[test]
fn every_checked_text_column_has_a_stored_state_enum() {
    let states = stored_states();
    let mut migrations: Vec<PathBuf> = std::fs::read_dir(workspace().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    migrations.sort();
    let mut lists = Vec::new();
    for file in &migrations {
        lists.extend(check_lists(&std::fs::read_to_string(file).unwrap()));
    }
    assert!(lists.len() >= 15, "found only {} CHECK lists", lists.len());
    for list in lists {
        assert!(
            states
                .iter()
                .any(|(_, texts)| list.iter().all(|v| texts.contains(&v.as_str()))),
            "no stored-state enum covers CHECK (... IN {list:?})"
        );
    }
}

#[test]
fn the_check_list_reader_finds_constraints() {
    let sql = "status TEXT NOT NULL CHECK (status IN ('open', 'done')),\n\
               WHERE id IN (SELECT 1)";
    assert_eq!(
        check_lists(sql),
        [vec!["open".to_owned(), "done".to_owned()]]
    );
}
