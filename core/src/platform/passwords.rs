//! Password hashing with Argon2id (policy: "Passwords are hashed with a memory-hard algorithm
//! (Argon2)"), at OWASP's parameters: 19 MiB memory, 2 iterations, 1 lane.
//!
//! Hashing is CPU- and memory-heavy, so it must not starve the site. Guarantees:
//! - **A core stays free for requests**: hashes run on the blocking pool, at most
//!   [`PasswordPool::workers`] at once (by default one fewer than the cores, at least one).
//! - **A flood queues, then is refused**: at most [`PasswordPool::waiting`] more wait for a
//!   worker; beyond that [`Passwords::admit`] refuses at once with [`PasswordError::Busy`]
//!   (429 with `Retry-After`), so a login flood never holds memory or threads for pages.
//! - **A slot is held until the hash ends**: the permits move into the blocking task, so a
//!   client that hangs up mid-hash does not let another hash start beside it.
//! - **Timing reveals nothing**: a login for an unknown email verifies against a dummy hash,
//!   spending the same time as a wrong password (and is refused alike when busy).

use std::sync::Arc;

use anyhow::anyhow;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::platform::error::AppError;

/// Argon2id memory cost (KiB): 19 MiB.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id iterations.
pub const ITERATIONS: u32 = 2;
/// Argon2id lanes.
pub const LANES: u32 = 1;
/// What a refused caller is told to wait (seconds): a queue's worth of hashes takes well
/// under a second on one core.
pub const RETRY_AFTER_SECS: u64 = 1;

/// How many hashes run and wait at once.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPool {
    /// Hashes running at once (each one blocking thread and 19 MiB).
    pub workers: usize,
    /// Hashes waiting for a worker; one more is refused.
    pub waiting: usize,
}

impl PasswordPool {
    /// One fewer worker than `cores` (at least one), and 16 waiting per worker.
    pub fn for_cores(cores: usize) -> Self {
        let workers = cores.saturating_sub(1).max(1);
        Self {
            workers,
            waiting: 16 * workers,
        }
    }
}

impl Default for PasswordPool {
    /// [`PasswordPool::for_cores`] of this machine's available parallelism.
    fn default() -> Self {
        Self::for_cores(std::thread::available_parallelism().map_or(2, usize::from))
    }
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Every worker is busy and the queue is full: try again after this many seconds.
    #[error("too many passwords are being checked at once: try again in {retry_after_secs} s")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// Argon2 or its blocking task failed.
    #[error("password hashing failed")]
    Failed(#[source] anyhow::Error),
}

impl From<PasswordError> for AppError {
    fn from(err: PasswordError) -> Self {
        match err {
            PasswordError::Busy { retry_after_secs } => {
                AppError::TooManyRequests { retry_after_secs }
            }
            PasswordError::Failed(cause) => AppError::Internal(cause),
        }
    }
}

/// Hashes and verifies passwords off the async executor; cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    /// One permit per worker.
    workers: Arc<Semaphore>,
    /// One permit per hash running or waiting.
    admitted: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .map_err(|e| anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow!("argon2 salt: {e}"))?;
    let hash = argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow!("argon2 hash: {e}"))?;
    Ok(hash.to_string())
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A place in the hashing queue, taken by [`Passwords::admit`]; the hash it is spent on
/// waits for a worker. Dropping it unused gives the place back.
#[derive(Debug)]
pub struct Admission {
    slot: OwnedSemaphorePermit,
    workers: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl Admission {
    /// Runs `work` on the blocking pool once a worker is free, holding the slot and the
    /// worker until it ends (even if the caller stops waiting).
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let worker = Arc::clone(&self.workers)
            .acquire_owned()
            .await
            .map_err(|e| PasswordError::Failed(anyhow!("password hasher closed: {e}")))?;
        let slot = self.slot;
        tokio::task::spawn_blocking(move || {
            let _held = (slot, worker);
            work()
        })
        .await
        .map_err(|e| PasswordError::Failed(anyhow!("password hashing task: {e}")))
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) of `password` with a fresh salt.
    pub async fn hash(self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.run(move || hash_blocking(&password))
            .await?
            .map_err(PasswordError::Failed)
    }

    /// Whether `password` matches `hash`. With `None` (unknown account, or an account
    /// without a password) it verifies against a dummy hash, spending the same time, and
    /// returns false.
    pub async fn verify(self, password: &str, hash: Option<&str>) -> Result<bool, PasswordError> {
        let password = password.to_owned();
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let ok = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(known && ok)
    }
}

impl Passwords {
    /// A hasher sized by `pool`.
    ///
    /// Errors: only if Argon2 itself fails to produce the start-up dummy hash.
    pub fn new(pool: PasswordPool) -> anyhow::Result<Self> {
        let dummy_hash = hash_blocking("heepr dummy password for timing")?;
        let workers = pool.workers.max(1);
        Ok(Self {
            workers: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers.saturating_add(pool.waiting))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// A place in the queue, without waiting.
    ///
    /// Errors: [`PasswordError::Busy`] when every worker is busy and the queue is full.
    pub fn admit(&self) -> Result<Admission, PasswordError> {
        let slot = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| PasswordError::Busy {
                retry_after_secs: RETRY_AFTER_SECS,
            })?;
        Ok(Admission {
            slot,
            workers: Arc::clone(&self.workers),
            dummy_hash: Arc::clone(&self.dummy_hash),
        })
    }

    /// [`Admission::hash`] with a place taken now.
    ///
    /// Errors: [`PasswordError::Busy`] when the queue is full; Argon2's failure.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        self.admit()?.hash(password).await
    }

    /// [`Admission::verify`] with a place taken now.
    ///
    /// Errors: [`PasswordError::Busy`] when the queue is full; the blocking task's failure.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, PasswordError> {
        self.admit()?.verify(password, hash).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_is_argon2id_with_owasp_params() -> anyhow::Result<()> {
        let p = Passwords::new(PasswordPool {
            workers: 1,
            waiting: 0,
        })?;
        let h = p.hash("correct horse").await?;
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p.verify("correct horse", Some(&h)).await?);
        assert!(!p.verify("wrong horse", Some(&h)).await?);
        assert!(!p.verify("heepr dummy password for timing", None).await?);
        Ok(())
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_frees_on_drop() -> anyhow::Result<()> {
        let p = Passwords::new(PasswordPool {
            workers: 1,
            waiting: 1,
        })?;
        let first = p.admit()?;
        let second = p.admit()?;
        assert!(matches!(
            p.verify("x", None).await,
            Err(PasswordError::Busy {
                retry_after_secs: 1
            })
        ));
        drop(first);
        assert!(!second.verify("x", None).await?);
        assert!(!p.verify("x", None).await?);
        Ok(())
    }

    #[test]
    fn one_core_stays_free() {
        assert_eq!(PasswordPool::for_cores(1).workers, 1);
        assert_eq!(PasswordPool::for_cores(2).workers, 1);
        assert_eq!(PasswordPool::for_cores(8).workers, 7);
    }
}
