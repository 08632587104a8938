//! Domain values as the admin API's wire types (`heepr-admin-api`, shared with the console):
//! the handlers answer only with these, so the JSON the server sends and the JSON the
//! console reads are the same Rust types and cannot drift apart.
//!
//! Every conversion is a plain field-for-field copy; state enums are mapped with exhaustive
//! matches, so a new domain state does not compile until the wire contract names it.

use std::collections::BTreeMap;

use heepr_admin_api as api;
use heepr_compliance::audit::{AuditRecord, Verification};
use heepr_compliance::backup::BackupEntry;
use heepr_compliance::dsr::{RequestKind, RequestStatus, VerifiedBy};
use heepr_compliance::erasure::TableCounts;
use heepr_compliance::holds::Hold;
use heepr_compliance::retention::Store;
use heepr_compliance::sweep::RuleRun;
use serde_json::Value;

use crate::identity::restrictions::Restriction;
use crate::identity::staff::{StaffMember, StaffRole, mask_email, mask_emails_in};
use crate::platform::time::rfc3339;
use crate::privacy::analytics;
use crate::privacy::export_archive::ArchiveRecord;
use crate::privacy::mail_intake::IntakeOutcome;
use crate::privacy::mail_intake::staff_review::IntakeRow;
use crate::privacy::objections::Objection;
use crate::privacy::requests::Dsr;
use crate::privacy::requests::notes::Note;
use crate::privacy::requests::summary::SubjectSummary;
use crate::privacy::retention::{LastRun, RuleDescription, StoreSweepReport};
use heepr_compliance::consent_purposes::AnalyticsRule;

/// A request's state on the wire.
pub fn status(s: RequestStatus) -> api::Status {
    match s {
        RequestStatus::Received => api::Status::Received,
        RequestStatus::AwaitingVerification => api::Status::AwaitingVerification,
        RequestStatus::InProgress => api::Status::InProgress,
        RequestStatus::OnHold => api::Status::OnHold,
        RequestStatus::Completed => api::Status::Completed,
        RequestStatus::Rejected => api::Status::Rejected,
        RequestStatus::Failed => api::Status::Failed,
    }
}

/// A request's kind on the wire.
pub fn kind(k: RequestKind) -> api::Kind {
    match k {
        RequestKind::Access => api::Kind::Access,
        RequestKind::Rectification => api::Kind::Rectification,
        RequestKind::Erasure => api::Kind::Erasure,
        RequestKind::Restriction => api::Kind::Restriction,
        RequestKind::Objection => api::Kind::Objection,
        RequestKind::ConsentWithdrawal => api::Kind::ConsentWithdrawal,
    }
}

/// How a request was verified, on the wire.
pub fn verified_by(v: VerifiedBy) -> api::VerifiedBy {
    match v {
        VerifiedBy::SignedIn => api::VerifiedBy::SignedIn,
        VerifiedBy::EmailLink => api::VerifiedBy::EmailLink,
        VerifiedBy::Staff => api::VerifiedBy::Staff,
        VerifiedBy::Controller => api::VerifiedBy::Controller,
        VerifiedBy::Operator => api::VerifiedBy::Operator,
    }
}

/// [`request`] for a caller who sees emails masked (support): addresses the subject wrote
/// into the request's free text are masked too.
pub fn request_masked(mut d: Dsr, masks: bool) -> api::Request {
    if masks {
        d.details = d.details.as_deref().map(mask_emails_in);
        d.status_reason = d.status_reason.as_deref().map(mask_emails_in);
        d.extension_reason = d.extension_reason.as_deref().map(mask_emails_in);
        d.verification_note = d.verification_note.as_deref().map(mask_emails_in);
    }
    request(d)
}

