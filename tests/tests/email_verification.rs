//! Email verification at sign-up: no bonus and no orders before it; the link is single use
//! and expires; a resend replaces it, within limits; the bonus is credited exactly once.

use anyhow::{Result, ensure};
use heepr_tests::market::{balance, get, post, publish_agent, send};
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test, error_code, mail};
use serde_json::json;

const HOUR_MS: i64 = 3_600_000;

async fn bonus_entries(app: &TestApp, id: &str) -> Result<i64> {
    app.count(
        "SELECT COUNT(*) FROM ledger_transfers WHERE kind = 'signup_bonus' AND reference = $1",
        id,
    )
    .await
}

/// Deletes the signed-in `client`'s account `id` from the dashboard and waits for the
/// erasure to complete.
async fn delete_account(app: &TestApp, client: &reqwest::Client, id: &str) -> Result<()> {
    let r = client
        .post(app.url("/account/delete"))
        .form(&[("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    ensure!(r.status() == 303, "{}", r.status());
    app.wait_for_count(
        "SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1 AND kind = 'erasure' AND status = 'completed'",
        id,
        1,
    )
    .await?;
    Ok(())
}

backend_test!(the_bonus_and_ordering_wait_for_the_verified_address);
async fn the_bonus_and_ordering_wait_for_the_verified_address(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (owner, _) = app.member("Olivia Owner", "olivia@example.com").await?;
    let agent_id = publish_agent(&app, &owner, "Blog Writer", 100, "writing").await?;
    let carl = app.client()?;
    let account = app
        .sign_up_unverified(&carl, "Carl", "carl@example.com", DEFAULT_PASSWORD)
        .await?;
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    ensure!(account["email_verified"] == false && account["points_balance"] == 0);
    app.log_in(&carl, "carl@example.com", DEFAULT_PASSWORD)
        .await?;
    let order = json!({"agent_id": agent_id, "answers": {"topic": "Cats", "words": 500}});
    let (s, body) = post(&app, &carl, "/api/v1/orders", order.clone()).await?;
    ensure!(
        s == 403 && error_code(&body) == "email_unverified",
        "{s} {body}"
    );
    let dashboard = carl.get(app.url("/dashboard")).send().await?.text().await?;
    ensure!(
        dashboard.contains("Verify your email address"),
        "{dashboard}"
    );
    ensure!(dashboard.contains(r#"href="/account/verify""#));

    let link = mail::link_to(&app, "carl@example.com", "/account/verify/").await?;
    // Opening the link (a mail scanner) changes nothing; the button does.
    let page = app.client()?.get(&link).send().await?;
    ensure!(page.status() == 200);
    ensure!(balance(&app, &carl).await? == 0);
    let done = app.client()?.post(&link).send().await?;
    ensure!(done.status() == 303);
    ensure!(done.headers()["location"] == "/account/verified");
    ensure!(balance(&app, &carl).await? == 500);
    let (_, me) = get(&app, &carl, "/api/v1/me").await?;
    ensure!(me["email_verified"] == true, "{me}");
    // Single use: a second press finds no link and credits nothing more.
    let again = app.client()?.post(&link).send().await?;
    ensure!(again.status() == 404, "{}", again.status());
    // Opening it again says so, with no button that would fail, and where to go.
    let reopened = app.client()?.get(&link).send().await?;
    ensure!(reopened.status() == 404);
    let text = reopened.text().await?;
    ensure!(
        text.contains("used already") && !text.contains("Verify my email address</button>"),
        "{text}"
    );
    ensure!(bonus_entries(&app, &id).await? == 1);
    let (s, body) = post(&app, &carl, "/api/v1/orders", order).await?;
    ensure!(s == 201, "{s} {body}");
    let (s, body) = send(carl.post(app.url("/api/v1/me/email/verification"))).await?;
    ensure!(
        s == 409 && error_code(&body) == "already_verified",
        "{s} {body}"
    );
    Ok(())
}

backend_test!(an_expired_link_is_refused_and_a_resend_is_limited);
async fn an_expired_link_is_refused_and_a_resend_is_limited(backend: Backend) -> Result<()> {
    // Mail stays queued (its SMTP server refuses), so "the newest link" is the newest by
    // the app's clock: delivered files written within one timestamp tick cannot be ordered.
    let app = TestApp::spawn_with(&backend, |s| {
        s.mail_transport =
            heepr_core::platform::settings::MailTransportConfig::Smtp("smtp://127.0.0.1:9".into());
    })
    .await?;
    let dana = app.client()?;
    app.sign_up_unverified(&dana, "Dana", "dana@example.com", DEFAULT_PASSWORD)
        .await?;
    app.log_in(&dana, "dana@example.com", DEFAULT_PASSWORD)
        .await?;
    let first = mail::link_to(&app, "dana@example.com", "/account/verify/").await?;
    app.clock.advance_ms(48 * HOUR_MS + 1);
    let expired = app.client()?.post(&first).send().await?;
    ensure!(expired.status() == 410, "{}", expired.status());
    let page = app.client()?.get(&first).send().await?;
    ensure!(page.status() == 410);
    ensure!(page.text().await?.contains("has expired"));

    let resend = || send(dana.post(app.url("/api/v1/me/email/verification")));
    let (s, body) = resend().await?;
    ensure!(
        s == 202 && body["sent_to"] == "dana@example.com",
        "{s} {body}"
    );
    // One a minute: the next one at once is refused with when to try again.
    let (s, body) = resend().await?;
    ensure!(
        s == 429 && error_code(&body) == "too_many_requests",
        "{s} {body}"
    );
    for _ in 0..4 {
        app.clock.advance_ms(60_000);
        let (s, body) = resend().await?;
        ensure!(s == 202, "{s} {body}");
    }
    // Five in the window: the sixth waits for the window to end, even a minute later.
    app.clock.advance_ms(60_000);
    let (s, _) = resend().await?;
    ensure!(s == 429);
    // The page says so too, on its form, with the button still there.
    let page = dana.post(app.url("/account/verify")).send().await?;
    ensure!(page.status() == 429);
    let text = page.text().await?;
    ensure!(
        text.contains("too many attempts") && text.contains("Send a new link"),
        "{text}"
    );

    // Only the newest link works.
    let newest = mail::link_to(&app, "dana@example.com", "/account/verify/").await?;
    ensure!(newest != first);
    let done = app.client()?.post(&newest).send().await?;
    ensure!(done.status() == 303);
    ensure!(balance(&app, &dana).await? == 500);
    let page = dana
        .get(app.url("/account/verify"))
        .send()
        .await?
        .text()
        .await?;
    ensure!(page.contains("Your email address is verified"), "{page}");
    Ok(())
}

backend_test!(a_pending_link_goes_with_the_account_and_with_its_retention_period);
/// Policy: the `email_verifications` rule (4 days) and erasure = delete: an unverified
/// account that deletes itself leaves no link row, and one left alone loses it after 4 days.
async fn a_pending_link_goes_with_the_account_and_with_its_retention_period(
    backend: Backend,
) -> Result<()> {
    use heepr_compliance::sweep::{self, SweepOptions};
    let app = TestApp::spawn(&backend).await?;
    let rows = "SELECT COUNT(*) FROM email_verifications WHERE account_id = $1";
    let eve = app.client()?;
    let eve_id = app
        .sign_up_unverified(&eve, "Eve", "eve@example.com", DEFAULT_PASSWORD)
        .await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let fay = app.client()?;
    let fay_id = app
        .sign_up_unverified(&fay, "Fay", "fay@example.com", DEFAULT_PASSWORD)
        .await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ensure!(app.count(rows, &eve_id).await? == 1 && app.count(rows, &fay_id).await? == 1);

    app.log_in(&eve, "eve@example.com", DEFAULT_PASSWORD)
        .await?;
    delete_account(&app, &eve, &eve_id).await?;
    ensure!(
        app.count(rows, &eve_id).await? == 0,
        "erasure left the link row"
    );

    let options = SweepOptions::default();
    let sweep_at = |now: i64| {
        sweep::sweep_rule(
            &app.state.db,
            &app.state.policies,
            &app.clock,
            "email_verifications",
            now,
            &options,
            None,
        )
    };
    let day = 24 * HOUR_MS;
    sweep_at(app.clock_now() + 4 * day - 1000).await?;
    ensure!(app.count(rows, &fay_id).await? == 1, "swept before 4 days");
    let run = sweep_at(app.clock_now() + 4 * day + 1000).await?;
    ensure!(
        app.count(rows, &fay_id).await? == 0,
        "kept past 4 days: {run:?}"
    );
    Ok(())
}

backend_test!(a_deleted_accounts_address_earns_no_second_bonus_for_a_year);
/// Policy (`closed_addresses`, 365 days): deleting an account and signing up again with
/// the same address, or one that looks the same, earns no second sign-up bonus; only a
/// keyed hash is kept (never the address), and after the period the address earns one
/// again and the sweep deletes the hash.
async fn a_deleted_accounts_address_earns_no_second_bonus_for_a_year(
    backend: Backend,
) -> Result<()> {
    use heepr_compliance::sweep::{self, SweepOptions};
    let app = TestApp::spawn(&backend).await?;
    let (first, account) = app.member("Gil", "gil@example.com").await?;
    ensure!(balance(&app, &first).await? == 500);
    delete_account(&app, &first, account["id"].as_str().unwrap_or_default()).await?;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT address_hmac FROM closed_addresses")
        .fetch_all(app.pool())
        .await?;
    ensure!(
        hashes.len() == 1 && !hashes[0].contains("gil"),
        "{hashes:?}"
    );

    let (again, account) = app.member("Gil", "GIL@Example.com").await?;
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    let (_, me) = get(&app, &again, "/api/v1/me").await?;
    ensure!(me["email_verified"] == true, "{me}");
    ensure!(
        balance(&app, &again).await? == 0,
        "a second bonus was credited"
    );
    ensure!(bonus_entries(&app, &id).await? == 0);
    delete_account(&app, &again, &id).await?;

    // 366 days later the address earns a bonus again, and the sweep
    // deletes the hash.
    app.clock.advance_ms(366 * 24 * HOUR_MS);
    let (third, _) = app.member("Gil", "gil@example.com").await?;
    ensure!(balance(&app, &third).await? == 500);
    let options = SweepOptions::default();
    let run = sweep::sweep_rule(
        &app.state.db,
        &app.state.policies,
        &app.clock,
        "closed_addresses",
        app.clock_now(),
        &options,
        None,
    )
    .await?;
    ensure!(run.rows_affected() == 1, "{run:?}");
    Ok(())
}

backend_test!(a_mistyped_address_is_corrected_and_verified_by_the_change_link);
/// Someone who signed up with a mistyped address changes it: the change's link, followed
/// from the new address, verifies it (bonus credited), and a verification link sent to the
/// old address no longer verifies anything.
async fn a_mistyped_address_is_corrected_and_verified_by_the_change_link(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let hal = app.client()?;
    app.sign_up_unverified(&hal, "Hal", "hal@exmaple.com", DEFAULT_PASSWORD)
        .await?;
    app.log_in(&hal, "hal@exmaple.com", DEFAULT_PASSWORD)
        .await?;
    let old_link = mail::link_to(&app, "hal@exmaple.com", "/account/verify/").await?;
    let (s, body) = post(
        &app,
        &hal,
        "/api/v1/me/email",
        json!({"new_email": "hal@example.com", "password": DEFAULT_PASSWORD}),
    )
    .await?;
    ensure!(s == 202, "{s} {body}");
    let change = mail::link_to(&app, "hal@example.com", "/account/email/confirm/").await?;
    let done = app.client()?.post(&change).send().await?;
    ensure!(done.status() == 200, "{}", done.status());
    let (_, me) = get(&app, &hal, "/api/v1/me").await?;
    ensure!(
        me["email"] == "hal@example.com" && me["email_verified"] == true,
        "{me}"
    );
    ensure!(balance(&app, &hal).await? == 500);
    let stale = app.client()?.post(&old_link).send().await?;
    ensure!(stale.status() == 404, "{}", stale.status());
    ensure!(balance(&app, &hal).await? == 500);
    Ok(())
}

backend_test!(an_address_left_by_an_email_change_earns_no_second_bonus);
/// Found by a fresh pass: sign up, change the address, delete the account, sign up with the
/// first address again, and a second bonus was credited (only the address held at deletion
/// was remembered). Now the address a verified account leaves is remembered too.
async fn an_address_left_by_an_email_change_earns_no_second_bonus(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let (frank, account) = app.member("Frank", "frank@example.com").await?;
    ensure!(balance(&app, &frank).await? == 500);
    let (s, body) = post(
        &app,
        &frank,
        "/api/v1/me/email",
        json!({"new_email": "frank.alt@example.com", "password": DEFAULT_PASSWORD}),
    )
    .await?;
    ensure!(s == 202, "{s} {body}");
    let change = mail::link_to(&app, "frank.alt@example.com", "/account/email/confirm/").await?;
    ensure!(app.client()?.post(&change).send().await?.status() == 200);
    delete_account(&app, &frank, account["id"].as_str().unwrap_or_default()).await?;
    let (again, _) = app.member("Frank", "frank@example.com").await?;
    ensure!(
        balance(&app, &again).await? == 0,
        "a second bonus at the first address"
    );
    Ok(())
}
