//! The durable records of what was done to personal data: the hash-chained audit trail
//! ([`audit`]) and the erasure ledger ([`erasure_ledger`], in the database and mirrored to a
//! file outside it so a restore can re-apply erasures) and the withdrawal ledger
//! ([`withdrawal_ledger`]: consents withdrawn and keys revoked, replayed after a restore),
//! both copied next to the backups ([`ledger_copies`]).
//! All hold ids and times, never emails or names, so erasure has nothing to rewrite in them.
//!
//! Depends on no other module of the crate; [`crate::subject`] and [`crate::retention`]
//! write to it.

pub mod audit;
pub mod erasure_ledger;
pub mod ledger_copies;
pub mod withdrawal_ledger;
