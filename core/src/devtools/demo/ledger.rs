//! The demo points ledger (`ledger_accounts`, `ledger_transfers`, `ledger_entries`), kept
//! balanced like the real one: every demo account's sign-up bonus from the issuer; in the
//! marketplace, each order's price held in its escrow account and released or refunded as
//! its state says, and a `demo_grant` from the issuer to customers who run short (which the
//! escrow invariant counts like a bonus). Marketplace ids come from their own seeded stream.

use std::collections::{BTreeMap, BTreeSet};

use heepr_compliance::Db;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::{Any, Transaction};

use super::accounts::DemoAccount;
use super::bulk::Rows;
use super::seed::{BASE_MS, demo_id, timed_id};
use crate::ledger::{ISSUER, TransferKind, escrow_ledger_account, member_ledger_account};

/// Sign-up bonus credited to every demo account (points).
pub const DEMO_BONUS: i64 = 500;

fn ledger_accounts_table() -> Rows {
    Rows::new(
        "ledger_accounts",
        &["id", "kind", "account_id", "balance", "created_at"],
    )
}

fn transfers_table() -> Rows {
    Rows::new(
        "ledger_transfers",
        &["id", "kind", "reference", "created_at"],
    )
}

fn entries_table() -> Rows {
    Rows::new(
        "ledger_entries",
        &[
            "id",
            "transfer_id",
            "ledger_account_id",
            "amount",
            "created_at",
        ],
    )
}

/// The sign-up bonus rows of a batch of demo accounts.
pub struct BonusRows {
    /// Each account's member ledger account, holding the bonus.
    pub accounts: Rows,
    /// One `signup_bonus` transfer per account.
    pub transfers: Rows,
    /// Two entries per transfer.
    pub entries: Rows,
}

impl Default for BonusRows {
    /// No rows yet.
    fn default() -> Self {
        BonusRows {
            accounts: ledger_accounts_table(),
            transfers: transfers_table(),
            entries: entries_table(),
        }
    }
}

/// `account`'s member ledger account, credited [`DEMO_BONUS`] from the issuer.
pub fn signup_bonus(rng: &mut StdRng, account: &DemoAccount, rows: &mut BonusRows) {
    let (id, created) = (&account.id, account.created);
    let member = member_ledger_account(id);
    rows.accounts.push(vec![
        member.clone().into(),
        "member".into(),
        id.clone().into(),
        DEMO_BONUS.into(),
        created.into(),
    ]);
    let transfer_id = timed_id(rng, created);
    rows.transfers.push(vec![
        transfer_id.clone().into(),
        "signup_bonus".into(),
        id.clone().into(),
        created.into(),
    ]);
    for (account, amount) in [(ISSUER.to_string(), -DEMO_BONUS), (member, DEMO_BONUS)] {
        rows.entries.push(vec![
            timed_id(rng, created).into(),
            transfer_id.clone().into(),
            account.into(),
            amount.into(),
            created.into(),
        ]);
    }
}

/// The marketplace's ledger moves, collected in memory with the balances they lead to.
pub struct MarketLedger {
    /// Ids of transfers and entries (a stream of its own, so the other tables' ids do not
    /// depend on how many moves there are).
    rng: StdRng,
    /// Every touched ledger account's balance.
    balances: BTreeMap<String, i64>,
    /// Member ledger accounts that exist (in the database or in `new_members`).
    known: BTreeSet<String>,
    /// Member ledger accounts to create.
    new_members: Rows,
    /// `ledger_transfers` rows.
    transfers: Rows,
    /// `ledger_entries` rows.
    entries: Rows,
    /// The orders' escrow ledger accounts, in order.
    escrows: Vec<String>,
    /// `demo_grant` transfers so far (their references are `demo:N`).
    grants: u32,
}

impl MarketLedger {
    /// The ledger of `accounts` (and the issuer) as the database has it.
    ///
    /// Errors: the database's.
    pub async fn load(db: &Db, seed: u64, accounts: &[String]) -> anyhow::Result<Self> {
        let mut balances = BTreeMap::new();
        for id in accounts
            .iter()
            .map(|a| member_ledger_account(a))
            .chain([ISSUER.to_owned()])
        {
            let balance: Option<i64> =
                sqlx::query_scalar("SELECT balance FROM ledger_accounts WHERE id = $1")
                    .bind(&id)
                    .fetch_optional(db.pool())
                    .await?;
            balances.insert(id, balance.unwrap_or(0));
        }
        let known =
            sqlx::query_scalar::<_, String>("SELECT id FROM ledger_accounts WHERE kind = $1")
                .bind(crate::ledger::LedgerAccountKind::Member.as_str())
                .fetch_all(db.pool())
                .await?
                .into_iter()
                .collect();
        Ok(MarketLedger {
            rng: StdRng::seed_from_u64(seed ^ 0x6c65_6467_6572),
            balances,
            known,
            new_members: ledger_accounts_table(),
            transfers: transfers_table(),
            entries: entries_table(),
            escrows: Vec::new(),
            grants: 0,
        })
    }

