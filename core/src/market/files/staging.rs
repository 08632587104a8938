//! How an upload is received: streamed, chunk by chunk, into a temporary file under
//! `DATA_DIR/files/tmp` while its SHA-256 is computed and its type sniffed, so memory stays
//! flat whatever the file's size (issue 12: three parallel 25 MiB uploads took the process
//! from 308 MB to 1.19 GB). The file is moved into the content store before the database
//! transaction that records it (file I/O never inside a transaction); a staged file that is
//! never stored (a refused request, a dropped connection) is deleted when dropped, and one
//! left by a killed process is swept with the content store's orphans.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::platform::error::AppError;
use crate::platform::state::AppState;
use crate::platform::tokens::new_id;

/// The content store's staging directory, relative to the data dir.
pub const STAGING_DIR: &str = "files/tmp";

/// Bytes of the file's start kept for sniffing its type (signatures sit in the first few
/// hundred bytes).
const SNIFF_BYTES: usize = 8 * 1024;

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("staging an upload: {e}"))
}

/// A file being received.
pub struct Stager {
    file: tokio::fs::File,
    staged: Staged,
    hasher: Sha256,
    head: Vec<u8>,
    /// Whether every byte so far is UTF-8 (with `pending` the bytes of a character split
    /// across chunks).
    utf8: bool,
    pending: Vec<u8>,
}

/// A received file, in the staging directory until [`Staged::store`] moves it.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex (set by [`Stager::finish`]).
    pub sha256: String,
    /// The sniffed MIME type (see [`super::sniff`]).
    pub mime: &'static str,
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Gone already once stored (renamed away); otherwise never recorded: delete it.
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Stager {
    /// Starts receiving a file.
    ///
    /// Errors: 500 when the staging directory cannot be written.
    pub async fn start(state: &AppState) -> Result<Stager, AppError> {
        let dir = state.settings.data_dir.join(STAGING_DIR);
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        let path = dir.join(new_id());
        let file = tokio::fs::File::create(&path).await.map_err(io)?;
        Ok(Stager {
            file,
            staged: Staged {
                path,
                size: 0,
                sha256: String::new(),
                mime: "application/octet-stream",
            },
            hasher: Sha256::new(),
            head: Vec::new(),
            utf8: true,
            pending: Vec::new(),
        })
    }

    /// Bytes received so far.
    pub fn size(&self) -> u64 {
        self.staged.size
    }

    /// Appends `chunk`.
    ///
    /// Errors: 500 when the file cannot be written.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        self.file.write_all(chunk).await.map_err(io)?;
        self.hasher.update(chunk);
        self.staged.size += chunk.len() as u64;
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.utf8 {
            self.check_utf8(chunk);
        }
        Ok(())
    }

    fn check_utf8(&mut self, chunk: &[u8]) {
        let joined;
        let bytes = if self.pending.is_empty() {
            chunk
        } else {
            joined = [self.pending.as_slice(), chunk].concat();
            joined.as_slice()
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => self.pending.clear(),
            // A character cut at the chunk's end: its first bytes wait for the next chunk.
            Err(e) if e.error_len().is_none() => self.pending = bytes[e.valid_up_to()..].to_vec(),
            Err(_) => self.utf8 = false,
        }
    }

    /// Flushes the file to disk and returns it with its hash and type.
    ///
    /// Errors: 500 when the file cannot be flushed.
    pub async fn finish(mut self) -> Result<Staged, AppError> {
        self.file.flush().await.map_err(io)?;
        self.file.sync_data().await.map_err(io)?;
        let text = self.utf8 && self.pending.is_empty();
        let mut staged = std::mem::replace(
            &mut self.staged,
            Staged {
                path: PathBuf::new(),
                size: 0,
                sha256: String::new(),
                mime: "",
            },
        );
        staged.sha256 = hex::encode(self.hasher.finalize_reset());
        staged.mime = match infer::get(&self.head) {
            Some(kind) => kind.mime_type(),
            None if text => "text/plain",
            None => "application/octet-stream",
        };
        Ok(staged)
    }
}

impl Drop for Stager {
    fn drop(&mut self) {
        // Dropped unfinished (a refused or broken upload): its partial file goes.
        if !self.staged.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.staged.path);
        }
    }
}

impl Staged {
    /// Moves the file into the content store at `DATA_DIR/<stored_path(sha256)>` (once per
    /// content: when the same bytes are stored already, the staged copy is deleted).
    /// Call before the transaction that records the file.
    ///
    /// Errors: 500 when the store cannot be written.
    pub async fn store(&self, data_dir: &Path) -> Result<(), AppError> {
        let path = data_dir.join(super::stored_path(&self.sha256));
        let present = tokio::fs::metadata(&path).await.ok();
        // A file of another size at the content's path is damaged (truncated by a full disk,
        // or tampered with): the received bytes replace it.
        if present.is_some_and(|m| m.len() == self.size) {
            // The same bytes are stored already, perhaps for rows about to go: a fresh
            // modification time keeps the orphan sweep off them until this upload's row is
            // committed.
            if let Ok(file) = std::fs::File::options().write(true).open(&path) {
                let _ = file.set_modified(std::time::SystemTime::now());
            }
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        tokio::fs::rename(&self.path, &path).await.map_err(io)
    }
}
