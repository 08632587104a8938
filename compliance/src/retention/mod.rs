//! Enforcing retention periods: [`sweep`] deletes table rows past their rule's period, rule
//! by rule under a lease, each run recorded; [`sweep_batches`] is how: which rows may go and
//! the bounded delete batches; [`mail_files`] prunes the mail-file store;
//! [`unreferenced_files`] prunes the upload store of files no record names.
//! (Backups, the other file store, are rotated by [`crate::backup::rotate`].) The rules are
//! read and validated by [`crate::policy::retention_rules`].
//!
//! Depends on [`crate::base`], [`crate::policy`] and [`crate::records`] (every sweep is
//! audited).

pub mod mail_files;
pub mod sweep;
pub mod sweep_batches;
pub mod unreferenced_files;

// `retention::Store` and `retention::prune_mail_files` are the paths callers used when the
// rules and the mail-file pruning shared one flat module.
pub use crate::policy::retention_rules::Store;
pub use mail_files::prune_mail_files;
