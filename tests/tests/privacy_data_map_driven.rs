//! Export and erasure are driven by the data map: a table added later (here a test-only
//! schema and data map, like the marketplace's orders, files and comments) is exported and
//! erased without new code. Also: stored files in `files/`, missing files in the manifest,
//! other people shown by display name, redaction inside kept text, a crash mid-erasure then
//! a rerun that completes.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

mod privacy_support;

use std::path::Path;

use anyhow::{Context, Result};
use heepr_compliance::data_map::DataMap;
use heepr_compliance::erasure::{self, ErasureError, ErasureJob};
use heepr_compliance::export::{self, ExportJob};
use heepr_compliance::{Policies, schema};
use heepr_tests::{Backend, TestDb, backend_test, policies_dir};
use privacy_support::*;
use serde_json::Value;

const EXTRA_SCHEMA: [&str; 4] = [
    "CREATE TABLE test_reviews (id TEXT PRIMARY KEY, author_id TEXT NOT NULL, owner_id TEXT NOT NULL, \
     rating BIGINT NOT NULL, body TEXT NOT NULL)",
    "CREATE TABLE test_chats (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, order_ref TEXT, topic TEXT NOT NULL)",
    "CREATE TABLE test_uploads (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, counterparty_id TEXT, \
     title TEXT NOT NULL, stored_path TEXT, created_at BIGINT NOT NULL)",
    "CREATE TABLE test_comments (id TEXT PRIMARY KEY, upload_id TEXT NOT NULL, author_name TEXT NOT NULL, \
     body TEXT NOT NULL, updated_at BIGINT NOT NULL)",
];

const EXTRA_MAP: &str = r#"
[tables.test_reviews]
purpose = "Test: reviews; kept after the author's erasure so the owner's rating is unchanged."
links = [{ column = "author_id" }]
export = "reviews"
erasure = "update"
retention = "account_lifetime"
[tables.test_reviews.columns]
id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
author_id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
owner_id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep", account_ref = true }
rating = { personal = false, erasure = "keep" }
body = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "redact" }
[tables.test_chats]
purpose = "Test: chats; a pre-sale chat (no order) is deleted on erasure, an order's chat kept."
links = [{ column = "account_id" }]
export = "messages"
erasure = "update"
delete_if_null = "order_ref"
retention = "account_lifetime"
[tables.test_chats.columns]
id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
account_id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
order_ref = { personal = false, erasure = "keep" }
topic = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "redact" }
[tables.test_uploads]
purpose = "Test: files a member uploaded (like briefs and deliverables)."
links = [{ column = "account_id" }]
export = "uploads"
erasure = "delete"
retention = "account_lifetime"
[tables.test_uploads.columns]
id = { personal = true, category = "marketplace_activity", basis = "contract" }
account_id = { personal = true, category = "marketplace_activity", basis = "contract" }
counterparty_id = { personal = true, category = "marketplace_activity", basis = "contract", account_ref = true }
title = { personal = true, category = "marketplace_activity", basis = "contract" }
stored_path = { personal = true, category = "marketplace_activity", basis = "contract", file = true }
created_at = { personal = false }

[tables.test_comments]
purpose = "Test: comments on uploads, kept for the other party."
links = [{ column = "upload_id", via = "test_uploads.id", subject_column = "account_id" }]
export = "uploads"
erasure = "update"
retention = "account_lifetime"
[tables.test_comments.columns]
id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
upload_id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
author_name = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "pseudonymise" }
body = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "redact" }
updated_at = { personal = false, erasure = "keep" }
"#;

async fn insert_account(db: &TestDb, id: &str, email: &str, name: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO accounts (id, email, display_name, password_hash, status, age_16_or_over_confirmed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, 'x', 'active', 1, 1, 1)",
    )
    .bind(id)
    .bind(email)
    .bind(name)
    .execute(db.db.pool())
    .await?;
    Ok(())
}

