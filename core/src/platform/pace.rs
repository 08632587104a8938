//! A progressive delay per key: attempts beyond a ceiling are slowed, never refused. Used
//! for the per-account login ceiling, where refusing would let anyone lock an owner out by
//! guessing from many addresses, while slowing keeps a distributed guessing run expensive.
//!
//! Each key has a leaky bucket: every attempt adds one, one drains every `period`. While
//! the level is at most `burst` an attempt waits nothing; above it, each attempt waits
//! `step` times the excess, at most `max`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One key's bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: Instant,
}

/// Progressive delays per key; see the module doc.
#[derive(Debug)]
pub struct Pacer {
    burst: f64,
    period: Duration,
    step: Duration,
    max: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
    slowed: AtomicU64,
}

impl Pacer {
    /// A pacer allowing `burst` attempts per key without delay, one more per `period`,
    /// slowing each further attempt by `step` per attempt over, up to `max`.
    pub fn new(burst: u32, period: Duration, step: Duration, max: Duration) -> Self {
        Self {
            burst: f64::from(burst),
            period: period.max(Duration::from_millis(1)),
            step,
            max,
            buckets: Mutex::new(HashMap::new()),
            slowed: AtomicU64::new(0),
        }
    }

    fn drained(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.level - elapsed / self.period.as_secs_f64()).max(0.0)
    }

    /// Counts one attempt for `key` and returns how long it must wait (zero under the
    /// ceiling).
    pub fn delay(&self, key: &str) -> Duration {
        let now = Instant::now();
        // A panic elsewhere while holding the lock leaves only counters behind: keep going.
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            level: 0.0,
            at: now,
        });
        let level = self.drained(bucket, now) + 1.0;
        *bucket = Bucket { level, at: now };
        drop(buckets);
        let excess = level - self.burst;
        if excess <= 0.0 {
            return Duration::ZERO;
        }
        self.slowed.fetch_add(1, Ordering::Relaxed);
        self.step.mul_f64(excess.ceil()).min(self.max)
    }

    /// How many attempts were slowed since start (an operational counter: a rising value
    /// means someone is guessing passwords from many addresses).
    pub fn slowed_attempts(&self) -> u64 {
        self.slowed.load(Ordering::Relaxed)
    }

    /// Forgets keys whose bucket has drained, so memory stays bounded.
    pub fn forget_idle(&self) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        buckets.retain(|_, b| self.drained(b, now) > 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slows_progressively_and_boundedly_beyond_the_ceiling() {
        let pacer = Pacer::new(
            2,
            Duration::from_secs(3600),
            Duration::from_millis(100),
            Duration::from_millis(250),
        );
        let delays: Vec<Duration> = (0..5).map(|_| pacer.delay("ada")).collect();
        assert_eq!(
            delays,
            [0, 0, 100, 200, 250].map(Duration::from_millis).to_vec()
        );
        assert_eq!(pacer.delay("grace"), Duration::ZERO, "keys are apart");
        assert_eq!(pacer.slowed_attempts(), 3);
    }
}
