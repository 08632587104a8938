//! The one task that drains the request path's deferred writes
//! ([`crate::platform::deferred_writes`]) into the database. Guarantees:
//! - **Batched**: writes are gathered until [`QueueConfig::batch_rows`] are waiting or
//!   [`QueueConfig::flush_every`] has passed, then written in **one short transaction**:
//!   multi-row INSERTs of request-log rows, one `UPDATE ... CASE` per chunk of last-seen
//!   and last-used times (the latest time per session or key), one DELETE of expired
//!   sessions; every value bound, chunked under the bind limit.
//! - **An erased person is not written back**: a request-log row naming an account that is
//!   no longer active is left out by the INSERT itself. Erasure closes the account, then
//!   flushes the queue, then deletes the person's rows: a row queued earlier is committed
//!   before the deletion (and deleted by it); one written later is left out, however long
//!   the request that queued it ran.
//! - **Survives its errors**: a batch the database refuses is logged (no row content,
//!   nothing personal) and counted as failed; the next batch is tried as usual.
//! - **Flushes answer in order**: a flush is answered once every write queued before it is
//!   committed or counted as failed.
//! - **Drains at shutdown**: [`Writer::stop`] closes the queue and writes all that is in it
//!   before returning; `crate::serve` calls it after the server answered its last request.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use heepr_compliance::Db;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::identity::account_status::AccountStatus;
use crate::identity::{api_keys, sessions};
use crate::platform::deferred_writes::{Counters, Deferred, Drainer, Message, QueueConfig};
use crate::platform::request_log::{self, RequestLogEntry};

/// The running writer task.
#[derive(Debug)]
pub struct Writer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Writer {
    /// Starts draining `drainer` into `db`.
    pub fn spawn(db: Db, drainer: Drainer) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(db, drainer, stopped));
        Self { stop, task }
    }

    /// Closes the queue, writes everything still in it and returns once it is committed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(err) = self.task.await {
            tracing::error!("deferred-write task ended abnormally: {err}");
        }
    }
}

async fn run(db: Db, drainer: Drainer, mut stopped: oneshot::Receiver<()>) {
    let Drainer {
        mut receiver,
        config,
        stats,
    } = drainer;
    let mut batch = Batch::default();
    // `interval` ticks at once; starting one period out keeps the first rows batched too.
    let first = tokio::time::Instant::now() + config.flush_every;
    let mut tick = tokio::time::interval_at(first, config.flush_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = receiver.recv() => match message {
                Some(message) => batch.take(message, &db, &config, &stats).await,
                None => break,
            },
            _ = tick.tick() => batch.write(&db, &stats).await,
            _ = &mut stopped => {
                receiver.close();
                break;
            }
        }
    }
    // Closed: what is still queued comes out, then `None`.
    while let Some(message) = receiver.recv().await {
        batch.take(message, &db, &config, &stats).await;
    }
    batch.write(&db, &stats).await;
}

/// Writes gathered for the next transaction.
#[derive(Debug, Default)]
struct Batch {
    rows: Vec<RequestLogEntry>,
    /// Latest last-seen time per session.
    seen: HashMap<String, i64>,
    /// Latest last-used time per key.
    used: HashMap<String, i64>,
    expired: Vec<String>,
    /// Writes gathered (what `batch_rows` counts and the counters count).
    writes: u64,
    /// Flushes to answer once this batch is committed.
    flushes: Vec<oneshot::Sender<()>>,
}

impl Batch {
    async fn take(&mut self, message: Message, db: &Db, config: &QueueConfig, stats: &Counters) {
        match message {
            Message::Write(write) => {
                self.push(write);
                if usize::try_from(self.writes).unwrap_or(usize::MAX) >= config.batch_rows {
                    self.write(db, stats).await;
                }
            }
            Message::Flush(ack) => {
                self.flushes.push(ack);
                self.write(db, stats).await;
            }
        }
    }

    fn push(&mut self, write: Deferred) {
        self.writes += 1;
        match write {
            Deferred::RequestLog(row) => self.rows.push(row),
            Deferred::SessionSeen { session_id, at_ms } => {
                let at = self.seen.entry(session_id).or_insert(at_ms);
                *at = (*at).max(at_ms);
            }
            Deferred::KeyUsed { key_id, at_ms } => {
                let at = self.used.entry(key_id).or_insert(at_ms);
                *at = (*at).max(at_ms);
            }
            Deferred::SessionExpired { session_id } => self.expired.push(session_id),
        }
    }

    /// Writes the batch in one transaction, counts it, answers the flushes waiting on it.
    async fn write(&mut self, db: &Db, stats: &Counters) {
        let batch = std::mem::take(self);
        if batch.writes > 0 {
            match batch.commit(db).await {
                Ok(()) => stats.written.fetch_add(batch.writes, Ordering::Relaxed),
                Err(err) => {
                    tracing::warn!(
                        writes = batch.writes,
                        "deferred writes lost: the database refused their batch: {err}"
                    );
                    stats.failed.fetch_add(batch.writes, Ordering::Relaxed)
                }
            };
        }
        for ack in batch.flushes {
            let _ = ack.send(());
        }
    }

    async fn commit(&self, db: &Db) -> Result<(), sqlx::Error> {
        let mut tx = db.begin_write().await?;
        request_log::append_batch(&mut tx, &self.rows, AccountStatus::Active.as_str()).await?;
        let seen: Vec<(String, i64)> = self.seen.iter().map(|(k, v)| (k.clone(), *v)).collect();
        sessions::record_seen(&mut tx, &seen).await?;
        let used: Vec<(String, i64)> = self.used.iter().map(|(k, v)| (k.clone(), *v)).collect();
        api_keys::record_used(&mut tx, &used).await?;
        sessions::delete_expired(&mut tx, &self.expired).await?;
        tx.commit().await
    }
}
