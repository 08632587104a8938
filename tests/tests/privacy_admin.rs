//! The admin API: authorization on every route (401 without a staff token, 403 for the
//! read-only support role on actions, emails masked for support), every call audited, the
//! DSR state machine's allowed and refused transitions, identity verification by emailed
//! link, extensions, duplicates, list filters, and the audit chain's verification.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

mod privacy_support;

use anyhow::{Context, Result};
use heepr_core::identity::staff::StaffRole;
use heepr_tests::{Backend, TestApp, backend_test, error_code};
use privacy_support::*;
use reqwest::Method;
use serde_json::{Value, json};

const DAY_MS: i64 = 24 * 3_600_000;

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value)> {
    let mut req = app.client()?.request(method, app.url(path));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await?;
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, body))
}

async fn every_admin_route_is_authorized_and_audited(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let support = staff_token(&app, "help@heepr.example", StaffRole::Support).await?;
    let (_alice, account) = app.member("Alice Admin", "alice.admin@example.com").await?;
    let aid = account["id"].as_str().context("id")?.to_string();
    let (s, created) = call(
        &app,
        Method::POST,
        "/admin/api/v1/requests",
        Some(&officer),
        Some(json!({"email": "Alice.Admin@example.com", "kind": "objection"})),
    )
    .await?;
    assert_eq!(s, 201, "{created}");
    let rid = created["id"].as_str().context("id")?.to_string();
    let (s, hold) = call(
        &app,
        Method::POST,
        &format!("/admin/api/v1/accounts/{aid}/holds"),
        Some(&officer),
        Some(json!({"reason": "routine check"})),
    )
    .await?;
    assert_eq!(s, 201, "{hold}");
    let hid = hold["id"].as_str().context("hold id")?.to_string();

    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/admin/api/v1/me".into(), None),
        (Method::GET, "/admin/api/v1/requests".into(), None),
        (
            Method::POST,
            "/admin/api/v1/requests".into(),
            Some(json!({"email": "alice.admin@example.com", "kind": "access"})),
        ),
        (Method::GET, format!("/admin/api/v1/requests/{rid}"), None),
        (
            Method::POST,
            format!("/admin/api/v1/requests/{rid}/transition"),
            Some(json!({"to": "rejected", "reason": "x"})),
        ),
        (
            Method::POST,
            format!("/admin/api/v1/requests/{rid}/extend"),
            Some(json!({"months": 1, "reason": "x"})),
        ),
        (
            Method::POST,
            format!("/admin/api/v1/requests/{rid}/export"),
            None,
        ),
        (
            Method::GET,
            format!("/admin/api/v1/requests/{rid}/erasure/preview"),
            None,
        ),
        (
            Method::POST,
            format!("/admin/api/v1/requests/{rid}/erasure"),
            None,
        ),
        (Method::GET, format!("/admin/api/v1/accounts/{aid}"), None),
        (
            Method::GET,
            format!("/admin/api/v1/accounts/{aid}/holds"),
            None,
        ),
        (
            Method::POST,
            format!("/admin/api/v1/accounts/{aid}/holds"),
            Some(json!({"reason": "x"})),
        ),
        (
            Method::POST,
            format!("/admin/api/v1/accounts/{aid}/child-flag"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/admin/api/v1/holds/{hid}/lift"),
            Some(json!({"reason": "x"})),
        ),
        (Method::GET, "/admin/api/v1/audit".into(), None),
        (Method::GET, "/admin/api/v1/audit/verify".into(), None),
    ];
    for (method, path, body) in &routes {
        let (s, b) = call(&app, method.clone(), path, None, body.clone()).await?;
        assert_eq!(s, 401, "{method} {path} without a token: {b}");
        let (s, _) = call(
            &app,
            method.clone(),
            path,
            Some("not-a-token"),
            body.clone(),
        )
        .await?;
        assert_eq!(s, 401, "{method} {path} with a made-up token");
        let (s, b) = call(&app, method.clone(), path, Some(&support), body.clone()).await?;
        if *method == Method::GET {
            assert_eq!(s, 200, "{method} {path} as support: {b}");
        } else {
            assert_eq!(s, 403, "{method} {path} as support: {b}");
            assert_eq!(error_code(&b), "forbidden");
        }
    }
    // Support sees emails masked; a privacy officer sees them whole.
    let path = format!("/admin/api/v1/requests/{rid}");
    let (_, as_support) = call(&app, Method::GET, &path, Some(&support), None).await?;
    assert_eq!(as_support["subject"]["email"], "a***@example.com");
    assert!(!as_support.to_string().contains("alice.admin@"));
    let (_, as_officer) = call(&app, Method::GET, &path, Some(&officer), None).await?;
    assert_eq!(as_officer["subject"]["email"], "alice.admin@example.com");
    assert!(as_officer["subject"]["rows_by_category"]["account"].as_i64() > Some(0));
    assert_eq!(as_officer["subject"]["on_hold"], true);
    // Unknown ids are 404.
    let (s, _) = call(
        &app,
        Method::GET,
        "/admin/api/v1/requests/nope",
        Some(&officer),
        None,
    )
    .await?;
    assert_eq!(s, 404);
    let (s, _) = call(
        &app,
        Method::POST,
        "/admin/api/v1/requests",
        Some(&officer),
        Some(json!({"email": "nobody@example.com", "kind": "access"})),
    )
    .await?;
    assert_eq!(s, 404);
    // Every call is in the audit trail, refused ones included.
    for (actor_like, outcome) in [
        ("anonymous", "http 401"),
        ("staff:%", "http 403"),
        ("staff:%", "http 200"),
    ] {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE actor LIKE $1 AND outcome = $2 AND action LIKE '% /admin/api/v1/%'",
        )
        .bind(actor_like)
        .bind(outcome)
        .fetch_one(app.pool())
        .await?;
        assert!(n > 0, "no audited call by {actor_like} with {outcome}");
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'GET /admin/api/v1/audit/verify'",
    )
    .fetch_one(app.pool())
    .await?;
    assert_eq!(
        n, 3,
        "each verify call audited once: no token, made-up token, support"
    );
    Ok(())
}
backend_test!(every_admin_route_is_authorized_and_audited);

