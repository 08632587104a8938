//! Password hashing with Argon2id (policy: "Passwords are hashed with a memory-hard algorithm
//! (Argon2)"), at OWASP's parameters: 19 MiB memory, 2 iterations, 1 lane.
//!
//! Hashing is CPU- and memory-heavy, so it runs on the blocking pool behind a semaphore (at
//! most one hash per core at a time), and a login for an unknown email verifies against a
//! dummy hash so that its timing matches a wrong password.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;

/// Argon2id memory cost (KiB): 19 MiB.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id iterations.
pub const ITERATIONS: u32 = 2;
/// Argon2id lanes.
pub const LANES: u32 = 1;

/// Hashes and verifies passwords off the async executor; cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
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

impl Passwords {
    /// A hasher allowing `concurrency` hashes at once (normally the number of cores).
    ///
    /// Errors: only if Argon2 itself fails to produce the start-up dummy hash.
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let dummy_hash = hash_blocking("heepr dummy password for timing")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .context("password hashing task")?
    }

    /// Whether `password` matches `hash`. With `None` (unknown account, or an account without
    /// a password) it verifies against a dummy hash, spending the same time, and returns false.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        let password = password.to_owned();
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&password, &hash))
            .await
            .context("password verification task")?;
        Ok(known && ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_is_argon2id_with_owasp_params() -> anyhow::Result<()> {
        let p = Passwords::new(1)?;
        let h = p.hash("correct horse").await?;
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p.verify("correct horse", Some(&h)).await?);
        assert!(!p.verify("wrong horse", Some(&h)).await?);
        assert!(!p.verify("heepr dummy password for timing", None).await?);
        Ok(())
    }
}
