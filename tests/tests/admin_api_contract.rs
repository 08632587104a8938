//! The running server answers exactly what `heepr-admin-api` declares: every route of
//! `ROUTES` is called on a real server with its request body built from the shared type,
//! answers with the status `ROUTES` gives, and its answer reads strictly as the shared type
//! (`contract::strict`: no field unknown to the type, none missing, no unknown state). The
//! error bodies of the codes a client acts on are read just as strictly. So the server and
//! the console's types cannot drift apart, even before the server's handlers use the crate.

mod privacy_support;

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail, ensure};
use heepr_admin_api::contract::strict;
use heepr_admin_api::error::{self, ErrorCode};
use heepr_admin_api::routes::{ROUTES, Route};
use heepr_admin_api::{
    API_PREFIX, Account, AnalyticsReport, AuditList, Backup, BackupList, ChainVerification,
    ChildFlag, Classify, CreateRequest, DryRun, ErasurePreview, ErrorBody, ErrorEnvelope,
    Extension, Hold, HoldLifted, HoldList, HoldRefusal, IntakeList, IntakeOutcome, Kind, Me, Note,
    NoteBody, Objection, PlaceObjection, PlaceRestriction, Reason, Rectified, Rectify, Request,
    RequestDetail, RequestList, Restriction, Role, RuleList, Status, Transition, TransitionRefusal,
    VerifiedBy,
};
use heepr_compliance::dsr::RequestStatus;
use heepr_core::identity::staff::StaffRole;
use heepr_core::platform::time::rfc3339;
use heepr_core::privacy::mail_intake::{Fetched, record_message};
use heepr_tests::{Backend, TestApp, backend_test};
use privacy_support::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Calls the admin API of one server as one staff member, and remembers which routes
/// answered with success.
struct Api<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    token: String,
    called: BTreeSet<String>,
}

fn route(name: &str) -> Result<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.name() == name)
        .with_context(|| format!("{name} is not in ROUTES"))
}

/// `path` with each `{...}` placeholder replaced by the next of `args`.
fn fill(path: &str, args: &[&str]) -> Result<String> {
    let mut out = String::new();
    let mut args = args.iter();
    for segment in path.split('/').skip(1) {
        out.push('/');
        if segment.starts_with('{') {
            out.push_str(args.next().context("too few path arguments")?);
        } else {
            out.push_str(segment);
        }
    }
    ensure!(args.next().is_none(), "too many path arguments for {path}");
    Ok(out)
}

fn named<T>(name: &str) -> bool {
    std::any::type_name::<T>().ends_with(&format!("::{name}"))
}

impl<'a> Api<'a> {
    fn new(app: &'a TestApp, token: &str) -> Result<Api<'a>> {
        Ok(Api {
            app,
            http: app.client()?,
            token: token.to_string(),
            called: BTreeSet::new(),
        })
    }

    async fn send(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value)> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.http.request(method, self.app.url(path));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let response = req.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let value = serde_json::from_str(&text).with_context(|| format!("not JSON: {text}"))?;
        Ok((status, value))
    }

    /// Calls route `name` with `args` and `query`; expects its success status and reads the
    /// answer strictly as `T`, which must be the answer type `ROUTES` names.
    async fn call<T: DeserializeOwned + Serialize>(
        &mut self,
        name: &str,
        args: &[&str],
        query: &str,
        body: Option<(&str, Value)>,
    ) -> Result<T> {
        let route = route(name)?;
        ensure!(named::<T>(route.answer), "{name} answers {}", route.answer);
        ensure!(
            route.body == body.as_ref().map(|(b, _)| *b),
            "{name} reads {:?}",
            route.body
        );
        let path = format!("{API_PREFIX}{}{query}", fill(route.path, args)?);
        let body = body.map(|(_, v)| v);
        let (status, value) = self
            .send(
                Some(&self.token),
                route.method.as_str(),
                &path,
                body.as_ref(),
            )
            .await?;
        ensure!(status == route.status, "{name}: {status} {value}");
        let read = strict::<T>(&value).map_err(|e| anyhow::anyhow!("{name}: {e}\n{value:#}"))?;
        self.called.insert(name.to_string());
        Ok(read)
    }

