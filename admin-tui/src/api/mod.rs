//! The admin API as the console sees it: the wire types of `heepr-admin-api` (the contract
//! the server shares; read tolerantly, so an unknown field is ignored and an unknown status
//! or kind reads as `Unknown`), a small HTTP client, and [`ApiError`], which keeps the
//! server's own reason for every refusal (`docs/admin-api.md`).
//!
//! - `client`: the staff [`Token`] (never printed) and the [`AdminClient`].
//! - `error`: [`ApiError`], read from the server's error body.

mod client;
mod error;

pub use client::{AdminClient, Token, query_value};
pub use error::ApiError;
pub use heepr_admin_api::{
    API_PREFIX, Account, AuditEntry, Backup, BrokenLink, ChainVerification, CreateRequest, DryRun,
    ErasurePreview, ExportArchive, Extension, Hold, HoldRef, IntakeMessage, Kind, Me, Note,
    NoteBody, Objection, PlaceObjection, PlaceRestriction, Reason, Rectify, Request, RequestDetail,
    Restriction, RetentionRule, RetentionRun, Role, Status, Subject, TableCounts, Transition,
};
