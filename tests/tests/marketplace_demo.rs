//! Marketplace demo data: the volumes per account, every order state, a balanced ledger with
//! escrow that matches the order states, real files on disk, and the same data for the same
//! seed.

use anyhow::{Result, ensure};
use heepr_core::devtools::demo::files::{demo_file, write_files};
use heepr_core::devtools::demo::generate_marketplace;
use heepr_core::market::files::sniff;
use heepr_tests::{Backend, TestDb, backend_test};

async fn seeded(backend: &Backend, accounts: usize, seed: u64) -> Result<(TestDb, String)> {
    let test_db = TestDb::new(backend).await?;
    let mut ids = Vec::new();
    for i in 0..accounts {
        let id = format!("00000000-0000-7000-8000-{i:012}");
        sqlx::query("INSERT INTO accounts (id, email, display_name, status, age_16_or_over_confirmed_at, created_at, updated_at) VALUES ($1, $2, $3, 'active', 0, 0, 0)")
            .bind(&id)
            .bind(format!("demo{i}@example.com"))
            .bind(format!("Demo {i}"))
            .execute(test_db.db.pool())
            .await?;
        if i % 2 == 0 {
            sqlx::query("INSERT INTO ledger_accounts (id, kind, account_id, balance, created_at) VALUES ($1, 'member', $2, 0, 0)")
                .bind(format!("member:{id}"))
                .bind(&id)
                .execute(test_db.db.pool())
                .await?;
        }
        ids.push(id);
    }
    let report = generate_marketplace(&test_db.db, seed, &ids).await?;
    Ok((test_db, report))
}

async fn count(db: &TestDb, sql: &'static str) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db.db.pool())
        .await?)
}

async fn digest(db: &TestDb) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as::<_, (String, String, i64)>(
        "SELECT id, status, price_points FROM orders ORDER BY id",
    )
    .fetch_all(db.db.pool())
    .await?)
}

async fn demo_marketplace_is_consistent_and_deterministic(backend: Backend) -> Result<()> {
    let (db, report) = seeded(&backend, 200, 7).await?;
    ensure!(
        report.contains("30 agents") && report.contains("1000 orders"),
        "{report}"
    );
    ensure!(
        count(
            &db,
            "SELECT COUNT(*) FROM agents WHERE status = 'published'"
        )
        .await?
            == 30
    );
    ensure!(count(&db, "SELECT COUNT(*) FROM orders").await? == 1000);
    ensure!(
        count(&db, "SELECT COUNT(*) FROM order_messages").await?
            + count(&db, "SELECT COUNT(*) FROM presale_messages").await?
            == 10_000
    );
    ensure!(count(&db, "SELECT COUNT(*) FROM files").await? == 200);
    ensure!(
        count(&db, "SELECT COUNT(DISTINCT status) FROM orders").await? == 7,
        "every state"
    );
    for table in [
        "reviews",
        "offers",
        "api_keys",
        "agent_events",
        "presale_threads",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(db.db.pool())
                .await?;
        ensure!(n > 0, "{table} is empty");
    }
    // Ledger: balanced transfers, points held = points issued, escrow matches the states.
    ensure!(count(&db, "SELECT COUNT(*) FROM (SELECT transfer_id FROM ledger_entries GROUP BY transfer_id HAVING SUM(amount) <> 0) t").await? == 0);
    ensure!(
        count(
            &db,
            "SELECT CAST(SUM(balance) AS BIGINT) FROM ledger_accounts"
        )
        .await?
            == 0
    );
    ensure!(
        count(
            &db,
            "SELECT COUNT(*) FROM ledger_accounts WHERE kind <> 'issuer' AND balance < 0"
        )
        .await?
            == 0
    );
    let mismatched = count(&db, "SELECT COUNT(*) FROM orders o JOIN ledger_accounts l ON l.id = 'escrow:' || o.id \
         WHERE (o.status IN ('completed', 'cancelled', 'refunded') AND l.balance <> 0) \
            OR (o.status NOT IN ('completed', 'cancelled', 'refunded') AND l.balance <> o.price_points)").await?;
    ensure!(
        mismatched == 0,
        "{mismatched} escrows disagree with their order"
    );
    let member_sum = count(
        &db,
        "SELECT CAST(SUM(balance) AS BIGINT) FROM ledger_accounts WHERE kind = 'member'",
    )
    .await?;
    let by_entries = count(&db, "SELECT CAST(SUM(e.amount) AS BIGINT) FROM ledger_entries e JOIN ledger_accounts l ON l.id = e.ledger_account_id WHERE l.kind = 'member'").await?;
    ensure!(
        member_sum == by_entries,
        "balances are the sum of their entries"
    );
    // Derived agent counters agree with the reviews.
    let rating_total = count(&db, "SELECT CAST(SUM(rating_total) AS BIGINT) FROM agents").await?;
    ensure!(rating_total == count(&db, "SELECT CAST(SUM(rating) AS BIGINT) FROM reviews").await?);

    // Same seed, same data; another seed, other data.
    let (again, _) = seeded(&backend, 200, 7).await?;
    ensure!(digest(&db).await? == digest(&again).await?);
    let (other, _) = seeded(&backend, 200, 8).await?;
    ensure!(digest(&db).await? != digest(&other).await?);

    // The blobs the rows name exist on disk as real files.
    ensure!(write_files(db.data_dir.path(), 7, 200)? == 200);
    let (sha, mime): (String, String) = sqlx::query_as(
        "SELECT content_sha256, mime_type FROM files WHERE mime_type = 'image/png' LIMIT 1",
    )
    .fetch_one(db.db.pool())
    .await?;
    let bytes = std::fs::read(db.data_dir.path().join("files").join(&sha[..2]).join(&sha))?;
    ensure!(sniff(&bytes) == mime);
    ensure!(
        sniff(&demo_file(7, 2).1) == "application/pdf" && sniff(&demo_file(7, 0).1) == "text/plain"
    );
    Ok(())
}
backend_test!(demo_marketplace_is_consistent_and_deterministic);