    async fn get<T: DeserializeOwned + Serialize>(
        &mut self,
        name: &str,
        args: &[&str],
        query: &str,
    ) -> Result<T> {
        self.call(&format!("GET {name}"), args, query, None).await
    }

    async fn post<B: Serialize, T: DeserializeOwned + Serialize>(
        &mut self,
        name: &str,
        args: &[&str],
        body: Option<&B>,
    ) -> Result<T> {
        let body = match body {
            Some(b) => {
                let type_name = std::any::type_name::<B>().rsplit("::").next();
                Some((type_name.unwrap_or_default(), serde_json::to_value(b)?))
            }
            None => None,
        };
        self.call(&format!("POST {name}"), args, "", body).await
    }

    /// Sends `method path` (full path) as `token`; expects the error `code` and reads the
    /// body strictly as an [`ErrorEnvelope`].
    async fn refused(
        &self,
        token: Option<&str>,
        call: (&str, &str),
        body: Option<Value>,
        code: ErrorCode,
    ) -> Result<ErrorBody> {
        let (method, path) = call;
        let (status, value) = self.send(token, method, path, body.as_ref()).await?;
        let envelope = strict::<ErrorEnvelope>(&value)
            .map_err(|e| anyhow::anyhow!("{method} {path}: {e}\n{value:#}"))?;
        ensure!(
            (status, envelope.error.code.as_str()) == (code.status, code.code),
            "{method} {path}: expected {code:?}, got {status} {value}"
        );
        Ok(envelope.error)
    }
}

const NO_BODY: Option<&()> = None;

/// How staff checked a subject's identity, in the tests.
const CHECKED: &str = "replied from the account's address to our question";

/// The body that starts a request (moves it to `in_progress`), saying how the subject's
/// identity was checked (needed when they have not confirmed it).
fn start() -> Transition {
    Transition {
        to: Status::InProgress.as_str().into(),
        reason: Some(CHECKED.into()),
    }
}

fn id_of(account: &Value) -> Result<String> {
    Ok(account["id"].as_str().context("account id")?.to_string())
}

/// An access request: listed, shown, started (the export runs), refused a move out of
/// `completed`, and asked for its export again.
async fn access_request(api: &mut Api<'_>, alice: &str) -> Result<()> {
    let create = CreateRequest {
        email: "alice.contract@example.com".into(),
        kind: Kind::Access.as_str().into(),
        details: Some("Everything, please.".into()),
        received_at: None,
    };
    let created: Request = api.post("/requests", &[], Some(&create)).await?;
    assert_eq!(created.status, Status::AwaitingVerification);
    let rid = created.id.as_str();
    let list: RequestList = api.get("/requests", &[], "").await?;
    assert_eq!(list.requests.len(), 1);
    let query = format!(
        "?status=awaiting_verification&kind=access&overdue=false&due_within_days=60&account_id={alice}"
    );
    let list: RequestList = api.get("/requests", &[], &query).await?;
    assert_eq!(list.requests, vec![created.clone()]);
    let detail: RequestDetail = api.get("/requests/{id}", &[rid], "").await?;
    assert!(detail.export_archive.is_none() && !detail.timeline.is_empty());

    let start = start();
    let started: Request = api
        .post("/requests/{id}/transition", &[rid], Some(&start))
        .await?;
    assert_eq!(started.status, Status::InProgress);
    assert_eq!(
        (started.verified_by, started.verification_note.as_deref()),
        (Some(VerifiedBy::Staff), Some(CHECKED))
    );
    wait_status(api.app, rid, "completed").await?;
    let detail: RequestDetail = api.get("/requests/{id}", &[rid], "").await?;
    assert!(detail.export_archive.is_some(), "{detail:?}");

    let path = format!("{API_PREFIX}/requests/{rid}/transition");
    let refusal = api
        .refused(
            Some(&api.token),
            ("POST", &path),
            Some(serde_json::to_value(&start)?),
            error::TRANSITION_NOT_ALLOWED,
        )
        .await?;
    let details = refusal.details.context("details")?;
    let details: TransitionRefusal = strict(&details)?;
    assert_eq!((details.from, details.allowed), (Status::Completed, vec![]));

    // An access request started earlier (its first export done) asks for the export again;
    // it is moved in the database so no export job races the call.
    let again: Request = api.post("/requests", &[], Some(&create)).await?;
    sqlx::query("UPDATE dsr_requests SET status = $1 WHERE id = $2")
        .bind(RequestStatus::InProgress.as_str())
        .bind(&again.id)
        .execute(api.app.pool())
        .await?;
    let exported: Request = api
        .post("/requests/{id}/export", &[&again.id], NO_BODY)
        .await?;
    assert!(exported.job_requested);
    Ok(())
}

