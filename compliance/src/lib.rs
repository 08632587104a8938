//! heepr's privacy toolkit: the library that keeps the privacy policy's promises.
//!
//! It is driven by the policy files in `policies/` (the data map and the retention rules),
//! never by the marketplace's own types, so a table added to the schema is classified,
//! exported and erased by editing policy, not code. `heepr-core` depends on this crate; this
//! crate depends on no HTTP stack.
//!
//! # Layout
//! - [`clock`]: the injectable "now" every time-based rule reads (Unix ms, UTC).
//! - [`db`]: the portable database handle ([`db::Db`]) over sqlx's `Any` driver, shared with
//!   core: SQLite (embedded default) or PostgreSQL.
//! - [`data_map`]: `policies/data_map.toml`, every table and column classified.
//! - [`retention`]: `policies/retention.toml`, the retention rules.
//! - [`published`]: `policies/privacy_policy.toml`, the published privacy policy rendered
//!   from the other files' facts; [`cookies`], [`subprocessors`], [`consent_purposes`]: the
//!   cookie list, sub-processors and hosting, what members can consent to.
//! - [`policies`]: loads and cross-validates them all at start-up.
//! - [`ropa`]: the record of processing (GDPR Art. 30) generated from the policies.
//! - [`schema`]: reads the migrated schema back and checks the data map covers it exactly.
//! - [`backup`]: backups with a catalog, verification, restore and 30-day rotation.
//! - [`sweep`], [`lease`]: retention sweeps in bounded batches under a database lease.
//! - [`dsr`]: data-subject request kinds, the request state machine, due dates.
//! - [`subject_rows`]: selecting a subject's rows in any table through the data map's links.
//! - [`export`]: the export archive (`.tar.gz`), driven by the data map.
//! - [`erasure`]: erasure with pseudonymisation, driven by the data map; preview and run.
//! - [`holds`]: legal holds that block erasure.
//! - [`erasure_ledger`]: completed erasures, in the database and an append-only file.
//! - [`audit`]: the append-only, hash-chained audit trail and its verification.
//! - [`hashing_io`]: byte-counting, SHA-256-computing readers and writers.

pub mod audit;
pub mod backup;
pub mod clock;
pub mod consent_purposes;
pub mod cookies;
pub mod data_map;
pub mod db;
pub mod dsr;
pub mod erasure;
pub mod erasure_ledger;
pub mod export;
pub mod hashing_io;
pub mod holds;
pub mod identifiers;
pub mod lease;
pub mod policies;
pub mod published;
pub mod retention;
pub mod ropa;
pub mod schema;
pub mod subject_rows;
pub mod subprocessors;
pub mod sweep;

pub use clock::{Clock, ManualClock, SystemClock};
pub use db::{Backend, Db};
pub use policies::{Policies, PolicyError};
