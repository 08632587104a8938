//! `heepr demo-data`: fills an empty database with realistic, deterministic data (same seed,
//! same rows) so people can try heepr and benchmarks have something to chew on.
//!
//! All demo accounts share the password [`DEMO_PASSWORD`] (one Argon2id hash computed once:
//! hashing 100,000 passwords would take an hour). Times are spread over the 18 months before
//! [`DEMO_ANCHOR_MS`], so retention rules (12-month email log, 90-day request log) have
//! something to sweep. Rows go in with multi-row inserts, a few thousand accounts per
//! transaction.

use std::fmt;

use anyhow::{Context, bail};
use clap::Args;
use heepr_compliance::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Any, Transaction};

use crate::platform::passwords::Passwords;

/// Flags of `heepr demo-data`.
#[derive(Debug, Clone, Args)]
pub struct DemoDataArgs {
    /// How many accounts to create.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
    pub accounts: u32,
    /// Seed for the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "heepr-demo-password";
/// Demo time is laid out before 2026-11-01T00:00:00Z (Unix ms).
pub const DEMO_ANCHOR_MS: i64 = 1_793_491_200_000;
/// Sign-up bonus credited to every demo account (points).
pub const DEMO_BONUS: i64 = 500;
/// The marketplace is generated over at most this many of the demo accounts (its volumes
/// grow with the count: 2,000 accounts give 300 agents, 10,000 orders, 100,000 messages).
pub const MARKETPLACE_ACCOUNTS: usize = 2_000;
/// Accounts written per transaction.
const ACCOUNTS_PER_TX: usize = 2_000;
/// How far back demo activity reaches (ms): 18 months.
const SPAN_MS: i64 = 540 * 24 * 3_600_000;

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Katherine",
    "John",
    "Hedy",
    "Donald",
    "Sophie",
    "Niklaus",
    "Annie",
    "Guido",
    "Mary",
    "Bjarne",
    "Shafi",
    "Leslie",
    "Yukihiro",
    "Karen",
    "Rasmus",
    "Evelyn",
    "Anders",
    "Joan",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Knuth",
    "Wilson",
    "Wirth",
    "Easley",
    "van Rossum",
    "Shaw",
    "Stroustrup",
    "Goldwasser",
    "Lamport",
    "Matsumoto",
    "Spärck Jones",
    "Lerdorf",
    "Berezin",
    "Hejlsberg",
    "Clarke",
];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "curl/8.5.0",
];
const ROUTES: &[(&str, &str, i64)] = &[
    ("GET", "/", 200),
    ("GET", "/dashboard", 200),
    ("GET", "/api/v1/me", 200),
    ("GET", "/api/v1/me/ledger", 200),
    ("POST", "/login", 303),
    ("POST", "/api/v1/sessions", 401),
    ("GET", "/api/v1/me/sessions", 200),
];

/// What was generated.
#[derive(Debug, Default, Clone)]
pub struct DemoReport {
    /// Accounts created.
    pub accounts: u64,
    /// Ledger entries written.
    pub ledger_entries: u64,
    /// Email log rows written.
    pub emails: u64,
    /// Request log rows written.
    pub requests: u64,
    /// Ids of the accounts created, in creation order (the marketplace generator uses them).
    pub account_ids: Vec<String>,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo data: {} accounts (password {DEMO_PASSWORD:?}), {} ledger entries, {} email log rows, {} request log rows",
            self.accounts, self.ledger_entries, self.emails, self.requests
        )
    }
}

/// A value bound into a generated multi-row insert.
#[derive(Debug, Clone)]
enum Val {
    Text(String),
    Int(i64),
    Null,
}

/// Rows for one table, inserted in chunks that stay under both backends' bind limits.
struct Batch {
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Val>>,
}

impl Batch {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            table,
            columns,
            rows: Vec::new(),
        }
    }

    async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> anyhow::Result<u64> {
        let per_statement = (30_000 / self.columns.len()).max(1);
        let written = self.rows.len() as u64;
        for chunk in self.rows.chunks(per_statement) {
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                self.table,
                self.columns.join(", ")
            );
            let mut n = 0;
            for (i, row) in chunk.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for j in 0..row.len() {
                    n += 1;
                    sql.push_str(&format!("{}${n}", if j == 0 { "" } else { ", " }));
                }
                sql.push(')');
            }
            // Table and column names are the literals above; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in chunk.iter().flatten() {
                query = match value {
                    Val::Text(s) => query.bind(s.clone()),
                    Val::Int(i) => query.bind(*i),
                    Val::Null => query.bind(None::<String>),
                };
            }
            query
                .execute(&mut **tx)
                .await
                .with_context(|| format!("inserting demo rows into {}", self.table))?;
        }
        self.rows.clear();
        Ok(written)
    }
}

fn demo_id(rng: &mut StdRng, ms: i64) -> String {
    let bytes: [u8; 10] = rng.random();
    uuid::Builder::from_unix_timestamp_millis(u64::try_from(ms).unwrap_or(0), &bytes)
        .into_uuid()
        .to_string()
}