/// An erasure request: extended, previewed, refused under a legal hold, and run once the
/// hold is lifted; a child flag on another account.
async fn erasure_request(api: &mut Api<'_>, erin: &str, carl: &str) -> Result<()> {
    let create = CreateRequest {
        email: "erin.contract@example.com".into(),
        kind: Kind::Erasure.as_str().into(),
        details: None,
        received_at: None,
    };
    let created: Request = api.post("/requests", &[], Some(&create)).await?;
    let rid = created.id.as_str();
    let extend = Extension {
        months: 1,
        reason: "Several years of orders.".into(),
    };
    let extended: Request = api
        .post("/requests/{id}/extend", &[rid], Some(&extend))
        .await?;
    assert_eq!(extended.extended_months, 1);
    let start = start();
    let _: Request = api
        .post("/requests/{id}/transition", &[rid], Some(&start))
        .await?;

    let hold = Reason {
        reason: "Litigation 2026-17".into(),
    };
    let placed: Hold = api
        .post("/accounts/{id}/holds", &[erin], Some(&hold))
        .await?;
    let preview: ErasurePreview = api
        .get("/requests/{id}/erasure/preview", &[rid], "")
        .await?;
    assert_eq!(preview.blocked_by_holds.len(), 1);
    assert!(preview.tables.get("accounts").is_some_and(|t| t.rows == 1));
    let account: Account = api.get("/accounts/{id}", &[erin], "").await?;
    assert!(account.subject.on_hold && account.requests.len() == 1);
    let path = format!("{API_PREFIX}/requests/{rid}/erasure");
    let refusal = api
        .refused(Some(&api.token), ("POST", &path), None, error::LEGAL_HOLD)
        .await?;
    let details: HoldRefusal = strict(&refusal.details.context("details")?)?;
    assert_eq!(details.holds.len(), 1);
    let lift = Reason {
        reason: "Claim settled".into(),
    };
    let lifted: HoldLifted = api
        .post("/holds/{id}/lift", &[&placed.id], Some(&lift))
        .await?;
    assert_eq!(lifted.lifted, placed.id);
    let holds: HoldList = api.get("/accounts/{id}/holds", &[erin], "").await?;
    assert!(holds.holds.iter().all(|h| h.lifted_at.is_some()));
    let erasing: Request = api.post("/requests/{id}/erasure", &[rid], NO_BODY).await?;
    assert!(erasing.job_requested);
    wait_status(api.app, rid, "completed").await?;

    let flag = ChildFlag {
        note: Some("Reported by a parent.".into()),
    };
    let flagged: Request = api
        .post("/accounts/{id}/child-flag", &[carl], Some(&flag))
        .await?;
    assert_eq!(flagged.kind, Kind::Erasure);
    Ok(())
}

const DAY_MS: i64 = 24 * 3_600_000;

