//! heepr-admin-api: the wire contract of the admin API (`/admin/api/v1`, documented in
//! `docs/admin-api.md`). Every request and response body the privacy desk exchanges with
//! the server is declared here once, so the server (`heepr-core`) and the console
//! (`heepr-admin`) cannot disagree on a field, a unit or a state name.
//!
//! Times on the wire are RFC 3339 UTC strings (`2026-07-01T00:00:00.000Z`) unless the field
//! name ends in `_ms` or its doc says "Unix ms"; sizes are bytes; periods are in the unit the
//! field names (days, months).
//!
//! # Reading and writing
//! - Answers (what the server sends) read tolerantly: every field has a default, unknown
//!   fields are ignored and an unknown status, kind or role reads as `Unknown`, so a console
//!   keeps working against a slightly older or newer server.
//! - Request bodies (what the server reads) are strict: unknown fields are refused, as the
//!   server refuses them.
//! - [`contract::strict`] checks a JSON value against a type exactly (nothing unknown,
//!   nothing missing, no unknown state). The tests use it to prove that the running server,
//!   these types and `docs/admin-api.md` say the same thing.
//!
//! # Layout
//! - [`routes`]: every route: method, path, role, body, status and answer.
//! - [`staff`]: who is signed in (`GET /me`) and staff roles.
//! - [`dsr`]: data-subject requests: states, kinds, lists, detail, notes, and the bodies
//!   that create, move and extend them.
//! - [`accounts`]: the subject summary, legal holds, the child flag, rectification and
//!   restriction of processing, objections.
//! - [`analytics`]: the aggregate product-improvement analytics.
//! - [`views`]: answers that combine the above: a request's detail, a subject's account.
//! - [`erasure`]: the erasure preview.
//! - [`intake`]: messages of the intake mailbox, and classifying one.
//! - [`audit`]: the hash-chained audit trail and its verification.
//! - [`retention`]: retention rules, their last runs and dry runs.
//! - [`backups`]: the backup catalog.
//! - [`error`]: the error body, its codes and the details some codes carry.
//! - [`contract`]: the strict check, and every wire type by name.

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod backups;
pub mod contract;
pub mod dsr;
pub mod erasure;
pub mod error;
pub mod intake;
pub mod retention;
pub mod routes;
pub mod staff;
pub mod views;

pub use accounts::{
    AccountsQuery, ChildFlag, Hold, HoldLifted, HoldList, HoldRef, Objection, PlaceObjection,
    PlaceRestriction, Reason, Rectified, Rectify, Restriction, Subject,
};
pub use analytics::{AnalyticsDay, AnalyticsFigure, AnalyticsQuery, AnalyticsReport};
pub use audit::{AuditEntry, AuditList, AuditQuery, BrokenLink, ChainVerification};
pub use backups::{Backup, BackupList};
pub use dsr::{
    CreateRequest, Extension, Kind, Note, NoteBody, Request, RequestList, RequestsQuery, Status,
    Transition, VerifiedBy,
};
pub use erasure::{ErasurePreview, TableCounts};
pub use error::{ErrorBody, ErrorEnvelope, HoldRefusal, TransitionRefusal};
pub use intake::{Classify, IntakeList, IntakeMessage, IntakeOutcome, IntakeQuery};
pub use retention::{
    DryRun, RetentionRule, RetentionRun, RuleList, Store, StoreSweep, SweepReport, TableSweep,
};
pub use staff::{Me, Role};
pub use views::{Account, ExportArchive, RequestDetail};

/// Base path of every admin route; [`routes::ROUTES`] paths follow it.
pub const API_PREFIX: &str = "/admin/api/v1";
