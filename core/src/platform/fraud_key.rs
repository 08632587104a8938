//! The server's fraud-prevention key: 32 random bytes that key the HMAC-SHA256 of the
//! addresses heepr must recognise without keeping them (a closed account's email, so a
//! re-registration earns no second sign-up bonus: `identity::accounts::closed_addresses`).
//! Without the key a stored hash cannot be tested against a guessed address, so the key
//! lives in a file outside the database (default `DATA_DIR/secrets/fraud-key`, 64 hex
//! characters, created `0600` on first use) and every server of one deployment must be
//! given the same file (`--fraud-key-file` / `HEEPR_FRAUD_KEY_FILE`).

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Why the key file could not be used (names the file, never its contents).
#[derive(Debug, thiserror::Error)]
pub enum FraudKeyError {
    /// Reading, creating or writing the file failed.
    #[error("fraud key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file does not hold exactly 64 hex characters (32 bytes).
    #[error("fraud key file {0}: expected 64 hex characters (32 random bytes)")]
    Malformed(PathBuf),
}

/// The key; its bytes never appear in `Debug` output or logs.
#[derive(Clone)]
pub struct FraudKey([u8; 32]);

impl std::fmt::Debug for FraudKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FraudKey(<redacted>)")
    }
}

impl FraudKey {
    /// A fresh random key held only in memory (tests and tools that keep no state).
    pub fn ephemeral() -> FraudKey {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        FraudKey(bytes)
    }

    /// Reads the key from `path`, creating the file (and its directory) with a new random
    /// key, readable by its owner only, when it does not exist.
    ///
    /// Errors: [`FraudKeyError::Io`] when it cannot be read or created;
    /// [`FraudKeyError::Malformed`] when it holds anything but 64 hex characters.
    pub fn load_or_create(path: &Path) -> Result<FraudKey, FraudKeyError> {
        let io = |source| FraudKeyError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .map_err(|_| FraudKeyError::Malformed(path.to_path_buf()))?;
                let key: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| FraudKeyError::Malformed(path.to_path_buf()))?;
                Ok(FraudKey(key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = FraudKey::ephemeral();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                write_private(path, &hex::encode(key.0)).map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Lower-case hex HMAC-SHA256 of `text` under this key.
    pub fn mac(&self, text: &str) -> String {
        // HMAC takes a key of any length, so this cannot fail; an empty MAC would
        // match nothing stored.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Writes `text` to a new file at `path` that only its owner can read (Unix `0600`); fails
/// when the file exists, so two servers starting at once cannot each write their own key.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_created_key_is_read_back_and_keys_the_mac() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("secrets").join("fraud-key");
        let made = FraudKey::load_or_create(&path)?.mac("ana@example.com");
        let read = FraudKey::load_or_create(&path)?.mac("ana@example.com");
        assert_eq!(made, read);
        assert_eq!(made.len(), 64);
        assert_ne!(
            FraudKey::ephemeral().mac("ana@example.com"),
            FraudKey::ephemeral().mac("ana@example.com")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(format!("{:?}", FraudKey::ephemeral()).contains("redacted"));
        Ok(())
    }

    #[test]
    fn a_malformed_key_file_is_refused_naming_the_file() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("fraud-key");
        std::fs::write(&path, "not hex")?;
        let err = FraudKey::load_or_create(&path).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("fraud-key") && e.contains("64 hex")));
        Ok(())
    }
}
