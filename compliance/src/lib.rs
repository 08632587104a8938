//! heepr's privacy toolkit: the library that keeps the privacy policy's promises.
//!
//! It is driven by the policy files in `policies/` (the data map and the retention rules),
//! never by the marketplace's own types, so a table added to the schema is classified,
//! exported and erased by editing policy, not code. `heepr-core` depends on this crate; this
//! crate depends on no HTTP stack.
//!
//! # Layout
//! Folders by context; each `mod.rs` says what lives there and what it may depend on.
//! Dependencies point one way: [`base`] at the bottom; [`records`] and [`policy`] on it;
//! [`subject`] and [`retention`] on those three; [`backup`] on [`base`] only.
//! - [`base`]: `db.rs` (the portable database handle [`Db`], SQLite or PostgreSQL over
//!   sqlx's `Any`), `clock.rs` (the injectable [`Clock`]), `lease.rs` (database leases),
//!   `hashing_io.rs` (byte-counting, SHA-256-computing readers and writers),
//!   `error_chain.rs` (an error and its causes in one line: no `Display` repeats its source).
//! - [`records`]: `audit.rs` (the append-only, hash-chained audit trail),
//!   `erasure_ledger.rs` (completed erasures, in the database and an append-only file) and
//!   `withdrawal_ledger.rs` (consents withdrawn and API keys revoked, in an append-only file
//!   a restore replays).
//! - [`policy`]: the files of `policies/`: `data_map.rs`, `retention_rules.rs`,
//!   `privacy_policy.rs` (the published policy) with `facts.rs` (the figures it is rendered
//!   from), `cookies.rs`, `subprocessors.rs`, `consent_purposes.rs`; `error.rs`
//!   ([`PolicyError`]); `loader.rs` ([`Policies`]: loads and cross-validates them all at
//!   start-up); `ropa.rs` (the record of processing, GDPR Art. 30); `schema_check.rs` (the
//!   migrated schema read back and compared with the data map).
//! - [`subject`]: data subjects' rights: `dsr.rs` (request kinds, the state machine, due
//!   dates), `subject_rows.rs` (a subject's rows in any table), `holds.rs` (legal holds),
//!   `export/` (the `.tar.gz` archive: `archive.rs` builds it, `sections.rs` writes the
//!   rows, `readme.rs`, `entry_names.rs`), `erasure/` (erasure with pseudonymisation:
//!   `erase_account.rs` runs it start to finish, `batches.rs` the batched passes over each
//!   table, `preview.rs` the counts shown before approval, `pseudonym.rs`, `files.rs`),
//!   `identifiers/` (a subject's email and name found in others' text and in mail files:
//!   NFKD, case folding, accents dropped, word boundaries; MIME decoded).
//! - [`retention`]: `sweep.rs` (one sweep run per rule under a lease, recorded and
//!   audited), `sweep_batches.rs` (which rows may go and the bounded delete batches),
//!   `mail_files.rs` (pruning the mail-file store).
//! - [`backup`]: `create.rs`, `verify.rs` (checksum and test restore), `restore.rs`,
//!   `rotate.rs` (the 30-day rotation), `catalog.rs` (the catalog and integrity check).
//!
//! The flat paths callers used before the folders (`heepr_compliance::erasure`,
//! `heepr_compliance::published`, ...) are kept as re-exports below, so `heepr-core` did not
//! change with this layout; new code may use either.

pub mod backup;
pub mod base;
pub mod policy;
pub mod records;
pub mod retention;
pub mod subject;

pub use base::clock::{Clock, ManualClock, SystemClock};
pub use base::db::{Backend, Db};
pub use policy::error::PolicyError;
pub use policy::loader::Policies;

// The flat paths of the first layout, one per former file.
pub use base::{clock, db, hashing_io, lease};
pub use policy::loader as policies;
pub use policy::privacy_policy as published;
pub use policy::schema_check as schema;
pub use policy::{consent_purposes, cookies, data_map, ropa, subprocessors};
pub use records::{audit, erasure_ledger, ledger_copies, withdrawal_ledger};
pub use retention::sweep;
pub use subject::{dsr, erasure, export, former_identifiers, holds, identifiers, subject_rows};
