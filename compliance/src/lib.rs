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
//! - [`policies`]: loads and cross-validates both at start-up.
//! - [`schema`]: reads the migrated schema back and checks the data map covers it exactly.
//! - [`dsr`]: data-subject request kinds, the request state machine, due dates.
//! - [`subject_rows`]: selecting a subject's rows in any table through the data map's links.
//! - [`export`]: the export archive (`.tar.gz`), driven by the data map.
//! - [`erasure`]: erasure with pseudonymisation, driven by the data map; preview and run.
//! - [`holds`]: legal holds that block erasure.
//! - [`erasure_ledger`]: completed erasures, in the database and an append-only file.
//! - [`audit`]: the append-only, hash-chained audit trail and its verification.
//! - [`hashing_io`]: byte-counting, SHA-256-computing readers and writers.

pub mod audit;
pub mod clock;
pub mod data_map;
pub mod db;
pub mod dsr;
pub mod erasure;
pub mod erasure_ledger;
pub mod export;
pub mod hashing_io;
pub mod holds;
pub mod policies;
pub mod retention;
pub mod schema;
pub mod subject_rows;

pub use clock::{Clock, ManualClock, SystemClock};
pub use db::{Backend, Db};
pub use policies::{Policies, PolicyError};