/// The confirmation link in the queued receipt email of request `id`.
async fn confirmation_link(app: &TestApp, id: &str) -> Result<String> {
    let mail: String = sqlx::query_scalar(
        "SELECT body_text FROM email_outbox WHERE template = 'dsr_received' AND body_text LIKE $1",
    )
    .bind(format!("%{id}%"))
    .fetch_one(app.pool())
    .await?;
    Ok(mail
        .split_whitespace()
        .find(|w| w.contains("/privacy/verify/"))
        .context("no link in the email")?
        .to_string())
}

async fn dsr_state_machine_over_the_api(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let (_bea, account) = app.member("Bea Subject", "bea.subject@example.com").await?;
    let bid = account["id"].as_str().context("id")?.to_string();
    let t = Some(officer.as_str());

    // A person wrote to privacy@: staff record it; the subject must confirm by email.
    let (s, dsr) = call(
        &app,
        Method::POST,
        "/admin/api/v1/requests",
        t,
        Some(
            json!({"email": "bea.subject@example.com", "kind": "objection", "details": "stop it"}),
        ),
    )
    .await?;
    assert_eq!(s, 201, "{dsr}");
    let rid = dsr["id"].as_str().context("id")?.to_string();
    assert_eq!(dsr["status"], "awaiting_verification");
    assert_eq!(dsr["received_at"], "2026-06-01T00:00:00.000Z");
    assert_eq!(dsr["due_at"], "2026-07-01T00:00:00.000Z", "30 days");
    let tr = |to: &str, reason: Option<&str>| {
        let mut b = json!({"to": to});
        if let Some(r) = reason {
            b["reason"] = json!(r);
        }
        (format!("/admin/api/v1/requests/{rid}/transition"), b)
    };

    // Refused: cannot complete before verification; the allowed ones are listed.
    let (p, b) = tr("completed", None);
    let (s, body) = call(&app, Method::POST, &p, t, Some(b)).await?;
    assert_eq!(s, 409);
    assert_eq!(error_code(&body), "transition_not_allowed");
    assert_eq!(
        body["error"]["details"]["allowed"],
        json!(["in_progress", "rejected"])
    );

    // The confirmation link from the queued email.
    let link = confirmation_link(&app, &rid).await?;
    let browser = app.client()?;
    assert_eq!(browser.get(&link).send().await?.status(), 200);
    let forged = link
        .rsplit_once('/')
        .map(|(b, _)| format!("{b}/forged"))
        .unwrap_or_default();
    assert_eq!(browser.post(&forged).send().await?.status(), 404);
    // Post/redirect/get: the confirmation lands on a page a reload does not repeat.
    let confirmed = browser.post(&link).send().await?;
    assert_eq!(confirmed.status(), 303);
    let landing = confirmed
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(landing, "/privacy/confirmed?kind=objection");
    let page = browser.get(app.url(&landing)).send().await?.text().await?;
    assert!(page.contains("objection to processing"), "{page}");
    assert_eq!(status_of(&app, &rid).await?, "in_progress");
    let (_, shown) = call(
        &app,
        Method::GET,
        &format!("/admin/api/v1/requests/{rid}"),
        t,
        None,
    )
    .await?;
    assert_eq!(shown["request"]["verified_by"], "email_link", "{shown}");
    assert_eq!(shown["request"]["verification_note"], Value::Null);
    assert_eq!(
        browser.post(&link).send().await?.status(),
        404,
        "links work once"
    );

    // A duplicate of the open request is linked to it and verified on its own.
    let (_, dup) = call(
        &app,
        Method::POST,
        "/admin/api/v1/requests",
        t,
        Some(json!({"email": "bea.subject@example.com", "kind": "objection"})),
    )
    .await?;
    assert_eq!(dup["duplicate_of"], rid.as_str());
    assert_eq!(dup["status"], "awaiting_verification");

    // Reasons are required for on hold and rejected.
    let (p, b) = tr("rejected", Some("  "));
    assert_eq!(call(&app, Method::POST, &p, t, Some(b)).await?.0, 422);
    let (p, b) = tr("on_hold", Some("waiting for documents"));
    let (s, body) = call(&app, Method::POST, &p, t, Some(b)).await?;
    assert_eq!((s, body["status"].as_str()), (200, Some("on_hold")));
    assert_eq!(body["status_reason"], "waiting for documents");
    let (p, b) = tr("completed", None);
    let (s, body) = call(&app, Method::POST, &p, t, Some(b)).await?;
    assert_eq!(s, 409);
    assert_eq!(
        body["error"]["details"]["allowed"],
        json!(["in_progress", "rejected"])
    );
    let (p, b) = tr("in_progress", None);
    assert_eq!(call(&app, Method::POST, &p, t, Some(b)).await?.0, 200);

    // Extension: up to two months in total, with a reason that is emailed.
    let ext = format!("/admin/api/v1/requests/{rid}/extend");
    assert_eq!(
        call(
            &app,
            Method::POST,
            &ext,
            t,
            Some(json!({"months": 3, "reason": "complex"}))
        )
        .await?
        .0,
        422
    );
    assert_eq!(
        call(
            &app,
            Method::POST,
            &ext,
            t,
            Some(json!({"months": 1, "reason": ""}))
        )
        .await?
        .0,
        422
    );
    let (s, body) = call(
        &app,
        Method::POST,
        &ext,
        t,
        Some(json!({"months": 2, "reason": "many linked orders"})),
    )
    .await?;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["due_at"], "2026-08-30T00:00:00.000Z",
        "30 + 60 days after receipt"
    );
    assert_eq!(
        call(
            &app,
            Method::POST,
            &ext,
            t,
            Some(json!({"months": 1, "reason": "more"}))
        )
        .await?
        .0,
        422
    );
    let extended: i64 = app
        .count(
            "SELECT COUNT(*) FROM email_outbox WHERE account_id = $1 AND template = 'dsr_extended'",
            &bid,
        )
        .await?;
    assert_eq!(extended, 1);

    // Filters: status, kind, overdue, due within N days.
    let ids = |v: &Value| -> Vec<String> {
        v["requests"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["id"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let dup_id = dup["id"].as_str().unwrap_or_default().to_string();
    let (_, l) = call(
        &app,
        Method::GET,
        "/admin/api/v1/requests?status=awaiting_verification",
        t,
        None,
    )
    .await?;
    assert_eq!(ids(&l), vec![dup_id.clone()]);
    let (_, l) = call(
        &app,
        Method::GET,
        "/admin/api/v1/requests?kind=access",
        t,
        None,
    )
    .await?;
    assert!(ids(&l).is_empty());
    let (s, _) = call(
        &app,
        Method::GET,
        "/admin/api/v1/requests?status=lost",
        t,
        None,
    )
    .await?;
    assert_eq!(s, 422);
    let (_, l) = call(
        &app,
        Method::GET,
        "/admin/api/v1/requests?overdue=true",
        t,
        None,
    )
    .await?;
    assert!(ids(&l).is_empty());
    app.clock.advance_ms(31 * DAY_MS);
    let (_, l) = call(
        &app,
        Method::GET,
        "/admin/api/v1/requests?overdue=true",
        t,
        None,
    )
    .await?;
    assert_eq!(
        ids(&l),
        vec![dup_id.clone()],
        "the extended one is not overdue yet"
    );
    let (_, l) = call(
        &app,
        Method::GET,
        "/admin/api/v1/requests?due_within_days=70",
        t,
        None,
    )
    .await?;
    assert_eq!(ids(&l).len(), 2);
    let (_, l) = call(
        &app,
        Method::GET,
        "/admin/api/v1/requests?due_within_days=1",
        t,
        None,
    )
    .await?;
    assert_eq!(ids(&l), vec![dup_id.clone()]);

    // The duplicate is past its 30-day due date: too late to extend it (Art. 12(3)).
    let (s, body) = call(
        &app,
        Method::POST,
        &format!("/admin/api/v1/requests/{dup_id}/extend"),
        t,
        Some(json!({"months": 1, "reason": "complex"})),
    )
    .await?;
    assert_eq!(s, 409, "{body}");
    assert_eq!(error_code(&body), "extension_too_late");

    // The duplicate's confirmation link has expired meanwhile (14 days): 410.
    let dup_link = confirmation_link(&app, &dup_id).await?;
    assert_eq!(browser.post(&dup_link).send().await?.status(), 410);
    // Answered, not left open: closed as rejected (by the worker, or by this pass).
    heepr_core::privacy::requests::unconfirmed::close_expired(&app.state).await?;
    assert_eq!(status_of(&app, &dup_id).await?, "rejected");

    // Complete; then nothing is allowed any more.
    let (p, b) = tr("completed", None);
    assert_eq!(call(&app, Method::POST, &p, t, Some(b)).await?.0, 200);
    let (p, b) = tr("in_progress", None);
    let (s, body) = call(&app, Method::POST, &p, t, Some(b)).await?;
    assert_eq!(s, 409);
    assert_eq!(body["error"]["details"]["allowed"], json!([]));
    let completed: i64 = app
        .count("SELECT COUNT(*) FROM email_outbox WHERE account_id = $1 AND template = 'dsr_completed'", &bid)
        .await?;
    assert_eq!(
        completed, 2,
        "completion emailed once, and the expired duplicate's rejection"
    );
    // The timeline shows every transition, refused ones included.
    let (_, shown) = call(
        &app,
        Method::GET,
        &format!("/admin/api/v1/requests/{rid}"),
        t,
        None,
    )
    .await?;
    let timeline = shown["timeline"].as_array().context("timeline")?;
    let transitions = timeline
        .iter()
        .filter(|e| e["action"] == "dsr.transition")
        .count();
    assert!(
        transitions >= 7,
        "{transitions} transitions in {timeline:?}"
    );
    assert!(timeline.iter().any(|e| e["outcome"] == "refused"));
    assert!(
        timeline
            .iter()
            .any(|e| e["action"] == "POST /admin/api/v1/requests/{id}/extend"
                && e["actor"].as_str().is_some_and(|a| a.starts_with("staff:"))),
        "staff calls on the request join its timeline"
    );
    Ok(())
}
backend_test!(dsr_state_machine_over_the_api);

/// 2027-01-31T12:00:00Z: a receipt on a 31-day month's last day, before a short February.
const JAN_31_2027_NOON_MS: i64 = 1_801_396_800_000;

/// Due 30 days after receipt across month ends (not "one calendar month", which would be
/// 28 February); an extension adds 30 days and is accepted up to the last millisecond of the
/// original period, refused (409) from the due date on, and needs a reason.
async fn due_dates_are_thirty_days_and_late_extensions_are_refused(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    app.clock.set_ms(JAN_31_2027_NOON_MS);
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let t = Some(officer.as_str());
    app.member("Cleo Clock", "cleo.clock@example.com").await?;
    let create = |kind: &str| json!({"email": "cleo.clock@example.com", "kind": kind});
    let (s, first) = call(
        &app,
        Method::POST,
        "/admin/api/v1/requests",
        t,
        Some(create("objection")),
    )
    .await?;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["received_at"], "2027-01-31T12:00:00.000Z");
    assert_eq!(
        first["due_at"], "2027-03-02T12:00:00.000Z",
        "30 days, not 28 February"
    );
    let (s, second) = call(
        &app,
        Method::POST,
        "/admin/api/v1/requests",
        t,
        Some(create("restriction")),
    )
    .await?;
    assert_eq!(s, 201, "{second}");
    let extend = |id: &Value| {
        format!(
            "/admin/api/v1/requests/{}/extend",
            id["id"].as_str().unwrap_or_default()
        )
    };

    // The last millisecond of the first period: accepted, 30 more days.
    app.clock.set_ms(JAN_31_2027_NOON_MS + 30 * DAY_MS - 1);
    let (s, body) = call(
        &app,
        Method::POST,
        &extend(&first),
        t,
        Some(json!({"months": 1, "reason": ""})),
    )
    .await?;
    assert_eq!(s, 422, "a reason is required: {body}");
    let (s, body) = call(
        &app,
        Method::POST,
        &extend(&first),
        t,
        Some(json!({"months": 1, "reason": "complex"})),
    )
    .await?;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["due_at"], "2027-04-01T12:00:00.000Z");

    // From the original due date on: refused, for a fresh request and for a second
    // extension of one already extended (both must be told within the first period).
    app.clock.set_ms(JAN_31_2027_NOON_MS + 30 * DAY_MS);
    for (r, what) in [(&second, "never extended"), (&first, "extended once")] {
        let (s, body) = call(
            &app,
            Method::POST,
            &extend(r),
            t,
            Some(json!({"months": 1, "reason": "complex"})),
        )
        .await?;
        assert_eq!(s, 409, "{what}: {body}");
        assert_eq!(error_code(&body), "extension_too_late", "{what}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("original due date"),
            "{body}"
        );
    }
    let (_, again) = call(
        &app,
        Method::GET,
        &format!(
            "/admin/api/v1/requests/{}",
            second["id"].as_str().unwrap_or_default()
        ),
        t,
        None,
    )
    .await?;
    assert_eq!(
        again["request"]["due_at"], "2027-03-02T12:00:00.000Z",
        "a refused extension changes nothing"
    );
    Ok(())
}
backend_test!(due_dates_are_thirty_days_and_late_extensions_are_refused);

