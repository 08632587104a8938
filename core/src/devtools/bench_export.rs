//! `heepr bench-export`: the privacy toolkit's performance benchmark (issue 4, "Performance";
//! a command, not a timed test).
//!
//! In a fresh SQLite database under `--work-dir`, it builds one data subject with
//! `--orders` orders, `--messages` messages and `--file-mib` MiB of uploaded files (in
//! benchmark-only tables added to the shipped data map, shaped like the marketplace's), then:
//! 1. builds the export archive, timing it and reading the process's peak RSS (`VmHWM`,
//!    reset just before through `/proc/self/clear_refs`);
//! 2. times `tar czf` of the same contents (the archive's files extracted) for comparison;
//! 3. erases the subject, timing it and reporting the longest single write transaction.
//!
//! Run it from a release build for meaningful numbers:
//! `cargo run --release --bin heepr -- bench-export --work-dir /tmp/heepr-bench`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use heepr_compliance::data_map::DataMap;
use heepr_compliance::erasure::{self, ErasureJob};
use heepr_compliance::export::{self, ExportJob};
use rand::RngCore;

/// Flags of `heepr bench-export`.
#[derive(Debug, Clone, Args)]
pub struct BenchExportArgs {
    /// A directory that does not exist yet; the benchmark's database and files go there.
    #[arg(long)]
    pub work_dir: PathBuf,
    /// Orders of the subject.
    #[arg(long, default_value_t = 5_000)]
    pub orders: u32,
    /// Messages on those orders.
    #[arg(long, default_value_t = 100_000)]
    pub messages: u32,
    /// Uploaded files.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub files: u32,
    /// Total size of the uploaded files (MiB): half already compressed (random bytes, as a
    /// photo or a video is), half text.
    #[arg(long, default_value_t = 1_024)]
    pub file_mib: u64,
    /// Print one JSON object with the figures instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What one run measured (seconds, bytes, KiB, ms).
#[derive(Debug, serde::Serialize)]
struct Figures {
    orders: u32,
    messages: u32,
    files: u32,
    file_mib: u64,
    export_s: f64,
    archive_bytes: u64,
    tar_czf_s: f64,
    export_to_tar_czf: f64,
    /// Resident memory when the export starts (what the generation left), KiB.
    export_start_rss_kib: Option<u64>,
    export_peak_rss_kib: Option<u64>,
    erased_rows: i64,
    erasure_s: f64,
    erasure_transactions: u64,
    erasure_longest_transaction_ms: u64,
}

const BENCH_SCHEMA: [&str; 3] = [
    "CREATE TABLE bench_orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, owner_id TEXT NOT NULL, \
     title TEXT NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE TABLE bench_messages (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, sender_id TEXT NOT NULL, \
     body TEXT NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE TABLE bench_files (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, uploader_id TEXT NOT NULL, \
     name TEXT NOT NULL, stored_path TEXT NOT NULL)",
];

const BENCH_MAP: &str = r#"
[tables.bench_orders]
purpose = "Benchmark: orders."
links = [{ column = "customer_id" }]
export = "orders"
erasure = "update"
retention = "account_lifetime"
[tables.bench_orders.columns]
id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
customer_id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
owner_id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep", account_ref = true }
title = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "redact" }
created_at = { personal = false, erasure = "keep" }

[tables.bench_messages]
purpose = "Benchmark: messages on orders."
links = [{ column = "order_id", via = "bench_orders.id", subject_column = "customer_id" }]
export = "messages"
erasure = "update"
retention = "account_lifetime"
[tables.bench_messages.columns]
id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
order_id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep" }
sender_id = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "keep", account_ref = true }
body = { personal = true, category = "marketplace_activity", basis = "contract", erasure = "redact" }
created_at = { personal = false, erasure = "keep" }

[tables.bench_files]
purpose = "Benchmark: uploaded files."
links = [{ column = "uploader_id" }]
export = "files"
erasure = "delete"
retention = "account_lifetime"
[tables.bench_files.columns]
id = { personal = true, category = "marketplace_activity", basis = "contract" }
order_id = { personal = true, category = "marketplace_activity", basis = "contract" }
uploader_id = { personal = true, category = "marketplace_activity", basis = "contract" }
name = { personal = true, category = "marketplace_activity", basis = "contract" }
stored_path = { personal = true, category = "marketplace_activity", basis = "contract", file = true }
"#;

