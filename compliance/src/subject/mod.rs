//! Data subjects' rights, driven by the data map: DSR kinds, the request state machine and
//! due dates ([`dsr`]); selecting a subject's rows in any table ([`subject_rows`]); the
//! export archive for the right of access ([`export`]); erasure with pseudonymisation
//! ([`erasure`]); one lock per data subject so export and erasure of one person never run
//! at once ([`lock`]); legal holds that block erasure ([`holds`]); finding a subject's email and
//! name in other people's text and in mail files, normalised the same way on both sides
//! ([`identifiers`]), also under the names and addresses they had before
//! ([`former_identifiers`]).
//!
//! Depends on [`crate::base`], [`crate::policy`] (the data map says what is whose and how it
//! is exported and erased) and [`crate::records`] (erasures and holds are audited, every
//! completed erasure is ledgered).

pub mod dsr;
pub mod erasure;
pub mod export;
pub mod former_identifiers;
pub mod holds;
pub mod identifiers;
pub mod lock;
pub mod subject_rows;
