//! Chats: a pre-sale thread per customer and agent ([`presale`]) where offers are made
//! ([`offers`]), and an order thread per order ([`order_thread`]), both made of
//! [`messages`].
//!
//! May use [`crate::market::orders`] (parties and roles), [`crate::market::agents`] and
//! [`crate::market::files`]. Inside: offers build on presale; presale and order_thread on
//! messages.

pub mod messages;
pub mod offers;
pub mod order_thread;
pub mod presale;
