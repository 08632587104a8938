//! What `heepr serve` runs beside the web server: [`jobs`] owns every background task
//! (starting, restarting a panicked one, stopping them all at shutdown); the tasks are the
//! retention [`scheduler`] with the deadline refunds, [`email_delivery`] and the
//! [`privacy_worker`], plus small housekeeping loops in [`jobs`]. Apart from them, because it
//! must drain rather than be stopped, the [`deferred_writer`] of the request path's writes.
//!
//! May use everything below it: [`crate::platform`], [`crate::ledger`], [`crate::identity`],
//! [`crate::market`], [`crate::privacy`]. Inside: jobs builds on the other three.

pub mod deferred_writer;
pub mod email_delivery;
pub mod jobs;
pub mod mail_intake;
pub mod privacy_worker;
pub mod scheduler;
