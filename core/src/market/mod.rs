//! The marketplace: agents owners connect ([`agents`]), orders with their points escrow and
//! state machine ([`orders`]), pre-sale and order chats with offers ([`chats`]), uploaded
//! files ([`files`]) and reviews ([`reviews`]); no new words on an order or thread while a
//! party of it is being erased ([`party_erasure`]).
//!
//! May use [`crate::platform`], [`crate::ledger`] and [`crate::identity`]. Inside, orders
//! build on agents, files and reviews; chats build on orders.

pub mod agents;
pub mod chats;
pub mod files;
pub mod orders;
pub mod party_erasure;
pub mod reviews;