async fn audit_chain_verifies_and_detects_an_edited_row(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let (_c, account) = app.member("Cleo Chain", "cleo.chain@example.com").await?;
    let cid = account["id"].as_str().context("id")?.to_string();
    for reason in ["first", "second"] {
        call(
            &app,
            Method::POST,
            &format!("/admin/api/v1/accounts/{cid}/holds"),
            Some(&officer),
            Some(json!({"reason": reason})),
        )
        .await?;
    }
    let (s, v) = call(
        &app,
        Method::GET,
        "/admin/api/v1/audit/verify",
        Some(&officer),
        None,
    )
    .await?;
    assert_eq!(s, 200);
    assert_eq!(v["first_broken"], Value::Null);
    assert!(v["entries"].as_i64() >= Some(5), "{v}");
    let (_, list) = call(
        &app,
        Method::GET,
        &format!("/admin/api/v1/audit?subject={cid}"),
        Some(&officer),
        None,
    )
    .await?;
    // Two `hold.place` entries and the two audited calls that placed them.
    assert_eq!(list["entries"].as_array().map(Vec::len), Some(4));

    // Someone edits entry 3 in the database: verification names it.
    let original: String = sqlx::query_scalar("SELECT outcome FROM audit_log WHERE seq = 3")
        .fetch_one(app.pool())
        .await?;
    sqlx::query("UPDATE audit_log SET outcome = 'refused' WHERE seq = 3")
        .execute(app.pool())
        .await?;
    let v = heepr_compliance::audit::verify(app.pool()).await?;
    let broken = v.first_broken.context("edit not detected")?;
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("edited"), "{}", broken.reason);
    assert_eq!(v.entries, 2);
    // Restored content verifies again; a deleted entry is a gap.
    sqlx::query("UPDATE audit_log SET outcome = $1 WHERE seq = 3")
        .bind(&original)
        .execute(app.pool())
        .await?;
    let v = heepr_compliance::audit::verify(app.pool()).await?;
    assert_eq!(v.first_broken, None, "{v:?}");
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(app.pool())
        .await?;
    let v = heepr_compliance::audit::verify(app.pool()).await?;
    assert_eq!(v.first_broken.map(|b| b.seq), Some(3));
    Ok(())
}
backend_test!(audit_chain_verifies_and_detects_an_edited_row);

