//! Order lists read files and reviews for all their orders at once: the statements a list
//! runs do not grow with its length (issue 15: "two per order, up to 400 per page"), and
//! each order still shows exactly its own files, oldest first, and its own review.
//!
//! The statements are observed on the real database connection: sqlx logs every statement
//! it runs under the `sqlx::query` tracing target, and this test's subscriber keeps them.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use anyhow::{Context as _, Result, ensure};
use heepr_core::market::files;
use heepr_core::market::orders::{self, OrderScope};
use heepr_tests::market::{complete_order, get, id_of, market, place_order, post};
use heepr_tests::{Backend, TestApp, backend_test};
use serde_json::json;
use sqlx::Row;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Every statement sqlx ran in this process since the last [`Statements::take`].
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }
}

struct SqlText(String);

impl Visit for SqlText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if matches!(field.name(), "summary" | "db.statement") {
            self.0.push_str(value);
            self.0.push(' ');
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if matches!(field.name(), "summary" | "db.statement") {
            let _ = write!(self.0, "{value:?} ");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut text = SqlText(String::new());
            event.record(&mut text);
            self.lock().push(text.0);
        }
    }
}

/// The process-wide statement log, and a lock so two tests of one process (under `cargo
/// test`) do not count each other's statements.
async fn statements() -> Result<(Statements, tokio::sync::MutexGuard<'static, ()>)> {
    static LOG: OnceLock<Result<Statements, String>> = OnceLock::new();
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let log = LOG.get_or_init(|| {
        let log = Statements::default();
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(log.clone()))
            .map_err(|e| e.to_string())?;
        Ok(log)
    });
    let log = log.clone().map_err(anyhow::Error::msg)?;
    Ok((log, ONE_AT_A_TIME.lock().await))
}

/// Statements that read an order's files or reviews.
fn file_and_review_reads(statements: &[String]) -> usize {
    statements
        .iter()
        .filter(|s| s.contains("FROM files") || s.contains("FROM reviews"))
        .count()
}

async fn order_lists_read_files_and_reviews_once(backend: Backend) -> Result<()> {
    let (log, _one_at_a_time) = statements().await?;
    let app = TestApp::spawn(&backend).await?;
    let m = market(&app).await?;
    let (_, me) = get(&app, &m.customer, "/api/v1/me").await?;
    let customer_id = id_of(&me);
    // Five orders (the sign-up bonus buys five): three completed with a delivered file,
    // two of those reviewed, two still placed.
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(id_of(&place_order(&app, &m.customer, &m.agent_id).await?));
    }
    for id in &ids[..3] {
        complete_order(&app, &m.agent, &m.customer, id).await?;
    }
    for (id, rating) in ids[..2].iter().zip([5, 4]) {
        let path = format!("/api/v1/orders/{id}/review");
        let (s, body) = post(&app, &m.customer, &path, json!({"rating": rating})).await?;
        ensure!(s == 201 || s == 200, "review {id}: {s} {body}");
    }

    let state = &app.state;
    let list = orders::list(state, OrderScope::Customer(&customer_id), None).await?;
    ensure!(list.len() == 5, "{} orders listed", list.len());
    let mut reads = Vec::new();
    for page in [1, 2, 5] {
        log.take();
        let views = orders::views(state, &list[..page]).await?;
        reads.push(file_and_review_reads(&log.take()));
        ensure!(
            views.len() == page,
            "{page} orders in, {} views out",
            views.len()
        );
    }
    ensure!(
        reads == [2, 2, 2],
        "file and review reads for lists of 1, 2 and 5 orders: {reads:?} (expected 2 each)"
    );

    // Each order shows exactly its own files, oldest first, and its own review.
    let views = orders::views(state, &list).await?;
    for (order, view) in list.iter().zip(&views) {
        ensure!(view.id == order.id, "views out of order");
        let files: Vec<String> =
            sqlx::query("SELECT id FROM files WHERE order_id = $1 ORDER BY created_at, id")
                .bind(&order.id)
                .fetch_all(app.pool())
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
        let shown: Vec<String> = view.files.iter().map(|f| f.id.clone()).collect();
        ensure!(
            shown == files,
            "order {}: files {shown:?}, stored {files:?}",
            order.id
        );
        let review: Option<String> =
            sqlx::query_scalar("SELECT id FROM reviews WHERE order_id = $1")
                .bind(&order.id)
                .fetch_optional(app.pool())
                .await?;
        ensure!(
            view.review.as_ref().map(|r| r.id.clone()) == review,
            "order {}: review {:?}, stored {review:?}",
            order.id,
            view.review.as_ref().map(|r| &r.id)
        );
    }
    let delivered = views.iter().filter(|v| !v.files.is_empty()).count();
    let reviewed = views.iter().filter(|v| v.review.is_some()).count();
    ensure!(
        (delivered, reviewed) == (3, 2),
        "{delivered} delivered, {reviewed} reviewed"
    );

    // Past one chunk of bound ids, the list is read in chunks: same answer, one read per
    // chunk (1,005 ids: three chunks of at most 500).
    let padded: Vec<String> = (0..1000).map(|i| format!("no-such-order-{i}")).collect();
    let mut many: Vec<&str> = padded.iter().map(String::as_str).collect();
    many.extend(list.iter().map(|o| o.id.as_str()));
    log.take();
    let chunked = files::for_orders(app.pool(), &many).await?;
    ensure!(
        file_and_review_reads(&log.take()) == 3,
        "1,005 ids not read in three chunks"
    );
    for view in &views {
        let ids: Vec<&str> = chunked
            .get(&view.id)
            .map(|f| f.iter().map(|f| f.id.as_str()).collect())
            .unwrap_or_default();
        let shown: Vec<&str> = view.files.iter().map(|f| f.id.as_str()).collect();
        ensure!(ids == shown, "order {}: chunked read differs", view.id);
    }

    // The API list answers the same views.
    let (s, body) = get(&app, &m.customer, "/api/v1/orders").await?;
    ensure!(s == 200, "GET /api/v1/orders: {s} {body}");
    let listed = body["orders"].as_array().context("orders")?;
    ensure!(
        serde_json::to_value(&views)? == json!(listed),
        "the API list differs from the views"
    );
    Ok(())
}

backend_test!(order_lists_read_files_and_reviews_once);
