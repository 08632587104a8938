//! The policy files of `policies/` as types, each parsed and validated on its own, then
//! loaded together and checked against each other at start-up ([`loader::Policies::load`]).
//!
//! - [`error`]: [`error::PolicyError`] (file, key, reason) and the checks all parsers share.
//! - [`data_map`]: `data_map.toml`, every table and column classified.
//! - [`retention_rules`]: `retention.toml`, each rule's period and sweep schedule.
//! - [`privacy_policy`]: `privacy_policy.toml`, the published versions and their rendering;
//!   [`facts`]: what its placeholders are filled with, drawn from the other files.
//! - [`cookies`], [`subprocessors`], [`consent_purposes`]: `cookies.toml`,
//!   `subprocessors.toml`, `consents.toml`.
//! - [`loader`]: [`loader::Policies`], all of the above loaded and cross-checked.
//! - [`ropa`]: the record of processing (GDPR Art. 30) generated from the loaded policies.
//! - [`schema_check`]: the migrated schema read back and compared with the data map.
//!
//! Depends on [`crate::base`] only. Inside, [`error`] is at the bottom, the file parsers
//! above it, [`loader`] above them all and [`ropa`] above the loader.

pub mod consent_purposes;
pub mod cookies;
pub mod data_map;
pub mod error;
pub mod facts;
pub mod loader;
pub mod privacy_policy;
pub mod retention_rules;
pub mod ropa;
pub mod schema_check;
pub mod subprocessors;