/// Fills an empty database with `accounts` demo accounts, deterministic from `seed`.
///
/// Errors: the database already has accounts (demo data never mixes with real data), or a
/// write fails (the current batch of accounts rolls back; earlier batches stay).
pub async fn generate(db: &Db, accounts: u32, seed: u64) -> anyhow::Result<DemoReport> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(db.pool())
        .await?;
    if existing > 0 {
        bail!(
            "the database already has {existing} accounts: demo-data only fills an empty database"
        );
    }
    let password_hash = Passwords::new(1)?.hash(DEMO_PASSWORD).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = DemoReport::default();
    let total = accounts as usize;
    let mut done = 0;
    while done < total {
        let n = ACCOUNTS_PER_TX.min(total - done);
        let mut tx = db.begin_write().await?;
        write_accounts(&mut tx, &mut rng, done, n, &password_hash, &mut report).await?;
        sqlx::query("UPDATE ledger_accounts SET balance = balance - $1 WHERE id = 'issuer'")
            .bind(DEMO_BONUS * n as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        done += n;
    }
    Ok(report)
}

async fn write_accounts(
    tx: &mut Transaction<'static, Any>,
    rng: &mut StdRng,
    first_index: usize,
    n: usize,
    password_hash: &str,
    report: &mut DemoReport,
) -> anyhow::Result<()> {
    let mut accounts = Batch::new(
        "accounts",
        &[
            "id",
            "email",
            "display_name",
            "password_hash",
            "status",
            "age_16_or_over_confirmed_at",
            "created_at",
            "updated_at",
        ],
    );
    let mut ledger_accounts = Batch::new(
        "ledger_accounts",
        &["id", "kind", "account_id", "balance", "created_at"],
    );
    let mut transfers = Batch::new(
        "ledger_transfers",
        &["id", "kind", "reference", "created_at"],
    );
    let mut entries = Batch::new(
        "ledger_entries",
        &[
            "id",
            "transfer_id",
            "ledger_account_id",
            "amount",
            "created_at",
        ],
    );
    let mut emails = Batch::new(
        "email_log",
        &[
            "id",
            "account_id",
            "recipient",
            "template",
            "subject",
            "status",
            "transport",
            "error",
            "queued_at",
            "finished_at",
        ],
    );
    let mut requests = Batch::new(
        "request_log",
        &[
            "id",
            "occurred_at",
            "method",
            "route",
            "status",
            "latency_ms",
            "client_ip",
            "user_agent",
            "account_id",
        ],
    );
    for index in first_index..first_index + n {
        let created = DEMO_ANCHOR_MS - rng.random_range(0..SPAN_MS);
        let id = demo_id(rng, created);
        report.account_ids.push(id.clone());
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let email = format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>(),
            index + 1
        );
        let name = format!("{first} {last}");
        accounts.rows.push(vec![
            Val::Text(id.clone()),
            Val::Text(email.clone()),
            Val::Text(name),
            Val::Text(password_hash.to_owned()),
            Val::Text("active".into()),
            Val::Int(created),
            Val::Int(created),
            Val::Int(created),
        ]);
        let member = crate::ledger::member_ledger_account(&id);
        ledger_accounts.rows.push(vec![
            Val::Text(member.clone()),
            Val::Text("member".into()),
            Val::Text(id.clone()),
            Val::Int(DEMO_BONUS),
            Val::Int(created),
        ]);
        let transfer_id = demo_id(rng, created);
        transfers.rows.push(vec![
            Val::Text(transfer_id.clone()),
            Val::Text("signup_bonus".into()),
            Val::Text(id.clone()),
            Val::Int(created),
        ]);
        for (account, amount) in [("issuer".to_string(), -DEMO_BONUS), (member, DEMO_BONUS)] {
            entries.rows.push(vec![
                Val::Text(demo_id(rng, created)),
                Val::Text(transfer_id.clone()),
                Val::Text(account),
                Val::Int(amount),
                Val::Int(created),
            ]);
        }
        let failed = rng.random_range(0..50) == 0;
        emails.rows.push(vec![
            Val::Text(demo_id(rng, created)),
            Val::Text(id.clone()),
            Val::Text(email),
            Val::Text("welcome".into()),
            Val::Text("Welcome to heepr".into()),
            Val::Text(if failed { "failed" } else { "sent" }.into()),
            Val::Text("smtp".into()),
            if failed {
                Val::Text("550 mailbox unavailable".into())
            } else {
                Val::Null
            },
            Val::Int(created),
            Val::Int(created + rng.random_range(100..5_000)),
        ]);
        let ip = format!("198.51.100.{}", rng.random_range(1..255));
        let agent = USER_AGENTS[rng.random_range(0..USER_AGENTS.len())];
        for _ in 0..rng.random_range(0..6) {
            let at = created + rng.random_range(0..(DEMO_ANCHOR_MS - created).max(1));
            let (method, route, status) = ROUTES[rng.random_range(0..ROUTES.len())];
            requests.rows.push(vec![
                Val::Text(demo_id(rng, at)),
                Val::Int(at),
                Val::Text(method.into()),
                Val::Text(route.into()),
                Val::Int(status),
                Val::Int(rng.random_range(1..120)),
                Val::Text(ip.clone()),
                Val::Text(agent.into()),
                Val::Text(id.clone()),
            ]);
        }
    }
    report.accounts += accounts.flush(tx).await?;
    ledger_accounts.flush(tx).await?;
    transfers.flush(tx).await?;
    report.ledger_entries += entries.flush(tx).await?;
    report.emails += emails.flush(tx).await?;
    report.requests += requests.flush(tx).await?;
    Ok(())
}
