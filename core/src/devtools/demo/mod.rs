//! `heepr demo-data`: fills an empty database with realistic, deterministic data (same seed,
//! same rows) so people can try heepr and benchmarks have something to chew on. One file per
//! table (or family of tables) it fills; [`generate`] and [`generate_marketplace`] call them
//! in a fixed order, since every value comes from the seed's stream in turn ([`seed`]).
//!
//! Accounts first ([`generate`]): accounts, their terms acceptance, their sign-up bonus in the ledger, their welcome
//! email and request log rows, a few thousand accounts per transaction. All demo accounts
//! share the password [`DEMO_PASSWORD`] (one Argon2id hash computed once: hashing 100,000
//! passwords would take an hour). Times are spread over the 18 months before
//! [`seed::DEMO_ANCHOR_MS`], so retention rules (12-month email log, 90-day request log) have
//! something to sweep.
//!
//! Then the marketplace over the first accounts ([`generate_marketplace`]): agents, API keys,
//! agent events, pre-sale threads and messages, offers, orders in every state with their
//! escrow ledger, order messages, files and reviews. Volumes scale with the accounts given:
//! per 2,000 accounts, 300 agents, 10,000 orders, 100,000 messages, 2,000 files (small real
//! text, PNG and PDF files), plus reviews, offers, keys and events. Everything is computed in
//! memory first, then written in one transaction ([`bulk`]); the ledger stays balanced.
//!
//! May use `platform`, `ledger`, `identity` and `market` (key prefix, file paths,
//! categories). Inside, the table files share `seed` and `bulk`; `orders` calls the tables
//! an order brings (reviews, offers, messages, events).

pub mod accounts;
pub mod agents;
pub mod bulk;
pub mod chats;
pub mod files;
pub mod keys;
pub mod ledger;
pub mod logs;
pub mod offers;
pub mod orders;
pub mod reviews;
pub mod seed;

use std::fmt;
use std::ops::Range;

use anyhow::bail;
use clap::Args;
use heepr_compliance::Db;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::{Any, Transaction};

use crate::platform::passwords::{PasswordPool, Passwords};
use ledger::{BonusRows, DEMO_BONUS, MarketLedger};
use orders::{Market, OrderRows};

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
/// The marketplace is generated over at most this many of the demo accounts (its volumes
/// grow with the count: 2,000 accounts give 300 agents, 10,000 orders, 100,000 messages).
pub const MARKETPLACE_ACCOUNTS: usize = 2_000;
/// Accounts written per transaction.
const ACCOUNTS_PER_TX: usize = 2_000;

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
    let password_hash = Passwords::new(PasswordPool::for_cores(2))?
        .hash(DEMO_PASSWORD)
        .await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = DemoReport::default();
    let total = accounts as usize;
    let mut done = 0;
    while done < total {
        let n = ACCOUNTS_PER_TX.min(total - done);
        let mut tx = db.begin_write().await?;
        write_accounts(
            &mut tx,
            &mut rng,
            done..done + n,
            &password_hash,
            &mut report,
        )
        .await?;
        sqlx::query("UPDATE ledger_accounts SET balance = balance - $1 WHERE id = $2")
            .bind(DEMO_BONUS * n as i64)
            .bind(crate::ledger::ISSUER)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        done += n;
    }
    Ok(report)
}

/// Writes the accounts numbered `indexes` inside `tx`, each with its rows in every table.
async fn write_accounts(
    tx: &mut Transaction<'static, Any>,
    rng: &mut StdRng,
    indexes: Range<usize>,
    password_hash: &str,
    report: &mut DemoReport,
) -> anyhow::Result<()> {
    let mut account_rows = accounts::table();
    let mut terms_rows = accounts::terms_table();
    let mut bonus = BonusRows::default();
    let mut emails = logs::email_table();
    let mut requests = logs::request_table();
    for index in indexes {
        let account = accounts::account(rng, index, password_hash, &mut account_rows);
        report.account_ids.push(account.id.clone());
        accounts::terms_acceptance(&account, &mut terms_rows);
        ledger::signup_bonus(rng, &account, &mut bonus);
        logs::welcome_email(rng, &account, &mut emails);
        logs::requests(rng, &account, &mut requests);
    }
    report.accounts += account_rows.write(tx).await?;
    terms_rows.write(tx).await?;
    bonus.accounts.write(tx).await?;
    bonus.transfers.write(tx).await?;
    report.ledger_entries += bonus.entries.write(tx).await?;
    report.emails += emails.write(tx).await?;
    report.requests += requests.write(tx).await?;
    Ok(())
}

/// Generates the marketplace for `accounts` (ids of existing active accounts) in one
/// transaction; returns a one-line report of what it wrote.
///
/// Errors: fewer than 4 accounts; database failures (nothing is written then).
pub async fn generate_marketplace(
    db: &Db,
    seed: u64,
    accounts: &[String],
) -> anyhow::Result<String> {
    anyhow::ensure!(
        accounts.len() >= 4,
        "the marketplace demo needs at least 4 accounts"
    );
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6865_6570_725f_6d6b);
    let n = accounts.len();
    let agent_count = (n * 3 / 20).max(1);
    let order_count = n * 5;
    let owners = &accounts[..(agent_count / 2).max(1)];
    let customers = &accounts[owners.len()..];

    let mut ledger = MarketLedger::load(db, seed, accounts).await?;
    let mut agents = agents::plan(&mut rng, agent_count, owners);
    let presale = chats::presale(&mut rng, customers, &agents, n);
    let mut rows = OrderRows::default();
    let market = Market {
        customers,
        threads: &presale.pairs,
    };
    let placed = orders::generate(
        &mut rng,
        order_count,
        &market,
        &mut agents,
        &mut ledger,
        &mut rows,
    );
    let first_without_order = order_count.div_ceil(10);
    offers::open_and_declined(
        &mut rng,
        &presale.pairs,
        first_without_order,
        &agents,
        &mut rows.offers,
    );
    let files = files::rows(&mut rng, seed, files::file_count(n), &placed, &agents);
    let mut keys = keys::table();
    for (i, agent) in agents.iter().enumerate() {
        keys::for_agent(&mut rng, seed, i, agent, &mut keys);
        agents::heartbeats(&mut rng, agent, &mut rows.events);
    }
    let agent_rows = agents::rows(&agents);

    let mut tx = db.begin_write().await?;
    ledger.write_members(&mut tx).await?;
    for table in [
        &agent_rows,
        &keys,
        &presale.threads,
        &presale.messages,
        &rows.orders,
        &rows.offers,
        &rows.messages,
        &rows.reviews,
        &files,
        &rows.events,
    ] {
        table.write(&mut tx).await?;
    }
    ledger.write_moves(&mut tx).await?;
    tx.commit().await?;
    Ok(format!(
        "marketplace: {} agents, {} api keys, {} agent events, {} orders, {} offers, {} pre-sale threads, {} messages, {} files, {} reviews",
        agents.len(),
        keys.len(),
        rows.events.len(),
        rows.orders.len(),
        rows.offers.len(),
        presale.threads.len(),
        presale.messages.len() + rows.messages.len(),
        files.len(),
        rows.reviews.len()
    ))
}