/// The privacy desk's own work: a request received by letter two days ago, a note on it,
/// the subject found by email, a rectification that completes the request, a restriction
/// placed, refused twice and lifted, and an emailed message classified by staff.
async fn desk(api: &mut Api<'_>, dana: &str) -> Result<()> {
    let now = api.app.clock_now();
    let letter = rfc3339(now - 2 * DAY_MS);
    let create = CreateRequest {
        email: "dana.contract@example.com".into(),
        kind: Kind::Rectification.as_str().into(),
        details: Some("By letter: my name is Dana Martin now.".into()),
        received_at: Some(letter.clone()),
    };
    let created: Request = api.post("/requests", &[], Some(&create)).await?;
    assert_eq!(
        (created.received_at.as_str(), created.channel.as_str()),
        (letter.as_str(), "staff")
    );
    let rid = created.id.as_str();
    let body = NoteBody {
        text: "Letter signed; matches the account.".into(),
    };
    let note: Note = api
        .post("/requests/{id}/notes", &[rid], Some(&body))
        .await?;
    let detail: RequestDetail = api.get("/requests/{id}", &[rid], "").await?;
    assert_eq!(detail.notes, vec![note]);
    let _: Request = api
        .post("/requests/{id}/transition", &[rid], Some(&start()))
        .await?;
    let found: Account = api
        .get("/accounts", &[], "?email=%20Dana.Contract@Example.com")
        .await?;
    assert_eq!(found.subject.account_id, dana);
    assert!(found.requests.iter().any(|r| r.id == rid));
    let rectify = Rectify {
        field: "display_name".into(),
        value: "Dana Martin".into(),
        reason: "Name changed (letter).".into(),
        request_id: Some(rid.into()),
    };
    let rectified: Rectified = api
        .post("/accounts/{id}/rectify", &[dana], Some(&rectify))
        .await?;
    assert_eq!(rectified.subject.display_name, "Dana Martin");
    assert_eq!(rectified.completed_request.as_deref(), Some(rid));

    let restrict = PlaceRestriction {
        reason: "Accuracy contested".into(),
        request_id: None,
    };
    let placed: Restriction = api
        .post("/accounts/{id}/restriction", &[dana], Some(&restrict))
        .await?;
    let path = format!("{API_PREFIX}/accounts/{dana}/restriction");
    let body = serde_json::to_value(&restrict)?;
    api.refused(
        Some(&api.token),
        ("POST", &path),
        Some(body),
        error::ALREADY_RESTRICTED,
    )
    .await?;
    let lift = Reason {
        reason: "Checked and corrected".into(),
    };
    let lifted: Restriction = api
        .post("/restrictions/{id}/lift", &[&placed.id], Some(&lift))
        .await?;
    assert!(lifted.lifted_at.is_some());
    let path = format!("{API_PREFIX}/restrictions/{}/lift", placed.id);
    let body = serde_json::to_value(&lift)?;
    api.refused(
        Some(&api.token),
        ("POST", &path),
        Some(body),
        error::ALREADY_LIFTED,
    )
    .await?;

    let object = PlaceObjection {
        processing: "product_analytics".into(),
        reason: "Leave me out of statistics".into(),
        request_id: None,
    };
    let objected: Objection = api
        .post("/accounts/{id}/objection", &[dana], Some(&object))
        .await?;
    let path = format!("{API_PREFIX}/accounts/{dana}/objection");
    let body = serde_json::to_value(&object)?;
    api.refused(
        Some(&api.token),
        ("POST", &path),
        Some(body),
        error::ALREADY_OBJECTING,
    )
    .await?;
    let ended: Objection = api
        .post("/objections/{id}/withdraw", &[&objected.id], Some(&lift))
        .await?;
    assert!(ended.withdrawn_at.is_some());
    let path = format!("{API_PREFIX}/objections/{}/withdraw", objected.id);
    let body = serde_json::to_value(&lift)?;
    api.refused(
        Some(&api.token),
        ("POST", &path),
        Some(body),
        error::ALREADY_WITHDRAWN,
    )
    .await?;
    heepr_core::privacy::analytics::catch_up::run(&api.app.state, now)
        .await
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    let report: AnalyticsReport = api.get("/analytics", &[], "?days=40").await?;
    assert_eq!(report.min_group_size, 5);
    assert!(!report.days.is_empty());

    let arrived = now - DAY_MS;
    let raw = "From: dana.contract@example.com\r\nTo: privacy@heepr.ai\r\nSubject: Hello\r\n\
               Message-ID: <desk-contract@example.com>\r\n\r\nPlease look at my account.\r\n";
    let fetched = Fetched {
        mailbox: "contract@localhost/INBOX",
        uid_validity: 1,
        uid: 1,
        arrived_at_ms: arrived,
        raw: raw.as_bytes(),
    };
    record_message(&api.app.state, &fetched).await?;
    let waiting: IntakeList = api
        .get("/intake", &[], "?outcome=needs_classification")
        .await?;
    let message = waiting.messages.first().context("a message to classify")?;
    assert_eq!(message.outcome, IntakeOutcome::NeedsClassification);
    let classify = Classify {
        kind: Kind::Objection.as_str().into(),
    };
    let classified: Request = api
        .post("/intake/{id}/classify", &[&message.id], Some(&classify))
        .await?;
    assert_eq!(classified.received_at, rfc3339(arrived));
    let path = format!("{API_PREFIX}/intake/{}/classify", message.id);
    let body = serde_json::to_value(&classify)?;
    api.refused(
        Some(&api.token),
        ("POST", &path),
        Some(body),
        error::ALREADY_CLASSIFIED,
    )
    .await?;
    Ok(())
}