    /// `account_id`'s member ledger account, created if it does not exist yet.
    fn member(&mut self, account_id: &str) -> String {
        let member = member_ledger_account(account_id);
        if self.known.insert(member.clone()) {
            self.new_members.push(vec![
                member.clone().into(),
                "member".into(),
                account_id.to_owned().into(),
                0.into(),
                BASE_MS.into(),
            ]);
        }
        member
    }

    fn transfer(
        &mut self,
        kind: TransferKind,
        reference: &str,
        from: &str,
        to: &str,
        amount: i64,
        at: i64,
    ) {
        let id = demo_id(&mut self.rng);
        self.transfers.push(vec![
            id.clone().into(),
            kind.as_str().into(),
            reference.into(),
            at.into(),
        ]);
        for (account, delta) in [(from, -amount), (to, amount)] {
            self.entries.push(vec![
                demo_id(&mut self.rng).into(),
                id.clone().into(),
                account.into(),
                delta.into(),
                at.into(),
            ]);
            *self.balances.entry(account.to_owned()).or_insert(0) += delta;
        }
    }

    /// Holds `price` of `customer`'s points in order `order_id`'s escrow at `at` (granting
    /// 1,000 points first if the customer is short); returns the escrow ledger account.
    pub fn hold(&mut self, customer: &str, order_id: &str, price: i64, at: i64) -> String {
        let member = self.member(customer);
        if self.balances.get(&member).copied().unwrap_or(0) < price {
            self.grants += 1;
            let reference = format!("demo:{}", self.grants);
            self.transfer(
                TransferKind::DemoGrant,
                &reference,
                ISSUER,
                &member,
                1_000,
                at,
            );
        }
        let escrow = escrow_ledger_account(order_id);
        self.escrows.push(escrow.clone());
        self.balances.insert(escrow.clone(), 0);
        self.transfer(
            TransferKind::OrderEscrow,
            order_id,
            &member,
            &escrow,
            price,
            at,
        );
        escrow
    }

    /// Releases order `order_id`'s escrow to `owner` at `at`.
    pub fn release(&mut self, order_id: &str, owner: &str, price: i64, at: i64) {
        let owner = self.member(owner);
        let escrow = escrow_ledger_account(order_id);
        self.transfer(
            TransferKind::EscrowRelease,
            order_id,
            &escrow,
            &owner,
            price,
            at,
        );
    }

    /// Refunds order `order_id`'s escrow to `customer` at `at`.
    pub fn refund(&mut self, order_id: &str, customer: &str, price: i64, at: i64) {
        let member = member_ledger_account(customer);
        let escrow = escrow_ledger_account(order_id);
        self.transfer(
            TransferKind::EscrowRefund,
            order_id,
            &escrow,
            &member,
            price,
            at,
        );
    }

    /// Writes the member ledger accounts to create inside `tx` (before any row that
    /// refers to them).
    ///
    /// Errors: the database's.
    pub async fn write_members(&self, tx: &mut Transaction<'static, Any>) -> anyhow::Result<()> {
        self.new_members.write(tx).await?;
        Ok(())
    }

    /// Writes the moves inside `tx`: the escrow accounts, transfers, entries, and every
    /// member's and the issuer's balance.
    ///
    /// Errors: the database's.
    pub async fn write_moves(&self, tx: &mut Transaction<'static, Any>) -> anyhow::Result<()> {
        let mut escrows = ledger_accounts_table();
        for escrow in &self.escrows {
            escrows.push(vec![
                escrow.clone().into(),
                "escrow".into(),
                Option::<String>::None.into(),
                self.balances.get(escrow).copied().unwrap_or(0).into(),
                BASE_MS.into(),
            ]);
        }
        escrows.write(tx).await?;
        self.transfers.write(tx).await?;
        self.entries.write(tx).await?;
        for (account, balance) in &self.balances {
            if account.starts_with("member:") || account == ISSUER {
                sqlx::query("UPDATE ledger_accounts SET balance = $1 WHERE id = $2")
                    .bind(*balance)
                    .bind(account)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }
}
