//! `heepr bench-sweep`: the retention sweep of a large email log, against one plain DELETE of
//! the same rows, each with a concurrent writer measuring its insert latency. A benchmark,
//! not a test: numbers depend on the machine, so it prints them and asserts nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use heepr_compliance::sweep::{self, SweepOptions};
use heepr_compliance::{Clock, Db, Policies, SystemClock};

/// Flags of `heepr bench-sweep`.
#[derive(Debug, Clone, Args)]
pub struct BenchSweepArgs {
    /// A directory that does not exist yet; the benchmark's SQLite database goes there.
    #[arg(long)]
    pub work_dir: PathBuf,
    /// Email-log rows to create; half are past the 12-month period.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000..=100_000_000))]
    pub rows: u64,
    /// Rows deleted per sweep transaction.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub batch_size: i64,
    /// Benchmark on this database instead (e.g. an empty PostgreSQL database).
    #[arg(long)]
    pub bench_database_url: Option<String>,
    /// Print one JSON object with the figures instead of a table.
    #[arg(long)]
    pub json: bool,
}

const MONTH_MS: i64 = 31 * 24 * 3_600_000;

/// Runs the benchmark and prints its report.
///
/// Errors: the work dir exists or cannot be created, or a database step fails.
pub async fn run(policies_dir: &Path, args: &BenchSweepArgs) -> anyhow::Result<()> {
    if args.work_dir.exists() {
        bail!(
            "--work-dir {} exists: give a new directory",
            args.work_dir.display()
        );
    }
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("--work-dir {}", args.work_dir.display()))?;
    let policies = Policies::load(policies_dir)?;
    let url = args.bench_database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite:{}?mode=rwc",
            args.work_dir.join("bench.db").display()
        )
    });
    let db = crate::platform::db::open_and_migrate(&url).await?;
    let now = SystemClock.now_ms();
    let expired = args.rows / 2;
    if !args.json {
        println!(
            "filling the email log: {} rows, {expired} past 12 months",
            args.rows
        );
    }
    fill(&db, args.rows, expired, now).await?;

    let writer = Writer::start(db.clone());
    let started = Instant::now();
    let options = SweepOptions {
        batch_size: args.batch_size,
        ..SweepOptions::default()
    };
    let run = sweep::sweep_rule(
        &db,
        &policies,
        &SystemClock,
        "email_log",
        now,
        &options,
        None,
    )
    .await?;
    let sweep_secs = started.elapsed().as_secs_f64();
    let sweep_p99 = writer.stop().await;
    // SQLite's write-ahead log right after the sweep (bytes): checkpoints between batches
    // keep it bounded; absent for PostgreSQL.
    let wal_bytes = std::fs::metadata(args.work_dir.join("bench.db-wal"))
        .ok()
        .map(|m| m.len());
    let longest = run
        .tables
        .iter()
        .map(|t| t.longest_batch_ms)
        .max()
        .unwrap_or(0);

    fill(&db, expired, expired, now).await?;
    let writer = Writer::start(db.clone());
    let started = Instant::now();
    let mut tx = db.begin_write().await?;
    let cutoff = now - 12 * MONTH_MS + MONTH_MS / 2;
    let deleted = sqlx::query("DELETE FROM email_log WHERE finished_at < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    let delete_secs = started.elapsed().as_secs_f64();
    let delete_p99 = writer.stop().await;

    if args.json {
        let figures = serde_json::json!({
            "rows": args.rows,
            "batch_size": args.batch_size,
            "sweep_rows_deleted": run.rows_affected(),
            "sweep_s": sweep_secs,
            "sweep_longest_transaction_ms": longest,
            "sweep_concurrent_writer_p99_ms": sweep_p99,
            "sweep_wal_bytes": wal_bytes,
            "plain_delete_rows": deleted,
            "plain_delete_s": delete_secs,
            "plain_delete_concurrent_writer_p99_ms": delete_p99,
            "sweep_to_plain_delete": sweep_secs / delete_secs.max(1e-9),
        });
        println!("{figures}");
        return Ok(());
    }
    println!("| | rows | seconds | rows/s | longest write transaction | concurrent writer p99 |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| sweep (batches of {}) | {} | {sweep_secs:.2} | {:.0} | {longest} ms | {:.1} ms |",
        args.batch_size,
        run.rows_affected(),
        run.rows_affected() as f64 / sweep_secs.max(1e-9),
        sweep_p99
    );
    println!(
        "| one plain DELETE | {deleted} | {delete_secs:.2} | {:.0} | {:.0} ms | {:.1} ms |",
        deleted as f64 / delete_secs.max(1e-9),
        delete_secs * 1000.0,
        delete_p99
    );
    Ok(())
}

/// Inserts `rows` email-log rows, the first `expired` of them 13 months old.
async fn fill(db: &Db, rows: u64, expired: u64, now: i64) -> anyhow::Result<()> {
    const PER_STATEMENT: u64 = 500;
    let mut done = 0;
    while done < rows {
        let n = PER_STATEMENT.min(rows - done);
        let mut sql = String::from(
            "INSERT INTO email_log (id, account_id, recipient, template, subject, status, transport, queued_at, finished_at) VALUES ",
        );
        // The status is one parameter after the rows' own.
        let status = n * 3 + 1;
        for i in 0..n {
            let p = i * 3;
            sql.push_str(&format!(
                "{}(${}, NULL, 'bench@example.com', 'welcome', 'Welcome', ${status}, 'file', ${}, ${})",
                if i == 0 { "" } else { ", " },
                p + 1,
                p + 2,
                p + 3
            ));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in 0..n {
            let at = if done + i < expired {
                now - 13 * MONTH_MS
            } else {
                now - MONTH_MS
            };
            query = query
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(at)
                .bind(at);
        }
        query = query.bind(crate::runtime::email_delivery::EmailStatus::Sent.as_str());
        let mut tx = db.begin_write().await?;
        query.execute(&mut *tx).await?;
        tx.commit().await?;
        done += n;
    }
    Ok(())
}

/// Inserts one request-log row every 5 ms until stopped, timing each insert.
struct Writer {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<f64>>,
}

impl Writer {
    fn start(db: Db) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let started = Instant::now();
                let _ = sqlx::query(
                    "INSERT INTO request_log (id, occurred_at, method, route, status, latency_ms) VALUES ($1, $2, 'GET', '/bench', 200, 0)",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(SystemClock.now_ms())
                .execute(db.pool())
                .await;
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            latencies
        });
        Self { stop, task }
    }

    /// Stops the writer; returns its p99 insert latency (ms).
    async fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        let mut latencies = self.task.await.unwrap_or_default();
        if latencies.is_empty() {
            return 0.0;
        }
        latencies.sort_by(f64::total_cmp);
        let index = ((latencies.len() as f64) * 0.99).ceil() as usize;
        latencies[index.saturating_sub(1).min(latencies.len() - 1)]
    }
}