/// SHA-256 over every row `heepr demo-data` writes (each table's rows, sorted; only the
/// password hash, salted at random, left out) and over the files it writes.
async fn content_hash(db: &TestDb) -> Result<String> {
    use sha2::{Digest, Sha256};
    use sqlx::Row;
    let mut hasher = Sha256::new();
    let schema = heepr_compliance::schema::read_columns(&db.db).await?;
    for (table, columns) in &schema {
        if table == "_sqlx_migrations" {
            continue;
        }
        let columns: Vec<&String> = columns
            .iter()
            .filter(|c| !(table == "accounts" && *c == "password_hash"))
            .collect();
        let list = columns
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {list} FROM {table}")))
            .fetch_all(db.db.pool())
            .await?;
        let mut lines: Vec<String> = rows
            .iter()
            .map(|row| {
                (0..columns.len())
                    .map(|i| match row.try_get::<Option<i64>, _>(i) {
                        Ok(v) => format!("{v:?}"),
                        Err(_) => format!("{:?}", row.try_get::<Option<String>, _>(i).ok()),
                    })
                    .collect::<Vec<_>>()
                    .join("\u{1f}")
            })
            .collect();
        // An empty table is no demo content: a migration adding a table must not move the pin.
        if lines.is_empty() {
            continue;
        }
        lines.sort();
        hasher.update(format!("{table}\n{}\n", lines.join("\n")));
    }
    let mut files = Vec::new();
    let root = db.data_dir.path().join("files");
    for dir in std::fs::read_dir(&root)? {
        for file in std::fs::read_dir(dir?.path())? {
            let path = file?.path();
            files.push((
                path.strip_prefix(&root)?.display().to_string(),
                std::fs::read(&path)?,
            ));
        }
    }
    files.sort();
    for (name, bytes) in files {
        hasher.update(name);
        hasher.update(bytes);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// What `heepr demo-data --accounts 200 --seed 7` writes, pinned: a refactoring of the
/// generators must not change one byte of it (nor may the backend).
async fn demo_data_content_is_pinned_for_a_seed(backend: Backend) -> Result<()> {
    let db = TestDb::new(&backend).await?;
    let report = heepr_core::devtools::demo::generate(&db.db, 200, 7).await?;
    generate_marketplace(&db.db, 7, &report.account_ids).await?;
    write_files(db.data_dir.path(), 7, report.account_ids.len())?;
    let hash = content_hash(&db).await?;
    ensure!(hash == PINNED_DEMO_HASH, "demo data changed: {hash}");
    Ok(())
}
backend_test!(demo_data_content_is_pinned_for_a_seed);

/// The content hash of [`demo_data_content_is_pinned_for_a_seed`]'s data.
const PINNED_DEMO_HASH: &str = "29ad6f4599e89855f15e300fe85b3693ea65989b6b389cffcffeab070a6548de";
