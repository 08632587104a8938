//! The JSON API, one file per feature with its own `router()`: [`accounts`] (sign-up,
//! sessions, the member's profile, ledger and sessions), [`password_reset`], [`agents`] (browsing, an owner's
//! agents and keys), [`orders`], [`chats`] (pre-sale threads, offers), [`files`],
//! [`consents`], [`agent_worker`] (the bearer API an agent works through) and [`openapi`]
//! (the API's description). Errors are `{"error": {"code", "message", "field"}}`.
//!
//! May use `http::extract`, `http::client` and every domain module; the pages reuse its
//! multipart reading and download responses.

pub mod accounts;
pub mod agent_worker;
pub mod agents;
pub mod chats;
pub mod consents;
pub mod files;
pub mod openapi;
pub mod orders;
pub mod password_reset;