/// Staff may start a request its subject has not confirmed only by saying how they checked
/// the subject's identity (GDPR Art. 12(6)): without it the answer is 422 `reason`, nothing
/// changes and the refusal is audited; with it the request is verified `by staff` and the
/// note is kept with it (and masked like the request's other free text for support).
async fn staff_verify_an_unconfirmed_request_only_saying_how(backend: Backend) -> Result<()> {
    let app = spawn_keeping_mail(&backend).await?;
    let officer = staff_token(&app, "dpo@heepr.example", StaffRole::PrivacyOfficer).await?;
    let support = staff_token(&app, "help@heepr.example", StaffRole::Support).await?;
    app.member("Cleo Subject", "cleo.subject@example.com")
        .await?;
    let t = Some(officer.as_str());
    let (_, dsr) = call(
        &app,
        Method::POST,
        "/admin/api/v1/requests",
        t,
        Some(json!({"email": "cleo.subject@example.com", "kind": "access"})),
    )
    .await?;
    let rid = dsr["id"].as_str().context("id")?.to_string();
    let start = format!("/admin/api/v1/requests/{rid}/transition");
    // Nothing readable counts as nothing: invisible characters, lone punctuation, escapes.
    let unreadable = [
        "  ",
        "\u{200b}\u{200b}",
        "\u{feff}\u{2060}\u{ad}",
        ".",
        "\u{1b}[2J\u{7}",
    ];
    let bodies = std::iter::once(json!({"to": "in_progress"})).chain(
        unreadable
            .iter()
            .map(|r| json!({"to": "in_progress", "reason": r})),
    );
    for body in bodies {
        let (s, answer) = call(&app, Method::POST, &start, t, Some(body)).await?;
        assert_eq!(
            (s, answer["error"]["field"].as_str()),
            (422, Some("reason")),
            "{answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("how you checked"), "{answer}");
    }
    assert_eq!(status_of(&app, &rid).await?, "awaiting_verification");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE request_id = $1 AND action = 'dsr.transition' AND outcome = 'refused'",
            &rid
        )
        .await?,
        6
    );
    // The same for every reason staff must give: a rejection (emailed to the subject), an
    // extension, a note.
    for (path, body) in [
        (
            "transition",
            json!({"to": "rejected", "reason": "\u{200b}"}),
        ),
        ("extend", json!({"months": 1, "reason": "\u{2060}"})),
        ("notes", json!({"text": "\u{ad}."})),
    ] {
        let path = format!("/admin/api/v1/requests/{rid}/{path}");
        let (s, answer) = call(&app, Method::POST, &path, t, Some(body)).await?;
        assert_eq!(s, 422, "{path}: {answer}");
    }
    assert_eq!(status_of(&app, &rid).await?, "awaiting_verification");
    let note = "she answered from cleo.subject@example.com with her order number";
    // Invisible characters around the words are dropped, not kept.
    let checked = json!({"to": "in_progress", "reason": format!("\u{200b}{note}\u{1b}")});
    let (s, body) = call(&app, Method::POST, &start, t, Some(checked)).await?;
    assert_eq!(
        (s, body["verified_by"].as_str()),
        (200, Some("staff")),
        "{body}"
    );
    assert_eq!(body["verification_note"], note);
    assert!(body["verified_at"].is_string(), "{body}");
    assert_eq!(
        body["status_reason"],
        Value::Null,
        "the note is not a status reason"
    );
    let (_, seen) = call(
        &app,
        Method::GET,
        &format!("/admin/api/v1/requests/{rid}"),
        Some(support.as_str()),
        None,
    )
    .await?;
    let masked = seen["request"]["verification_note"]
        .as_str()
        .unwrap_or_default();
    assert!(
        !masked.contains("cleo.subject@example.com") && masked.contains("order number"),
        "{seen}"
    );
    Ok(())
}
backend_test!(staff_verify_an_unconfirmed_request_only_saying_how);
