//! Writes a request does not wait for: its request-log row, a session's `last_seen_at`, an
//! API key's `last_used_at` and the deletion of a session found expired. The request only
//! puts them on a bounded in-memory queue; one task (`runtime::deferred_writer`) drains it
//! in multi-row batches, so a page view never queues behind the database's writer.
//!
//! Guarantees:
//! - **Never blocks a request**: [`DeferredWrites::push`] does not wait. When the queue is
//!   full the write is dropped and counted ([`QueueStats::dropped`], shown by `/healthz`),
//!   with at most one warning every [`DROP_LOG_EVERY`].
//! - **Bounded**: at most [`QueueConfig::capacity`] writes wait in memory.
//! - **Flushable**: when [`DeferredWrites::flush`] returns, everything queued before the
//!   call is committed (or failed and counted), so an export sees its subject's latest
//!   requests and an erasure can close the race with requests still under way.
//! - **Drained at shutdown**: the writer, stopped after the server has answered its last
//!   request, writes what is still queued before `heepr serve` returns.
//!
//! What is written, and how an erased person is kept out, is the writer's module doc.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::platform::request_log::RequestLogEntry;

/// Warnings about dropped writes are logged at most this often.
pub const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

/// How the queue is sized and drained.
#[derive(Debug, Clone, Copy)]
pub struct QueueConfig {
    /// Writes that may wait in memory; one more is dropped.
    pub capacity: usize,
    /// A batch is written once it holds this many writes...
    pub batch_rows: usize,
    /// ...or this long after the previous batch, whichever comes first.
    pub flush_every: Duration,
}

impl Default for QueueConfig {
    /// 10,000 queued writes (a few MiB), batches of 500 or every 250 ms.
    fn default() -> Self {
        Self {
            capacity: 10_000,
            batch_rows: 500,
            flush_every: Duration::from_millis(250),
        }
    }
}

/// One write the request path handed off.
#[derive(Debug, Clone)]
pub enum Deferred {
    /// A request-log row.
    RequestLog(RequestLogEntry),
    /// A session was used at `at_ms` (Unix ms).
    SessionSeen {
        /// The session's id.
        session_id: String,
        /// When it was used.
        at_ms: i64,
    },
    /// A session was found expired and is to be deleted.
    SessionExpired {
        /// The session's id.
        session_id: String,
    },
    /// An API key was used at `at_ms` (Unix ms).
    KeyUsed {
        /// The key's id.
        key_id: String,
        /// When it was used.
        at_ms: i64,
    },
}

/// What travels on the queue.
#[derive(Debug)]
pub enum Message {
    /// A write.
    Write(Deferred),
    /// Write everything received so far, then answer.
    Flush(oneshot::Sender<()>),
}

/// The receiving end, handed to the one task that drains it.
#[derive(Debug)]
pub struct Drainer {
    /// The queue.
    pub receiver: mpsc::Receiver<Message>,
    /// Batch size and interval.
    pub config: QueueConfig,
    /// Counters the drainer updates.
    pub stats: Arc<Counters>,
}

/// Counters shared by the queue and its drainer.
#[derive(Debug, Default)]
pub struct Counters {
    /// Writes dropped because the queue was full (or closed at shutdown).
    pub dropped: AtomicU64,
    /// Writes lost because their batch failed in the database.
    pub failed: AtomicU64,
    /// Writes committed.
    pub written: AtomicU64,
}

/// A snapshot of the queue, for `/healthz`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct QueueStats {
    /// Writes waiting now.
    pub queued: usize,
    /// Writes dropped since start because the queue was full.
    pub dropped: u64,
    /// Writes lost since start because the database refused their batch.
    pub failed: u64,
    /// Writes committed since start.
    pub written: u64,
}

/// The sending end shared by every handler; cheap to clone.
#[derive(Debug, Clone)]
pub struct DeferredWrites {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sender: mpsc::Sender<Message>,
    /// Until the writer takes it.
    drainer: Mutex<Option<Drainer>>,
    /// Whether someone took the drainer (else [`DeferredWrites::flush`] has nobody to ask).
    taken: AtomicBool,
    capacity: usize,
    stats: Arc<Counters>,
    /// When a drop was last logged, as ms since `epoch` (`u64::MAX`: never).
    last_drop_log_ms: AtomicU64,
    epoch: Instant,
}

impl DeferredWrites {
    /// An empty queue sized by `config`; nothing drains it until [`Self::take_drainer`].
    pub fn new(config: QueueConfig) -> Self {
        let capacity = config.capacity.max(1);
        let (sender, receiver) = mpsc::channel(capacity);
        let stats = Arc::new(Counters::default());
        let drainer = Drainer {
            receiver,
            config,
            stats: Arc::clone(&stats),
        };
        Self {
            inner: Arc::new(Inner {
                sender,
                drainer: Mutex::new(Some(drainer)),
                taken: AtomicBool::new(false),
                capacity,
                stats,
                last_drop_log_ms: AtomicU64::new(u64::MAX),
                epoch: Instant::now(),
            }),
        }
    }

    /// The receiving end, once: the first caller drains the queue; later calls get `None`.
    pub fn take_drainer(&self) -> Option<Drainer> {
        let drainer = self.inner.drainer.lock().ok()?.take();
        if drainer.is_some() {
            self.inner.taken.store(true, Ordering::SeqCst);
        }
        drainer
    }

    /// Queues `write` without waiting; a full (or closed) queue drops and counts it.
    pub fn push(&self, write: Deferred) {
        if self.inner.sender.try_send(Message::Write(write)).is_err() {
            let dropped = self.inner.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            self.log_drop(dropped);
        }
    }

    fn log_drop(&self, dropped: u64) {
        let now = u64::try_from(self.inner.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.inner.last_drop_log_ms.load(Ordering::Relaxed);
        let every = u64::try_from(DROP_LOG_EVERY.as_millis()).unwrap_or(u64::MAX);
        let due = last == u64::MAX || now.saturating_sub(last) >= every;
        if due
            && self
                .inner
                .last_drop_log_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                dropped_total = dropped,
                capacity = self.inner.capacity,
                "deferred-write queue full: request-log rows and last-seen times are being dropped"
            );
        }
    }

    /// Returns once everything queued before the call is committed (or counted as failed).
    /// Returns at once when nothing drains the queue (no server runs in this process) or it
    /// was closed at shutdown; waits while a drainer was taken but not yet started.
    pub async fn flush(&self) {
        if !self.inner.taken.load(Ordering::SeqCst) {
            return;
        }
        let (ack, done) = oneshot::channel();
        if self.inner.sender.send(Message::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// The queue's counters now.
    pub fn stats(&self) -> QueueStats {
        let stats = &self.inner.stats;
        QueueStats {
            queued: self
                .inner
                .capacity
                .saturating_sub(self.inner.sender.capacity()),
            dropped: stats.dropped.load(Ordering::Relaxed),
            failed: stats.failed.load(Ordering::Relaxed),
            written: stats.written.load(Ordering::Relaxed),
        }
    }
}