async fn new_table_is_exported_and_erased(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    for sql in EXTRA_SCHEMA {
        sqlx::query(sql).execute(db.db.pool()).await?;
    }
    let shipped = std::fs::read_to_string(policies_dir().join("data_map.toml"))?;
    let map = DataMap::parse(Path::new("test_map.toml"), &format!("{shipped}{EXTRA_MAP}"))?;
    let columns = schema::read_columns(&db.db).await?;
    assert_eq!(
        schema::compare(&map, &columns),
        vec![],
        "temp map matches temp schema"
    );
    let _ = Policies::load(&policies_dir())?;

    insert_account(
        &db,
        "acct-alice",
        "alice.newtable@example.com",
        "Alice Newtable",
    )
    .await?;
    insert_account(&db, "acct-bob", "bob.owner@example.com", "Bob Owner").await?;
    let data_dir = db.data_dir.path();
    std::fs::create_dir_all(data_dir.join("uploads/a"))?;
    std::fs::write(data_dir.join("uploads/a/brief one.txt"), b"the brief")?;
    for (id, path) in [
        ("up-1", "uploads/a/brief one.txt"),
        ("up-2", "uploads/a/missing.pdf"),
    ] {
        sqlx::query(
            "INSERT INTO test_uploads (id, account_id, counterparty_id, title, stored_path, created_at) \
             VALUES ($1, 'acct-alice', 'acct-bob', 'Logo brief', $2, 5)",
        )
        .bind(id)
        .bind(path)
        .execute(db.db.pool())
        .await?;
    }
    for (id, rating) in [("rev-1", 5_i64), ("rev-2", 2)] {
        sqlx::query(
            "INSERT INTO test_reviews (id, author_id, owner_id, rating, body) VALUES ($1, 'acct-alice', 'acct-bob', $2, 'Great work -- Alice Newtable')",
        )
        .bind(id)
        .bind(rating)
        .execute(db.db.pool())
        .await?;
    }
    let rating_sql =
        "SELECT CAST(SUM(rating) AS BIGINT) FROM test_reviews WHERE owner_id = 'acct-bob'";
    let rating_before: i64 = sqlx::query_scalar(rating_sql)
        .fetch_one(db.db.pool())
        .await?;
    for (id, order) in [("chat-presale", None), ("chat-order", Some("order-1"))] {
        sqlx::query(
            "INSERT INTO test_chats (id, account_id, order_ref, topic) VALUES ($1, 'acct-alice', $2, 'Logo for Alice Newtable')",
        )
        .bind(id)
        .bind(order)
        .execute(db.db.pool())
        .await?;
    }
    for i in 0..7 {
        sqlx::query(
            "INSERT INTO test_comments (id, upload_id, author_name, body, updated_at) VALUES ($1, 'up-1', $2, $3, 42)",
        )
        .bind(format!("c-{i}"))
        .bind(if i % 2 == 0 { "Alice Newtable" } else { "Bob Owner" })
        .bind(format!("Thanks ALICE NEWTABLE, write to alice.newtable@example.com ({i})"))
        .execute(db.db.pool())
        .await?;
    }

    // Export: the new section, the stored file, the missing one, Bob by display name only.
    let out = tempfile::tempdir()?;
    let job = ExportJob {
        map: &map,
        account_id: "acct-alice",
        data_dir,
        out_dir: out.path(),
        archive_name: "x.tar.gz",
        generated_at_ms: 1_780_272_000_000,
    };
    let outcome = export::build(db.db.pool(), &job).await?;
    assert_eq!((outcome.files, outcome.missing_files), (1, 1));
    let dir = out.path().join("unpacked");
    let names = python_extract(&outcome.path, &dir)?;
    assert!(names.contains(&"uploads.json".to_string()), "{names:?}");
    let manifest = verify_manifest(&dir)?;
    let missing = manifest["missing_files"].as_array().context("missing")?;
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["row"], "up-2");
    let section: Value = serde_json::from_slice(&std::fs::read(dir.join("uploads.json"))?)?;
    let uploads = section["tables"]["test_uploads"]["rows"]
        .as_array()
        .context("rows")?;
    assert_eq!(uploads.len(), 2);
    assert_eq!(uploads[0]["counterparty_id"]["display_name"], "Bob Owner");
    let brief = uploads[0]["stored_path"].as_str().context("path")?;
    assert!(
        brief.starts_with("files/") && !brief.contains(' '),
        "{brief}"
    );
    assert_eq!(std::fs::read(dir.join(brief))?, b"the brief");
    let text = std::fs::read_to_string(dir.join("uploads.json"))?;
    assert!(!text.contains("acct-bob") && !text.contains("bob.owner"));
    assert_eq!(
        section["tables"]["test_comments"]["rows"]
            .as_array()
            .map(Vec::len),
        Some(7)
    );
    // Deterministic: the same inputs give the same archive bytes.
    let again = ExportJob {
        archive_name: "y.tar.gz",
        ..job.clone()
    };
    let second = export::build(db.db.pool(), &again).await?;
    assert_eq!(second.sha256, outcome.sha256);

    // Preview counts per table and action.
    let preview = erasure::preview(db.db.pool(), &map, "acct-alice").await?;
    assert_eq!(preview["test_uploads"].deleted, 2);
    assert_eq!(preview["test_comments"].pseudonymised, 7);
    assert_eq!(preview["test_comments"].redacted, 7);
    assert_eq!(preview["sessions"].deleted, 0);
    assert_eq!(preview["accounts"].nulled, 1);
    assert_eq!(
        (preview["test_chats"].deleted, preview["test_chats"].kept),
        (1, 1)
    );

    // A crash after two batches (batches of 2 rows), then a rerun that completes.
    let mut job = ErasureJob {
        map: &map,
        account_id: "acct-alice",
        request_id: None,
        actor: "test",
        data_dir,
        batch_rows: 2,
        stop_after_batches: Some(2),
    };
    let first = erasure::run(&db.db, &job, 10).await;
    assert!(
        matches!(first, Err(ErasureError::Interrupted(2))),
        "{first:?}"
    );
    assert!(!erasure::is_erased(db.db.pool(), "acct-alice").await?);
    let half_done: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM test_comments WHERE author_name = 'Alice Newtable'",
    )
    .fetch_one(db.db.pool())
    .await?;
    assert!(half_done > 0, "the crash came before the work was done");
    job.stop_after_batches = None;
    let done = erasure::run(&db.db, &job, 20).await?;
    assert!(!done.already_erased);
    assert!(
        done.pseudonym.starts_with("Former member "),
        "{}",
        done.pseudonym
    );
    assert!(erasure::is_erased(db.db.pool(), "acct-alice").await?);
    let again = erasure::run(&db.db, &job, 30).await?;
    assert!(again.already_erased, "a third run changes nothing");
    assert_eq!(again.pseudonym, done.pseudonym, "the pseudonym is stable");

    let chats: Vec<(String, String)> = sqlx::query_as("SELECT id, topic FROM test_chats")
        .fetch_all(db.db.pool())
        .await?;
    assert_eq!(
        chats,
        vec![(
            "chat-order".to_string(),
            format!("Logo for {}", done.pseudonym)
        )],
        "the pre-sale chat is deleted, the order's chat kept and redacted"
    );
    let rating_after: i64 = sqlx::query_scalar(rating_sql)
        .fetch_one(db.db.pool())
        .await?;
    assert_eq!(
        rating_before, rating_after,
        "the owner's rating is unchanged"
    );
    let review_bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM test_reviews")
        .fetch_all(db.db.pool())
        .await?;
    assert_eq!(review_bodies.len(), 2);
    assert!(
        review_bodies
            .iter()
            .all(|b| b == &format!("Great work -- {}", done.pseudonym))
    );
    let uploads_left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM test_uploads")
        .fetch_one(db.db.pool())
        .await?;
    assert_eq!(uploads_left, 0);
    assert!(
        !data_dir.join("uploads/a/brief one.txt").exists(),
        "stored file kept"
    );
    let bodies: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT author_name, body, updated_at FROM test_comments ORDER BY id")
            .fetch_all(db.db.pool())
            .await?;
    assert_eq!(bodies.len(), 7, "comments are kept for the other party");
    for (author, body, updated_at) in &bodies {
        assert!(!body.to_ascii_lowercase().contains("alice"), "{body}");
        assert!(body.contains(&done.pseudonym), "{body}");
        assert_eq!(author, &done.pseudonym);
        assert_eq!(*updated_at, 42, "updated_at must not change");
    }
    let bob: (String, i64) =
        sqlx::query_as("SELECT display_name, updated_at FROM accounts WHERE id = 'acct-bob'")
            .fetch_one(db.db.pool())
            .await?;
    assert_eq!(bob, ("Bob Owner".to_string(), 1));
    let alice: (String, String, Option<String>, String) = sqlx::query_as(
        "SELECT email, display_name, password_hash, status FROM accounts WHERE id = 'acct-alice'",
    )
    .fetch_one(db.db.pool())
    .await?;
    assert_eq!(alice.1, done.pseudonym);
    assert_eq!(alice.2, None);
    assert_eq!(alice.3, "closed");
    // The erasure ledger: in the database and in the append-only file.
    let ledger = heepr_compliance::erasure_ledger::read_file(data_dir)?;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].account_id, "acct-alice");
    // Lost file line (crash between commit and write): re-synced from the database.
    std::fs::remove_file(heepr_compliance::erasure_ledger::file_path(data_dir))?;
    let written = heepr_compliance::erasure_ledger::sync_file(db.db.pool(), data_dir)
        .await
        .map_err(anyhow::Error::msg)?;
    assert_eq!(written, 1);
    assert_eq!(
        heepr_compliance::erasure_ledger::read_file(data_dir)?,
        ledger
    );
    Ok(())
}
backend_test!(new_table_is_exported_and_erased);