/// Rows inserted per transaction while generating data.
const INSERT_BATCH: usize = 2_000;

/// Runs the benchmark and prints its report.
///
/// Errors: an unusable work dir, a database or tar failure.
pub async fn run(policies_dir: &Path, args: &BenchExportArgs) -> anyhow::Result<()> {
    let work = &args.work_dir;
    if work.exists() {
        bail!(
            "--work-dir {}: must not exist yet (the benchmark fills it)",
            work.display()
        );
    }
    std::fs::create_dir_all(work.join("data"))
        .with_context(|| format!("--work-dir {}", work.display()))?;
    let data_dir = work.join("data");
    let url = format!("sqlite:{}?mode=rwc", data_dir.join("bench.db").display());
    let db = crate::platform::db::open_and_migrate(&url).await?;
    for sql in BENCH_SCHEMA {
        sqlx::query(sql).execute(db.pool()).await?;
    }
    let map_path = policies_dir.join(heepr_compliance::policies::DATA_MAP_FILE);
    let shipped = std::fs::read_to_string(&map_path)
        .with_context(|| format!("reading {}", map_path.display()))?;
    let map = DataMap::parse(&map_path, &format!("{shipped}{BENCH_MAP}"))?;

    let started = Instant::now();
    generate(&db, &data_dir, args).await?;
    if !args.json {
        println!(
            "generated {} orders, {} messages, {} files ({} MiB, half already compressed) in {:.1}s",
            args.orders,
            args.messages,
            args.files,
            args.file_mib,
            started.elapsed().as_secs_f64()
        );
    }

    let out_dir = work.join("out");
    reset_peak_rss();
    let start_rss = proc_status_kib("VmRSS:");
    let started = Instant::now();
    let outcome = export::build(
        db.pool(),
        &ExportJob {
            map: &map,
            account_id: "bench-subject",
            data_dir: &data_dir,
            out_dir: &out_dir,
            archive_name: "export.tar.gz",
            generated_at_ms: 1_780_272_000_000,
        },
    )
    .await?;
    let export_s = started.elapsed().as_secs_f64();
    let peak = peak_rss_kib();

    let unpacked = work.join("unpacked");
    std::fs::create_dir_all(&unpacked)?;
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&outcome.path)
        .arg("-C")
        .arg(&unpacked)
        .status()?;
    if !status.success() {
        bail!("tar -xzf of the archive failed");
    }
    let started = Instant::now();
    let status = std::process::Command::new("tar")
        .arg("czf")
        .arg(work.join("baseline.tar.gz"))
        .arg("-C")
        .arg(&unpacked)
        .arg(".")
        .status()?;
    if !status.success() {
        bail!("tar czf baseline failed");
    }
    let tar_s = started.elapsed().as_secs_f64();

    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM bench_orders) + (SELECT COUNT(*) FROM bench_messages) + (SELECT COUNT(*) FROM bench_files)",
    )
    .fetch_one(db.pool())
    .await?;
    let started = Instant::now();
    let erased = erasure::run(
        &db,
        &ErasureJob {
            map: &map,
            account_id: "bench-subject",
            request_id: None,
            actor: "bench",
            data_dir: &data_dir,
            batch_rows: erasure::DEFAULT_BATCH_ROWS,
            stop_after_batches: None,
        },
        1_780_272_000_000,
    )
    .await?;
    let figures = Figures {
        orders: args.orders,
        messages: args.messages,
        files: args.files,
        file_mib: args.file_mib,
        export_s,
        archive_bytes: outcome.size_bytes,
        tar_czf_s: tar_s,
        export_to_tar_czf: export_s / tar_s.max(0.001),
        export_start_rss_kib: start_rss,
        export_peak_rss_kib: peak,
        erased_rows: rows,
        erasure_s: started.elapsed().as_secs_f64(),
        erasure_transactions: u64::from(erased.batches),
        erasure_longest_transaction_ms: erased.longest_batch_ms,
    };
    db.close().await;
    print_figures(&figures, args.json)
}

