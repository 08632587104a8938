//! Random secrets and their one-way hashes (session tokens; later API keys). Only the hash
//! is ever stored (policy: "API keys are stored as one-way hashes").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh secret of 256 random bits, URL-safe base64 (43 characters).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-case hex SHA-256 of `secret`. The secrets are 256-bit random values, so a fast hash
/// is enough: there is nothing to brute-force.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new time-ordered id (UUIDv7) as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_distinct() {
        let a = new_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_secret());
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
