//! The privacy toolkit's glue in the service: what `heepr-compliance` decides, applied to
//! heepr's data and people.
//!
//! - [`requests`]: data-subject requests: intake, transitions, emails, subject summary.
//! - [`jobs`]: a request's job claimed and run: [`export_archive`] (right of access) or
//!   [`erase_account`] (right to erasure).
//! - [`consents`]: consents given and withdrawn; [`legal_holds`]: staff placing and
//!   lifting legal holds; [`restrictions`]: staff restricting processing and lifting it;
//!   [`objections`]: objections to processing that take the person out of it;
//!   [`rectification`]: staff correcting an account's fields.
//! - [`analytics`]: the daily aggregate analytics, over consenting members only, with no
//!   figure about fewer than k people.
//! - [`mail_intake`]: requests that arrive by email (the intake mailbox over IMAP).
//! - [`publications`]: snapshots of published policy versions; [`notices`]: change notices.
//! - [`retention`]: legal holds for sweeps, rule descriptions, file-store sweeps, backup
//!   rotation; [`restore`]: re-applying erasures after a backup is restored;
//!   [`unverified_accounts`]: erasing accounts whose address was never confirmed.
//!
//! May use [`crate::platform`], [`crate::ledger`], [`crate::identity`] and [`crate::market`]
//! (an erasure closes the subject's open orders). Inside: jobs build on export_archive and
//! erase_account, which build on requests; notices build on publications.

pub mod analytics;
pub mod consents;
pub mod erase_account;
pub mod export_archive;
pub mod jobs;
pub mod legal_holds;
pub mod mail_intake;
pub mod notices;
pub mod objections;
pub mod publications;
pub mod rectification;
pub mod requests;
pub mod restore;
pub mod restrictions;
pub mod retention;
pub mod unverified_accounts;
