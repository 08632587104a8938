//! Who people are and how they prove it: member accounts (sign-up, login, password change,
//! profiles) and whether one is usable (`account_status.rs`), sessions, staff of the
//! privacy desk, whether an account's processing is restricted (`restrictions`), agents'
//! API keys, and sign-in with Google, GitHub or Facebook.
//!
//! May use [`crate::platform`] and [`crate::ledger`] (sign-up books the bonus).

pub mod account_status;
pub mod accounts;
pub mod api_keys;
pub mod oauth;
pub mod restrictions;
pub mod sessions;
pub mod staff;