/// A stored data-subject request on the wire.
pub fn request(d: Dsr) -> api::Request {
    api::Request {
        id: d.id,
        account_id: d.account_id,
        kind: kind(d.kind),
        status: status(d.status),
        channel: d.channel,
        details: d.details,
        status_reason: d.status_reason,
        received_at: d.received_at,
        due_at: d.due_at,
        due_at_ms: d.due_at_ms,
        extended_months: d.extended_months,
        extension_reason: d.extension_reason,
        verified_at: d.verified_at,
        verified_by: d.verified_by.map(verified_by),
        verification_note: d.verification_note,
        duplicate_of: d.duplicate_of,
        created_by: d.created_by,
        completed_at: d.completed_at,
        job_requested: d.job_requested,
        overdue: d.overdue,
        allowed_transitions: d.allowed_transitions.into_iter().map(status).collect(),
    }
}

/// Requests on the wire, in their order.
pub fn requests(list: Vec<Dsr>, masks: bool) -> Vec<api::Request> {
    list.into_iter().map(|d| request_masked(d, masks)).collect()
}

/// The subject summary on the wire.
pub fn subject(s: SubjectSummary) -> api::Subject {
    api::Subject {
        account_id: s.account_id,
        email: s.email,
        display_name: s.display_name,
        status: s.status,
        erased: s.erased,
        on_hold: s.on_hold,
        rows_by_category: s.rows_by_category,
        rows_by_table: s.rows_by_table,
    }
}

/// A legal hold on the wire.
pub fn hold(h: Hold) -> api::Hold {
    api::Hold {
        id: h.id,
        account_id: h.account_id,
        reason: h.reason,
        placed_by: h.placed_by,
        placed_at: h.placed_at,
        lifted_by: h.lifted_by,
        lifted_at: h.lifted_at,
        lift_reason: h.lift_reason,
    }
}

/// Holds on the wire, in their order.
pub fn holds(list: Vec<Hold>) -> Vec<api::Hold> {
    list.into_iter().map(hold).collect()
}

/// Holds named where they get in the way (a preview, a `legal_hold` refusal).
pub fn hold_refs(list: &[Hold]) -> Vec<api::HoldRef> {
    list.iter()
        .map(|h| api::HoldRef {
            id: h.id.clone(),
            reason: h.reason.clone(),
        })
        .collect()
}

/// An audit entry on the wire. The stored details are JSON object text; text that is not
/// JSON (never written by heepr) is served as a string, as before.
pub fn audit_entry(r: AuditRecord) -> api::AuditEntry {
    let details = serde_json::from_str(&r.details).unwrap_or(Value::String(r.details));
    api::AuditEntry {
        seq: r.seq,
        occurred_at: r.occurred_at,
        actor: r.actor,
        action: r.action,
        subject_account_id: r.subject_account_id,
        request_id: r.request_id,
        outcome: r.outcome,
        details,
        prev_hash: r.prev_hash,
        hash: r.hash,
    }
}

/// Audit entries on the wire, in their order.
pub fn audit_entries(list: Vec<AuditRecord>) -> Vec<api::AuditEntry> {
    list.into_iter().map(audit_entry).collect()
}

/// The audit chain's verification on the wire.
pub fn verification(v: Verification) -> api::ChainVerification {
    api::ChainVerification {
        entries: v.entries,
        first_broken: v.first_broken.map(|b| api::BrokenLink {
            seq: b.seq,
            reason: b.reason,
        }),
    }
}

/// The erasure preview's per-table counts on the wire.
pub fn table_counts(tables: BTreeMap<String, TableCounts>) -> BTreeMap<String, api::TableCounts> {
    tables
        .into_iter()
        .map(|(name, t)| {
            let counts = api::TableCounts {
                erasure: t.erasure.to_owned(),
                rows: t.rows,
                deleted: t.deleted,
                nulled: t.nulled,
                pseudonymised: t.pseudonymised,
                redacted: t.redacted,
                kept: t.kept,
            };
            (name, counts)
        })
        .collect()
}

