//! Erasure with pseudonymisation, driven by the data map: each table's `erasure` (delete the
//! subject's rows, update their personal columns, or keep them) is applied to the rows its
//! `links` select, so a table added later is erased without new code.
//!
//! - The erased person gets a stable random pseudonym ("Former member 7F3A"), drawn from
//!   the OS's random generator, never derived from the email or id, and stored in
//!   `pseudonyms` so every run (and every retained record) uses the same one.
//! - `redact` columns keep their text with the person's email and display name replaced by
//!   the pseudonym (ASCII case-insensitive).
//! - Only the listed columns of the subject's own rows are written: no `updated_at` of any
//!   other row changes.
//! - Work happens in bounded batches ([`ErasureJob::batch_rows`] rows per write
//!   transaction). Every step is idempotent (delete what is still there, rewrite what still
//!   differs), so a run interrupted at any point completes when run again. The accounts row
//!   is processed last, since it holds the email and name the other tables are redacted
//!   with; the completion (erasure ledger row + audit entry) is one final transaction.
//! - An account under an active legal hold is refused with the hold's reason.
//!
//! Files: `erase_account.rs` (the run, start to finish), `batches.rs` (the batched passes
//! over one table: delete, rewrite, redact everywhere), `contents.rs` (stored files naming the
//! subject rewritten redacted or withheld), `formats/` (how each file format is read and
//! rewritten), `preview.rs` (counts before
//! approval), `pseudonym.rs` (the pseudonym and redaction), `files.rs` (stored and spooled
//! files), `in_flight.rs` (what an export built meanwhile must check), `table_rules.rs` (what the data map asks of a table), `paging.rs` (the row pager
//! and rewrite), `job.rs` (inputs, outcome, errors).
//!
//! Depends on [`crate::base`], [`crate::policy::data_map`], [`crate::records`] (ledger and
//! audit), [`crate::subject::holds`] and [`crate::subject::subject_rows`].

mod batches;
mod contents;
mod erase_account;
pub(crate) mod files;
pub mod formats;
mod in_flight;
mod job;
mod paging;
mod preview;
mod pseudonym;
mod table_rules;

pub use contents::{content_path, reapply_replaced_contents};
pub use erase_account::{is_erased, run};
pub use in_flight::ErasuresInFlight;
pub use job::{DEFAULT_BATCH_ROWS, ErasureError, ErasureJob, ErasureOutcome, TableCounts};
pub use preview::preview;
pub use pseudonym::keep_pseudonym;