/// Retention rules, a dry run over tables and one over files, and the backup catalog.
async fn retention_and_backups(api: &mut Api<'_>) -> Result<()> {
    let rules: RuleList = api.get("/retention/rules", &[], "").await?;
    assert!(rules.rules.iter().any(|r| r.rule == "email_log"));
    let tables: DryRun = api
        .post("/retention/rules/{rule}/dry-run", &["email_log"], NO_BODY)
        .await?;
    assert!(matches!(tables, DryRun::Tables(_)), "{tables:?}");
    let files: DryRun = api
        .post("/retention/rules/{rule}/dry-run", &["backups"], NO_BODY)
        .await?;
    assert!(matches!(files, DryRun::Store(_)), "{files:?}");
    let rules: RuleList = api.get("/retention/rules", &[], "").await?;
    let last = rules.rules.iter().find(|r| r.rule == "email_log");
    assert!(
        last.and_then(|r| r.last_run.as_ref())
            .is_some_and(|r| r.dry_run)
    );
    let path = format!("{API_PREFIX}/retention/rules/system/dry-run");
    api.refused(Some(&api.token), ("POST", &path), None, error::NO_PERIOD)
        .await?;

    let empty: BackupList = api.get("/backups", &[], "").await?;
    assert!(empty.backups.is_empty());
    let settings = &api.app.state.settings;
    let entry = heepr_compliance::backup::create(
        &api.app.state.db,
        &api.app.test_db.url,
        &settings.backup_dir,
        api.app.clock_now(),
    )
    .await?;
    let list: BackupList = api.get("/backups", &[], "").await?;
    let shown: Vec<&Backup> = list.backups.iter().filter(|b| b.id == entry.id).collect();
    assert!(shown.len() == 1 && shown[0].file_present, "{list:?}");
    Ok(())
}

/// The audit trail, its verification, and a broken chain.
async fn audit(api: &mut Api<'_>, erin: &str) -> Result<()> {
    let all: AuditList = api.get("/audit", &[], "").await?;
    assert!(!all.entries.is_empty());
    let some: AuditList = api
        .get(
            "/audit",
            &[],
            &format!("?subject={erin}&limit=5&before_seq=100000"),
        )
        .await?;
    assert!(!some.entries.is_empty() && some.entries.len() <= 5);
    let verified: ChainVerification = api.get("/audit/verify", &[], "").await?;
    assert!(verified.first_broken.is_none() && verified.entries > 0);
    sqlx::query("UPDATE audit_log SET outcome = $1 WHERE seq = 1")
        .bind("tampered")
        .execute(api.app.pool())
        .await?;
    let broken: ChainVerification = api.get("/audit/verify", &[], "").await?;
    assert_eq!(broken.first_broken.map(|b| b.seq), Some(1));
    Ok(())
}