/// An export archive's record on the wire.
pub fn export_archive(a: ArchiveRecord) -> api::ExportArchive {
    api::ExportArchive {
        size_bytes: a.size_bytes,
        sha256: a.sha256,
        expires_at: rfc3339(a.expires_at_ms),
        deleted: a.deleted_at_ms.is_some(),
    }
}

/// The signed-in staff member on the wire.
pub fn me(m: StaffMember) -> api::Me {
    let role = match m.role {
        StaffRole::PrivacyOfficer => api::Role::PrivacyOfficer,
        StaffRole::Support => api::Role::Support,
    };
    api::Me {
        id: m.id,
        email: m.email,
        role,
    }
}

/// A file store on the wire.
pub fn store(s: Store) -> api::Store {
    match s {
        Store::Backups => api::Store::Backups,
        Store::MailFiles => api::Store::MailFiles,
        Store::UnrecordedFiles => api::Store::UnrecordedFiles,
    }
}

/// A retention rule with its last run on the wire.
pub fn retention_rule(r: RuleDescription, last: Option<LastRun>) -> api::RetentionRule {
    api::RetentionRule {
        rule: r.rule,
        period: r.period,
        schedule: r.schedule,
        next_run: r.next_run,
        tables: r.tables,
        store: r.store.map(store),
        description: r.description,
        last_run: last.map(|l| api::RetentionRun {
            started_at: rfc3339(l.started_at_ms),
            finished_at: l.finished_at_ms.map(rfc3339),
            outcome: l.outcome,
            rows_examined: l.rows_examined,
            rows_affected: l.rows_affected,
            dry_run: l.dry_run,
        }),
    }
}

/// A sweep of a rule over tables on the wire.
pub fn sweep_report(run: RuleRun) -> api::SweepReport {
    api::SweepReport {
        rows_examined: run.rows_examined(),
        rows_affected: run.rows_affected(),
        rule: run.rule,
        run_id: run.run_id,
        dry_run: run.dry_run,
        cutoff: rfc3339(run.cutoff_ms),
        outcome: run.outcome.as_str().to_owned(),
        error: run.error,
        tables: run
            .tables
            .into_iter()
            .map(|t| api::TableSweep {
                table: t.table,
                rows_examined: t.rows_examined,
                rows_affected: t.rows_affected,
                longest_batch_ms: t.longest_batch_ms,
            })
            .collect(),
    }
}

/// A sweep of a rule over a file store on the wire.
pub fn store_sweep(r: StoreSweepReport) -> api::StoreSweep {
    api::StoreSweep {
        rule: r.rule,
        store: store(r.store),
        dry_run: r.dry_run,
        cutoff: rfc3339(r.cutoff_ms),
        outcome: r.outcome.as_str().to_owned(),
        rows_affected: r.rows_affected,
        rows_examined: r.rows_examined,
    }
}

/// A catalogued backup on the wire; `file_present` says whether its file is still there.
pub fn backup(b: BackupEntry, file_present: bool) -> api::Backup {
    api::Backup {
        id: b.id,
        created_at_ms: b.created_at_ms,
        file: b.file,
        size_bytes: b.size_bytes,
        sha256: b.sha256,
        schema_version: b.schema_version,
        backend: b.backend,
        verified_at_ms: b.verified_at_ms,
        file_present,
    }
}

/// A restriction of processing on the wire.
pub fn restriction(r: Restriction) -> api::Restriction {
    api::Restriction {
        id: r.id,
        account_id: r.account_id,
        reason: r.reason,
        request_id: r.request_id,
        placed_by: r.placed_by,
        placed_at: r.placed_at,
        lifted_by: r.lifted_by,
        lifted_at: r.lifted_at,
        lift_reason: r.lift_reason,
    }
}

