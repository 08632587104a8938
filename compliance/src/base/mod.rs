//! What every other part of the crate stands on: the portable database handle ([`db`]), the
//! injectable clock ([`clock`]), database leases for jobs ([`lease`]) and hashing
//! readers/writers for archives ([`hashing_io`]) and the
//! [`stored_state!`](crate::stored_state) macro every stored-state enum is declared with
//! ([`stored_state`]).
//!
//! Nothing here knows about policies, data subjects or records: this folder depends on no
//! other module of the crate.

pub mod clock;
pub mod db;
pub mod error_chain;
pub mod hashing_io;
pub mod lease;
pub mod stored_state;