/// The error bodies of the codes a client acts on.
async fn errors(api: &Api<'_>, support: &str, rid: &str) -> Result<()> {
    let officer = Some(api.token.as_str());
    let requests = format!("{API_PREFIX}/requests");
    api.refused(None, ("GET", &requests), None, error::UNAUTHENTICATED)
        .await?;
    let body = json!({"email": "x@example.com", "kind": "access"});
    api.refused(
        Some(support),
        ("POST", &requests),
        Some(body),
        error::FORBIDDEN,
    )
    .await?;
    let missing = api
        .refused(
            officer,
            ("GET", &format!("{API_PREFIX}/nothing")),
            None,
            error::NOT_FOUND,
        )
        .await?;
    assert!(missing.message.starts_with("no such endpoint"));
    let extend = format!("{API_PREFIX}/requests/{rid}/extend");
    api.refused(officer, ("GET", &extend), None, error::METHOD_NOT_ALLOWED)
        .await?;
    let body = json!({"months": 5, "reason": "too long"});
    let invalid = api
        .refused(officer, ("POST", &extend), Some(body), error::INVALID_FIELD)
        .await?;
    assert_eq!(invalid.field.as_deref(), Some("months"));
    let body = json!({"months": 1, "reason": "x", "extra": true});
    let shape = api
        .refused(officer, ("POST", &extend), Some(body), error::INVALID_FIELD)
        .await?;
    assert_eq!(shape.field.as_deref(), Some("body"));
    let body = json!({"email": "nobody@example.com", "kind": "access"});
    api.refused(officer, ("POST", &requests), Some(body), error::NOT_FOUND)
        .await?;
    Ok(())
}

async fn every_admin_route_answers_the_shared_types(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let support = staff_token(&app, "help@heepr.example", StaffRole::Support).await?;
    let (_, alice) = app
        .member("Alice Contract", "alice.contract@example.com")
        .await?;
    let (_, erin) = app
        .member("Erin Contract", "erin.contract@example.com")
        .await?;
    let (_, carl) = app
        .member("Carl Contract", "carl.contract@example.com")
        .await?;
    let (_, dana) = app
        .member("Dana Contract", "dana.contract@example.com")
        .await?;
    let (alice, erin, carl, dana) = (id_of(&alice)?, id_of(&erin)?, id_of(&carl)?, id_of(&dana)?);

    let mut api = Api::new(&app, &officer)?;
    let me: Me = api.get("/me", &[], "").await?;
    assert_eq!(me.role, Role::PrivacyOfficer);
    let mut read_only = Api::new(&app, &support)?;
    let me: Me = read_only.get("/me", &[], "").await?;
    assert_eq!(me.role, Role::Support);

    access_request(&mut api, &alice).await?;
    erasure_request(&mut api, &erin, &carl).await?;
    desk(&mut api, &dana).await?;
    retention_and_backups(&mut api).await?;
    let list: RequestList = api.get("/requests", &[], "").await?;
    let rid = list
        .requests
        .first()
        .map(|r| r.id.clone())
        .context("a request")?;
    errors(&api, &support, &rid).await?;
    audit(&mut api, &erin).await?;

    let every: BTreeSet<String> = ROUTES.iter().map(Route::name).collect();
    let missed: Vec<&String> = every.difference(&api.called).collect();
    if !missed.is_empty() {
        bail!("routes never called with success: {missed:?}");
    }
    Ok(())
}
backend_test!(every_admin_route_answers_the_shared_types);