/// An objection to processing on the wire.
pub fn objection(o: Objection) -> api::Objection {
    api::Objection {
        id: o.id,
        account_id: o.account_id,
        processing: o.processing.as_str().to_owned(),
        reason: o.reason,
        request_id: o.request_id,
        placed_by: o.placed_by,
        placed_at: o.placed_at,
        withdrawn_by: o.withdrawn_by,
        withdrawn_at: o.withdrawn_at,
        withdraw_reason: o.withdraw_reason,
    }
}

/// The analytics days on the wire, with the rule they were computed under.
pub fn analytics(
    rule: Option<&AnalyticsRule>,
    days: Vec<analytics::report::Day>,
) -> api::AnalyticsReport {
    api::AnalyticsReport {
        min_group_size: rule.map_or(0, |r| r.min_group_size),
        purpose: rule.map(|r| r.purpose.clone()).unwrap_or_default(),
        days: days
            .into_iter()
            .map(|d| api::AnalyticsDay {
                day: rfc3339(d.day_start).chars().take(10).collect(),
                computed_at: rfc3339(d.computed_at),
                members_included: d.members_included,
                figures_suppressed: d.figures_suppressed,
                figures: d
                    .figures
                    .into_iter()
                    .map(|f| api::AnalyticsFigure {
                        category: f.category,
                        metric: f.metric.as_str().to_owned(),
                        value: f.value,
                        customers: f.customers,
                        owners: f.owners,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Restrictions on the wire, in their order.
pub fn restrictions(list: Vec<Restriction>) -> Vec<api::Restriction> {
    list.into_iter().map(restriction).collect()
}

/// A note on a request on the wire; `masks` hides the emails in it (support).
pub fn note(n: Note, masks: bool) -> api::Note {
    api::Note {
        id: n.id,
        request_id: n.request_id,
        author: n.author,
        text: if masks {
            mask_emails_in(&n.body)
        } else {
            n.body
        },
        created_at: n.created_at,
    }
}

/// Notes on the wire, in their order.
pub fn notes(list: Vec<Note>, masks: bool) -> Vec<api::Note> {
    list.into_iter().map(|n| note(n, masks)).collect()
}

/// What intake did with a message, on the wire.
pub fn intake_outcome(o: IntakeOutcome) -> api::IntakeOutcome {
    match o {
        IntakeOutcome::RequestCreated => api::IntakeOutcome::RequestCreated,
        IntakeOutcome::RejectedUnknownSender => api::IntakeOutcome::RejectedUnknownSender,
        IntakeOutcome::NeedsClassification => api::IntakeOutcome::NeedsClassification,
        IntakeOutcome::Unreadable => api::IntakeOutcome::Unreadable,
        IntakeOutcome::AlreadyRecorded => api::IntakeOutcome::AlreadyRecorded,
        IntakeOutcome::DuplicateMessage => api::IntakeOutcome::DuplicateMessage,
        IntakeOutcome::IgnoredAutomatic => api::IntakeOutcome::IgnoredAutomatic,
    }
}

/// A message of the intake mailbox on the wire; `masks` hides the sender's address and
/// the addresses in the message (support), as for a request's free text.
pub fn intake_message(r: IntakeRow, masks: bool) -> api::IntakeMessage {
    let outcome = r
        .outcome
        .parse::<IntakeOutcome>()
        .map_or(api::IntakeOutcome::Unknown, intake_outcome);
    let kind = r
        .kind
        .as_deref()
        .and_then(|k| k.parse::<RequestKind>().ok())
        .map(kind);
    let (from_address, subject, raw_message) = if masks {
        (
            mask_email(&r.from_address),
            r.subject.as_deref().map(mask_emails_in),
            mask_emails_in(&r.raw_message),
        )
    } else {
        (r.from_address, r.subject, r.raw_message)
    };
    api::IntakeMessage {
        id: r.id,
        from_address,
        subject,
        arrived_at: rfc3339(r.arrived_at),
        outcome,
        kind,
        account_id: r.account_id,
        request_id: r.request_id,
        raw_message,
    }
}
