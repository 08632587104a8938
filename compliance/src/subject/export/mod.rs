//! The export archive (right of access and portability): a `.tar.gz` of everything the data
//! map says is the subject's, built from the data map alone so a table or personal column
//! added later is exported without new code.
//!
//! Layout of the archive, in this order (deterministic; every entry a regular file, mode
//! 0644, owner 0, mtime = the generation time; no absolute paths, no `..`, no links):
//! - `README.txt`: every file and field explained in plain words (from the data map);
//! - `<section>.json`: one per export section, `{"section", "tables": {table: {"purpose",
//!   "rows": [...]}}}`; each row holds the table's exported personal columns. Columns marked
//!   `account_ref` show other people only by display name; columns marked `file` hold the
//!   file's path inside the archive (or `null` when the file is missing);
//! - `files/<table>-<row key>[-<column>]-<sanitised name>`: each stored file;
//! - `manifest.json`: format version, generation time, subject id, sections, and each
//!   file's size and SHA-256; files whose stored copy is missing are listed as missing.
//!
//! Memory stays bounded: rows are read in pages of [`PAGE_ROWS`] and written out one by one;
//! files are streamed. The archive is written under a temporary name in the output
//! directory and renamed when complete, so a crash never leaves a half archive under the
//! final name.
//!
//! Files: `archive.rs` (building the archive, entry by entry), `sections.rs` (which tables
//! feed each section, rows written page by page), `readme.rs`, `entry_names.rs` (names of
//! stored files inside the archive), `job.rs` (inputs, outcome, errors).
//!
//! Depends on [`crate::base::hashing_io`], [`crate::policy::data_map`] and
//! [`crate::subject::subject_rows`].

mod archive;
mod entry_names;
mod gzip_members;
mod job;
mod readme;
mod sections;

pub use archive::{FORMAT_VERSION, build};
pub use entry_names::archive_file_name;
pub use job::{ExportError, ExportJob, ExportOutcome};
pub use readme::readme;
pub use sections::{PAGE_ROWS, sections};