fn print_figures(f: &Figures, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(f)?);
        return Ok(());
    }
    println!(
        "export: {:.2}s, {} MiB archive; tar czf of the same content: {:.2}s; ratio {:.2}x (target <= 0.5x)",
        f.export_s,
        f.archive_bytes / (1024 * 1024),
        f.tar_czf_s,
        f.export_to_tar_czf
    );
    match f.export_peak_rss_kib {
        Some(kib) => println!(
            "export peak RSS: {} MiB, {} MiB resident when it began (flat as the account grows)",
            kib / 1024,
            f.export_start_rss_kib.unwrap_or(0) / 1024
        ),
        None => println!("export peak RSS: unavailable (needs Linux /proc)"),
    }
    println!(
        "erasure of {} rows: {:.2}s in {} write transactions, longest {} ms",
        f.erased_rows, f.erasure_s, f.erasure_transactions, f.erasure_longest_transaction_ms
    );
    Ok(())
}

async fn generate(
    db: &heepr_compliance::Db,
    data_dir: &Path,
    args: &BenchExportArgs,
) -> anyhow::Result<()> {
    for (id, email, name) in [
        ("bench-subject", "subject@bench.example", "Bench Subject"),
        ("bench-owner", "owner@bench.example", "Bench Owner"),
    ] {
        sqlx::query(
            "INSERT INTO accounts (id, email, display_name, password_hash, status, age_16_or_over_confirmed_at, created_at, updated_at) \
             VALUES ($1, $2, $3, NULL, $4, 1, 1, 1)",
        )
        .bind(id)
        .bind(email)
        .bind(name)
        .bind(crate::identity::accounts::AccountStatus::Active.as_str())
        .execute(db.pool())
        .await?;
    }
    let orders = args.orders.max(1);
    for chunk in (0..orders).collect::<Vec<_>>().chunks(INSERT_BATCH) {
        let mut tx = db.begin_write().await?;
        for i in chunk {
            sqlx::query("INSERT INTO bench_orders (id, customer_id, owner_id, title, created_at) VALUES ($1, 'bench-subject', 'bench-owner', $2, $3)")
                .bind(format!("o{i:08}"))
                .bind(format!("Order {i} for Bench Subject"))
                .bind(i64::from(*i))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    for chunk in (0..args.messages).collect::<Vec<_>>().chunks(INSERT_BATCH) {
        let mut tx = db.begin_write().await?;
        for i in chunk {
            let sender = if i % 2 == 0 {
                "bench-subject"
            } else {
                "bench-owner"
            };
            sqlx::query("INSERT INTO bench_messages (id, order_id, sender_id, body, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(format!("m{i:09}"))
                .bind(format!("o{:08}", i % orders))
                .bind(sender)
                .bind(format!("Message {i}: hello Bench Subject, the draft is attached. Regards."))
                .bind(i64::from(*i))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let files = args.files.max(1);
    let per_file = args.file_mib.saturating_mul(1024 * 1024) / u64::from(files);
    std::fs::create_dir_all(data_dir.join("uploads"))?;
    let mut buf = vec![0u8; 1024 * 1024];
    let mut tx = db.begin_write().await?;
    for i in 0..files {
        let rel = format!("uploads/f{i:06}.bin");
        let mut f = std::io::BufWriter::new(std::fs::File::create(data_dir.join(&rel))?);
        let mut left = per_file;
        // Even files are already compressed (random bytes, as a photo is), odd ones text.
        let media = i % 2 == 0;
        if !media {
            let line =
                format!("Draft {i}: notes for Bench Subject, revised paragraph and sources.\n");
            for (j, b) in buf.iter_mut().enumerate() {
                *b = line.as_bytes()[j % line.len()];
            }
        }
        while left > 0 {
            if media {
                rand::rng().fill_bytes(&mut buf);
            }
            let n = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            f.write_all(&buf[..n])?;
            left -= n as u64;
        }
        f.flush()?;
        sqlx::query("INSERT INTO bench_files (id, order_id, uploader_id, name, stored_path) VALUES ($1, $2, 'bench-subject', $3, $4)")
            .bind(format!("f{i:06}"))
            .bind(format!("o{:08}", i % orders))
            .bind(format!("deliverable {i}.bin"))
            .bind(&rel)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn reset_peak_rss() {
    // "5" resets the peak resident set size (Linux >= 4.0); ignored elsewhere.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_kib() -> Option<u64> {
    proc_status_kib("VmHWM:")
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
