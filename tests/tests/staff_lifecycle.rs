//! Staff offboarding: an admin API token expires (90 days by default), a rotated token
//! stops at once, a revoked member gets 401 on the next call, and a member who left cannot
//! be given a new token; every step is audited.

use anyhow::Result;
use heepr_core::identity::staff::{self, DEFAULT_TOKEN_TTL_MS, StaffRole};
use heepr_tests::{Backend, TestApp, backend_test};

async fn status(app: &TestApp, token: &str) -> Result<u16> {
    let r = app
        .client()?
        .get(app.url("/admin/api/v1/requests"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await?;
    Ok(r.status().as_u16())
}

async fn staff_tokens_expire_rotate_and_revoke(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let now = app.clock_now();
    let (_, token) = staff::create(
        &app.state.db,
        "dpo@heepr.example",
        StaffRole::PrivacyOfficer,
        now,
    )
    .await?;
    assert_eq!(status(&app, &token).await?, 200);

    // Expiry: the default token works up to its 90th day, not after.
    app.clock.advance_ms(DEFAULT_TOKEN_TTL_MS - 1);
    assert_eq!(status(&app, &token).await?, 200);
    app.clock.advance_ms(1);
    assert_eq!(
        status(&app, &token).await?,
        401,
        "an expired token is refused"
    );

    // Rotation: a fresh token; any old one stops at once.
    let now = app.clock_now();
    let (_, fresh) = staff::rotate(
        &app.state.db,
        "dpo@heepr.example",
        24 * 3_600_000,
        &heepr_compliance::audit::AuditActor::CLI,
        now,
    )
    .await?;
    assert_eq!(status(&app, &fresh).await?, 200);
    let (_, second) = staff::rotate(
        &app.state.db,
        "dpo@heepr.example",
        24 * 3_600_000,
        &heepr_compliance::audit::AuditActor::CLI,
        now,
    )
    .await?;
    assert_eq!(
        status(&app, &fresh).await?,
        401,
        "a rotated-out token is refused at once"
    );
    assert_eq!(status(&app, &second).await?, 200);

    let listed = staff::list(&app.state.db, app.clock_now()).await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].active_tokens, 1);
    assert!(listed[0].last_used_at.is_some());
    assert!(listed[0].deactivated_at.is_none());

    // Offboarding: every token revoked, the account deactivated, no new token for it.
    let (_, revoked) = staff::revoke(
        &app.state.db,
        "dpo@heepr.example",
        &heepr_compliance::audit::AuditActor::CLI,
        app.clock_now(),
    )
    .await?;
    assert_eq!(revoked, 1);
    assert_eq!(
        status(&app, &second).await?,
        401,
        "a revoked member is refused at once"
    );
    let refused = staff::rotate(
        &app.state.db,
        "dpo@heepr.example",
        24 * 3_600_000,
        &heepr_compliance::audit::AuditActor::CLI,
        app.clock_now(),
    )
    .await;
    assert!(matches!(
        refused,
        Err(heepr_core::platform::error::AppError::Conflict {
            code: "staff_deactivated",
            ..
        })
    ));
    let listed = staff::list(&app.state.db, app.clock_now()).await?;
    assert_eq!(listed[0].active_tokens, 0);
    assert!(listed[0].deactivated_at.is_some());

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'staff.%' ORDER BY seq")
            .fetch_all(app.pool())
            .await?;
    assert_eq!(
        actions,
        [
            "staff.create",
            "staff.rotate",
            "staff.rotate",
            "staff.revoke"
        ]
    );
    Ok(())
}
backend_test!(staff_tokens_expire_rotate_and_revoke);

/// The audit trail (kept for the platform's life, kept on erasure) never holds what a caller
/// typed into an admin path: an email or a name in place of an id is withheld.
async fn typed_paths_never_reach_the_audit_trail(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let r = app
        .client()?
        .get(app.url("/admin/api/v1/accounts/kate.private@example.com"))
        .send()
        .await?;
    assert_eq!(r.status(), 401);
    let long = "A".repeat(3000);
    let r = app
        .client()?
        .get(app.url(&format!("/admin/api/v1/requests/{long}")))
        .send()
        .await?;
    assert_eq!(r.status(), 401);
    let rows: Vec<(Option<String>, Option<String>, String)> = sqlx::query_as(
        "SELECT subject_account_id, request_id, details FROM audit_log WHERE action LIKE 'GET %'",
    )
    .fetch_all(app.pool())
    .await?;
    assert_eq!(rows.len(), 2, "every call is still audited");
    for (subject, request, details) in rows {
        assert!(
            subject.is_none() && request.is_none(),
            "{subject:?} {request:?}"
        );
        assert!(
            !details.contains("kate") && !details.contains("AAAA"),
            "{details}"
        );
    }
    Ok(())
}
backend_test!(typed_paths_never_reach_the_audit_trail);

/// Support sees data subjects' emails masked, also where the subject wrote one into the
/// request's own text; a privacy officer sees the text as written.
async fn support_sees_emails_in_request_text_masked(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let now = app.clock_now();
    let (_, officer) = staff::create(
        &app.state.db,
        "dpo@heepr.example",
        StaffRole::PrivacyOfficer,
        now,
    )
    .await?;
    let (_, support) =
        staff::create(&app.state.db, "help@heepr.example", StaffRole::Support, now).await?;
    app.member("Bob Masked", "bob.masked@example.com").await?;
    let r = app
        .client()?
        .post(app.url("/admin/api/v1/requests"))
        .header("Authorization", format!("Bearer {officer}"))
        .json(
            &serde_json::json!({"email": "bob.masked@example.com", "kind": "access",
               "details": "My old address was bob.old@gmail.test, please include it."}),
        )
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let details = |token: String| {
        let app = &app;
        async move {
            let list: heepr_admin_api::RequestList = app
                .client()?
                .get(app.url("/admin/api/v1/requests"))
                .header("Authorization", format!("Bearer {token}"))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(list.requests[0].details.clone().unwrap_or_default())
        }
    };
    let seen = details(support).await?;
    assert!(!seen.contains("bob.old@gmail.test"), "{seen}");
    assert!(seen.contains("b***@gmail.test"), "{seen}");
    assert!(details(officer).await?.contains("bob.old@gmail.test"));
    Ok(())
}
backend_test!(support_sees_emails_in_request_text_masked);
