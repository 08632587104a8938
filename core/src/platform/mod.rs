//! What every part of the service stands on: the database ([`db`]), the resolved
//! configuration ([`settings`]), the one error type ([`error`]), times ([`time`]), random
//! secrets and ids ([`tokens`]), password hashing ([`passwords`]), password-check throttling
//! ([`throttle`], slowing with [`pace`]), sign-up limits ([`signup_throttle`]), Unicode safety of
//! names and shown text ([`unicode`]), the request log's store ([`request_log`]), the queue of
//! writes a request does not wait for ([`deferred_writes`]), who is on the other end of a
//! request ([`client`]), transactional email ([`mail`]), the mailbox privacy requests arrive
//! in ([`intake_mailbox`]), the API's idempotency keys ([`idempotency`]), the key of the
//! hashes kept for fraud prevention ([`fraud_key`]), and the state
//! every handler and job shares ([`state`]).
//!
//! Depends on nothing else in the crate: every other module may use it.

pub mod client;
pub mod db;
pub mod deferred_writes;
pub mod error;
pub mod fraud_key;
pub mod idempotency;
pub mod intake_mailbox;
pub mod mail;
pub mod pace;
pub mod passwords;
pub mod request_log;
pub mod settings;
pub mod signup_throttle;
pub mod state;
pub mod throttle;
pub mod time;
pub mod tokens;
pub mod unicode;
