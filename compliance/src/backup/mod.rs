//! Database backups on a 30-day rotation (policy: "Backups are rotated on a 30-day cycle").
//!
//! A backup directory holds one file per backup and `catalog.json` describing them (time,
//! size in bytes, SHA-256, schema version, backend). SQLite backups are online, consistent
//! copies (`VACUUM INTO`); PostgreSQL backups are `pg_dump` custom-format archives. Every file
//! is written under a `.partial` name and renamed when complete, and the catalog is replaced
//! atomically, so a kill mid-backup leaves no entry pointing at half a file (the next run
//! removes the leftovers). A backup whose checksum does not match is never restored, nor one
//! from a newer schema than this binary knows.
//!
//! Rotation never leaves zero backups, and refuses to run after a failed backup attempt
//! (recorded in the catalog); see `rotate.rs`.
//!
//! Files: `catalog.rs` (the catalog, its recorded last attempt, the integrity check and the
//! `*.partial*` clean-up), `create.rs`, `verify.rs` (checksum and test restore), `restore.rs`,
//! `rotate.rs` (the 30-day rotation), `listing.rs` (`backup list` with its warnings),
//! `pg_tools.rs` (`pg_dump`/`pg_restore` without the password on argv), `error.rs`.
//!
//! `carry.rs` carries the privacy desk's records (tables the data map marks `restore =
//! "carry"` or `"chain"`) through a restore, so no request made after the backup is lost.
//!
//! Depends on [`crate::base`]; `carry.rs` also on [`crate::policy`] (the data map and the
//! schema reader).

pub mod carry;
mod catalog;
mod create;
mod error;
mod listing;
mod pg_tools;
mod restore;
mod rotate;
mod verify;

pub use catalog::{
    Attempt, AttemptOutcome, BackupEntry, Catalog, check_integrity, file_digest, read_catalog,
    remove_partials, schema_version,
};
pub use create::create;
pub use error::BackupError;
pub use listing::{Listing, STALE_VERIFIED_MS, listing};
pub use restore::{check_restorable, restore, sqlite_path};
pub use rotate::rotate;
pub use verify::verify;
