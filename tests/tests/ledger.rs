//! Points ledger invariants: balanced transfers, derived balances, a bonus once, never
//! negative, even under concurrent transfers.

use anyhow::{Context, Result};
use heepr_core::ledger::{self, ISSUER, Transfer, TransferKind};
use heepr_tests::{Backend, TestApp, backend_test};
use serde_json::Value;

/// Checks the ledger's global invariants: every transfer sums to zero, every balance equals
/// the sum of its entries, all balances together sum to zero, no member is negative.
pub async fn assert_ledger_consistent(app: &TestApp) -> Result<()> {
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT transfer_id FROM ledger_entries GROUP BY transfer_id \
         HAVING CAST(SUM(amount) AS BIGINT) <> 0 OR COUNT(*) <> 2) t",
    )
    .fetch_one(app.pool())
    .await?;
    assert_eq!(unbalanced, 0, "every transfer has two legs summing to zero");
    let drift: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_accounts a WHERE a.balance <> \
         (SELECT CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM ledger_entries e WHERE e.ledger_account_id = a.id)",
    )
    .fetch_one(app.pool())
    .await?;
    assert_eq!(drift, 0, "balances are derived from entries");
    let total: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM ledger_accounts")
            .fetch_one(app.pool())
            .await?;
    assert_eq!(
        total, 0,
        "points are only moved, the issuer's minus balance mirrors all bonuses"
    );
    let negative: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_accounts WHERE kind <> 'issuer' AND balance < 0",
    )
    .fetch_one(app.pool())
    .await?;
    assert_eq!(negative, 0);
    Ok(())
}

backend_test!(bonus_is_credited_once_and_ledger_balances);
async fn bonus_is_credited_once_and_ledger_balances(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (client, account) = app.member("Ada", "ada@example.com").await?;
    app.member("Bob", "bob@example.com").await?;
    let id = account["id"].as_str().context("id")?.to_string();

    let ledger: Value = client
        .get(app.url("/api/v1/me/ledger"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(ledger["points_balance"], 500);
    let entries = ledger["entries"].as_array().context("entries")?;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "signup_bonus");
    assert_eq!(entries[0]["amount"], 500);

    // A second bonus for the same account is refused and writes nothing.
    let member = ledger::member_ledger_account(&id);
    let mut tx = app.state.db.begin_write().await?;
    let again = Transfer {
        kind: TransferKind::SignupBonus,
        reference: &id,
        from: ISSUER,
        to: &member,
        amount: 500,
    };
    let err = ledger::transfer(&mut tx, &again, app.clock_now())
        .await
        .err()
        .context("second bonus accepted")?;
    assert_eq!(err.code(), "already_transferred");
    drop(tx);
    assert_eq!(ledger::balance(app.pool(), &id).await?, 500);
    let issuer: i64 = sqlx::query_scalar("SELECT balance FROM ledger_accounts WHERE id = 'issuer'")
        .fetch_one(app.pool())
        .await?;
    assert_eq!(issuer, -1000);
    assert_ledger_consistent(&app).await?;

    let bad_limit = client
        .get(app.url("/api/v1/me/ledger?limit=0"))
        .send()
        .await?;
    assert_eq!(bad_limit.status(), 422);
    Ok(())
}

backend_test!(concurrent_transfers_never_overdraw);
async fn concurrent_transfers_never_overdraw(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (_, ada) = app.member("Ada", "ada@example.com").await?;
    let (_, bob) = app.member("Bob", "bob@example.com").await?;
    let from = ledger::member_ledger_account(ada["id"].as_str().context("id")?);
    let to = ledger::member_ledger_account(bob["id"].as_str().context("id")?);

    // Eight transfers of 100 from a balance of 500: exactly five can succeed.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let state = app.state.clone();
        let (from, to) = (from.clone(), to.clone());
        tasks.push(tokio::spawn(async move {
            let mut tx = state.db.begin_write().await?;
            let reference = format!("test-{i}");
            let t = Transfer {
                kind: TransferKind::SignupBonus,
                reference: &reference,
                from: &from,
                to: &to,
                amount: 100,
            };
            match ledger::transfer(&mut tx, &t, 0).await {
                Ok(_) => {
                    tx.commit().await?;
                    Ok::<bool, anyhow::Error>(true)
                }
                Err(e) if e.code() == "insufficient_points" => Ok(false),
                Err(e) => Err(e.into()),
            }
        }));
    }
    let mut succeeded = 0;
    for task in tasks {
        if task.await?? {
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 5);
    assert_eq!(
        ledger::balance(app.pool(), ada["id"].as_str().context("id")?).await?,
        0
    );
    assert_eq!(
        ledger::balance(app.pool(), bob["id"].as_str().context("id")?).await?,
        1000
    );
    assert_ledger_consistent(&app).await?;

    // A non-positive amount is refused.
    let mut tx = app.state.db.begin_write().await?;
    let zero = Transfer {
        kind: TransferKind::SignupBonus,
        reference: "zero",
        from: &to,
        to: &from,
        amount: 0,
    };
    assert_eq!(
        ledger::transfer(&mut tx, &zero, 0)
            .await
            .err()
            .map(|e| e.code()),
        Some("invalid_field")
    );
    Ok(())
}
