//! An unreachable PostgreSQL is reported within 5 seconds, naming the host (and never the
//! password), instead of start-up hanging for the operating system's TCP timeout.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use heepr_compliance::base::db::Db;

#[tokio::test]
async fn an_unreachable_postgres_is_reported_quickly_by_host() -> Result<()> {
    // A documentation address (TEST-NET-3): nothing answers there.
    let url = "postgres://heepr:s3cret@203.0.113.7:5432/heepr";
    let started = Instant::now();
    let outcome = Db::connect(url, 2).await;
    let took = started.elapsed();
    let Err(err) = outcome else {
        anyhow::bail!("connected to an address where nothing answers");
    };
    let message = format!("{err:#}");
    ensure!(took < Duration::from_secs(7), "took {took:?}: {message}");
    ensure!(
        message.contains("203.0.113.7:5432"),
        "no host in: {message}"
    );
    ensure!(!message.contains("s3cret"), "the password is in: {message}");
    Ok(())
}
