//! Sign-in with Google, GitHub and Facebook against a small provider running on 127.0.0.1
//! inside the test: authorization endpoint (records the PKCE challenge), token endpoint
//! (checks client secret, redirect URI and PKCE verifier, each code usable once), profile
//! endpoint (bearer token).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, ensure};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use heepr_compliance::data_map::TableErasure;
use heepr_core::platform::settings::OAuthProviderConfig;
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

struct Grant {
    provider: String,
    challenge: String,
    redirect_uri: String,
    profile: Value,
}

/// The fake provider's memory.
#[derive(Default)]
struct Fake {
    /// Profile each provider returns next, by provider name.
    profiles: Mutex<HashMap<String, Value>>,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, Value>>,
}

type Shared = Arc<Fake>;

async fn authorize(
    State(fake): State<Shared>,
    Path(provider): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| q.get(k).cloned().unwrap_or_default();
    if field("response_type") != "code"
        || field("client_id") != format!("client-{provider}")
        || field("code_challenge_method") != "S256"
        || field("code_challenge").is_empty()
        || field("state").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let profile = fake
        .profiles
        .lock()
        .ok()
        .and_then(|p| p.get(&provider).cloned())
        .unwrap_or(Value::Null);
    let code = uuid::Uuid::new_v4().simple().to_string();
    if let Ok(mut codes) = fake.codes.lock() {
        codes.insert(
            code.clone(),
            Grant {
                provider,
                challenge: field("code_challenge"),
                redirect_uri: field("redirect_uri"),
                profile,
            },
        );
    }
    let to = format!(
        "{}?code={code}&state={}",
        field("redirect_uri"),
        field("state")
    );
    Redirect::to(&to).into_response()
}

async fn token(
    State(fake): State<Shared>,
    Path(provider): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let refuse = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": why})),
        )
            .into_response()
    };
    // Each code is usable once: removed on first use.
    let Some(grant) = fake
        .codes
        .lock()
        .ok()
        .and_then(|mut c| c.remove(&field("code")))
    else {
        return refuse("unknown or used code");
    };
    if grant.provider != provider
        || field("grant_type") != "authorization_code"
        || field("client_id") != format!("client-{provider}")
        || field("client_secret") != format!("secret-{provider}")
        || field("redirect_uri") != grant.redirect_uri
    {
        return refuse("client or redirect mismatch");
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if computed != grant.challenge {
        return refuse("PKCE verifier does not match the challenge");
    }
    let access = uuid::Uuid::new_v4().simple().to_string();
    if let Ok(mut tokens) = fake.tokens.lock() {
        tokens.insert(access.clone(), grant.profile);
    }
    Json(json!({"access_token": access, "token_type": "bearer", "expires_in": 3600}))
        .into_response()
}

async fn userinfo(State(fake): State<Shared>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    match fake
        .tokens
        .lock()
        .ok()
        .and_then(|t| t.get(&bearer).cloned())
    {
        Some(profile) => Json(profile).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// Starts the fake provider; returns its memory and base URL.
async fn start_provider() -> Result<(Shared, String)> {
    let fake: Shared = Arc::default();
    let router = Router::new()
        .route("/{provider}/authorize", get(authorize))
        .route("/{provider}/token", post(token))
        .route("/{provider}/userinfo", get(userinfo))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((fake, base))
}

/// heepr with all three providers pointed at the fake one.
async fn spawn(backend: &Backend) -> Result<(TestApp, Shared)> {
    let (fake, base) = start_provider().await?;
    let config = |p: &str| OAuthProviderConfig {
        client_id: format!("client-{p}"),
        client_secret: format!("secret-{p}"),
        auth_url: format!("{base}/{p}/authorize"),
        token_url: format!("{base}/{p}/token"),
        userinfo_url: format!("{base}/{p}/userinfo"),
    };
    let app = TestApp::spawn_with(backend, |s| {
        s.oauth.google = Some(config("google"));
        s.oauth.github = Some(config("github"));
        s.oauth.facebook = Some(config("facebook"));
    })
    .await?;
    Ok((app, fake))
}

fn set_profile(fake: &Shared, provider: &str, profile: Value) {
    if let Ok(mut p) = fake.profiles.lock() {
        p.insert(provider.to_owned(), profile);
    }
}

fn location(response: &reqwest::Response) -> Result<String> {
    Ok(response
        .headers()
        .get("location")
        .context("no Location header")?
        .to_str()?
        .to_owned())
}

/// Follows heepr's redirect to the provider and the provider's back to heepr's callback;
/// returns the callback URL (not yet requested).
async fn through_provider(client: &reqwest::Client, started: reqwest::Response) -> Result<String> {
    ensure!(started.status() == 303, "start: {}", started.status());
    let authorize = location(&started)?;
    let answer = client.get(&authorize).send().await?;
    ensure!(
        answer.status().is_redirection(),
        "provider: {}",
        answer.status()
    );
    location(&answer)
}

async fn start_sign_in(app: &TestApp, client: &reqwest::Client, provider: &str) -> Result<String> {
    let started = client
        .get(app.url(&format!("/auth/{provider}/start")))
        .send()
        .await?;
    through_provider(client, started).await
}

/// A whole sign-in round trip; returns the callback URL and where heepr sent the browser.
async fn sign_in_via(
    app: &TestApp,
    client: &reqwest::Client,
    provider: &str,
) -> Result<(String, String)> {
    let callback = start_sign_in(app, client, provider).await?;
    let landed = finish(client, callback.clone()).await?;
    Ok((callback, landed))
}

/// `GET /api/v1/me` as `client`.
async fn get_me(app: &TestApp, client: &reqwest::Client) -> Result<Value> {
    Ok(client
        .get(app.url("/api/v1/me"))
        .send()
        .await?
        .json()
        .await?)
}

/// The body of `url`.
async fn page_text(client: &reqwest::Client, url: &str) -> Result<String> {
    Ok(client.get(url).send().await?.text().await?)
}

/// Requests the callback URL; returns where heepr sent the browser.
async fn finish(client: &reqwest::Client, callback: String) -> Result<String> {
    let answer = client.get(&callback).send().await?;
    location(&answer).with_context(|| format!("callback: {}", answer.status()))
}

async fn provider_sign_up_asks_16_plus_then_signs_in(backend: Backend) -> Result<()> {
    let (app, fake) = spawn(&backend).await?;
    let cases = [
        (
            "github",
            json!({"id": 4242, "login": "ada", "name": "Ada L", "email": "ada@example.com"}),
            "\"login\":\"ada\"",
        ),
        (
            "google",
            json!({"sub": "g-1", "name": "Grace H", "email": "grace@example.com", "email_verified": true}),
            "\"sub\":\"g-1\"",
        ),
        (
            "facebook",
            json!({"id": "fb-7", "name": "Hedy L", "email": "hedy@example.com"}),
            "\"id\":\"fb-7\"",
        ),
    ];
    for (provider, profile, stored) in cases {
        let email = profile["email"].as_str().context("email")?.to_owned();
        let name = profile["name"].as_str().context("name")?.to_owned();
        set_profile(&fake, provider, profile);
        let client = app.client()?;

        // Without the 16+ confirmation: refused, and the provider's profile is not kept.
        let (_, landed) = sign_in_via(&app, &client, provider).await?;
        ensure!(landed == "/auth/signup", "{provider}: {landed}");
        let form = page_text(&client, &app.url("/auth/signup")).await?;
        ensure!(
            form.contains(&email) && form.contains(&name),
            "{provider}: form not prefilled"
        );
        let refused = client
            .post(app.url("/auth/signup"))
            .form(&[("display_name", name.as_str()), ("email", email.as_str())])
            .send()
            .await?;
        ensure!(refused.status() == 422, "{provider}: {}", refused.status());
        ensure!(refused.text().await?.contains("16 or older"));
        ensure!(
            app.count(
                "SELECT COUNT(*) FROM sign_in_flows WHERE provider = $1",
                provider
            )
            .await?
                == 0
        );
        ensure!(
            app.count("SELECT COUNT(*) FROM accounts WHERE email = $1", &email)
                .await?
                == 0
        );

        // With it: an address the provider vouches for gets the account at once, signed
        // in. Google says the address is verified and Facebook shares only confirmed ones;
        // GitHub's public profile address proves nothing, so that sign-up creates nothing
        // until the link mailed to the address is followed.
        let (callback, landed) = sign_in_via(&app, &client, provider).await?;
        ensure!(landed == "/auth/signup");
        let created = client
            .post(app.url("/auth/signup"))
            .form(&[
                ("display_name", name.as_str()),
                ("email", email.as_str()),
                ("age_16_or_over", "yes"),
                ("accept_terms", "yes"),
            ])
            .send()
            .await?;
        if provider == "github" {
            ensure!(created.status() == 200, "{}", created.status());
            ensure!(created.text().await?.contains("Check your email"));
            ensure!(
                app.count("SELECT COUNT(*) FROM accounts WHERE email = $1", &email)
                    .await?
                    == 0,
                "nothing is created before the link is followed"
            );
            follow_signup_link(&app, &email).await?;
            ensure!(sign_in_via(&app, &client, provider).await?.1 == "/dashboard");
        } else {
            ensure!(
                location(&created)? == "/dashboard",
                "{provider}: {}",
                created.status()
            );
        }
        let me = get_me(&app, &client).await?;
        ensure!(me["email"] == email.as_str(), "{me}");
        ensure!(me["email_verified"] == true, "{provider}: {me}");
        let account_id = me["id"].as_str().context("id")?.to_owned();
        let profile_json: String = sqlx::query_scalar(
            "SELECT profile_json FROM sign_in_identities WHERE account_id = $1 AND provider = $2",
        )
        .bind(&account_id)
        .bind(provider)
        .fetch_one(app.pool())
        .await?;
        ensure!(
            profile_json.replace(' ', "").contains(stored),
            "{profile_json}"
        );

        // The same callback again (replayed state and code) is refused.
        let replay = client.get(&callback).send().await?;
        ensure!(
            replay.status() == 400,
            "{provider} replay: {}",
            replay.status()
        );

        // A later sign-in goes straight to the dashboard, as the same account.
        let other = app.client()?;
        ensure!(sign_in_via(&app, &other, provider).await?.1 == "/dashboard");
        let me = get_me(&app, &other).await?;
        ensure!(me["id"] == account_id.as_str());
    }

    Ok(())
}
backend_test!(provider_sign_up_asks_16_plus_then_signs_in);

/// A provider vouches only for the exact mailbox it returned; and a vouched address that an
/// account already has is the person's own, so they are told to log in and link instead.
async fn a_provider_vouches_for_its_own_address_only(backend: Backend) -> Result<()> {
    let (app, fake) = spawn(&backend).await?;
    // The provider vouches for one mailbox only: `straße@` typed over the `strasse@` it
    // verified has the same matching key but is another mailbox, so it is not verified.
    set_profile(
        &fake,
        "google",
        json!({"sub": "g-2", "name": "Max S", "email": "strasse@example.com", "email_verified": true}),
    );
    let max = app.client()?;
    ensure!(sign_in_via(&app, &max, "google").await?.1 == "/auth/signup");
    let created = max
        .post(app.url("/auth/signup"))
        .form(&[
            ("display_name", "Max S"),
            ("email", "straße@example.com"),
            ("age_16_or_over", "yes"),
            ("accept_terms", "yes"),
        ])
        .send()
        .await?;
    ensure!(created.status() == 200, "{}", created.status());
    ensure!(created.text().await?.contains("Check your email"));
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM accounts WHERE email = $1",
            "straße@example.com"
        )
        .await?
            == 0
    );

    // The address the provider vouches for already has a password account (the person's
    // own): sign-up refused, log in and link instead.
    app.member("Existing", "taken@example.com").await?;
    set_profile(
        &fake,
        "google",
        json!({"sub": "g-99", "name": "X", "email": "taken@example.com", "email_verified": true}),
    );
    let client = app.client()?;
    let callback = start_sign_in(&app, &client, "google").await?;
    client.get(&callback).send().await?;
    let refused = client
        .post(app.url("/auth/signup"))
        .form(&[
            ("display_name", "X"),
            ("email", "taken@example.com"),
            ("age_16_or_over", "yes"),
            ("accept_terms", "yes"),
        ])
        .send()
        .await?;
    ensure!(refused.status() == 409, "{}", refused.status());
    ensure!(
        refused
            .text()
            .await?
            .contains("link Google from your dashboard")
    );
    Ok(())
}
backend_test!(a_provider_vouches_for_its_own_address_only);

/// Follows the newest provider sign-up link mailed to `email` (its page, then its button)
/// from a browser that is not signed in.
async fn follow_signup_link(app: &TestApp, email: &str) -> Result<()> {
    let link = heepr_tests::mail::link_to(app, email, "/auth/signup/confirm/").await?;
    let path = link
        .find("/auth/signup/confirm/")
        .map_or(link.as_str(), |at| &link[at..]);
    let browser = app.client()?;
    let page = browser.get(app.url(path)).send().await?;
    ensure!(page.status() == 200, "link page: {}", page.status());
    ensure!(page.text().await?.contains("Create my account"));
    let done = browser.post(app.url(path)).send().await?;
    ensure!(
        location(&done)? == "/auth/signup/confirmed/github",
        "{}",
        done.status()
    );
    let used = browser.post(app.url(path)).send().await?;
    ensure!(used.status() == 404, "a used link: {}", used.status());
    Ok(())
}

/// What a provider sign-up with a typed address answers, and what signing in again then
/// finds: the status, the page's text with the address taken out, and where the second
/// sign-in lands.
async fn typed_sign_up(
    app: &TestApp,
    fake: &Shared,
    github_id: u64,
    email: &str,
) -> Result<(u16, String, String)> {
    set_profile(
        fake,
        "github",
        json!({"id": github_id, "login": format!("probe{github_id}"), "email": format!("probe{github_id}@example.org")}),
    );
    let client = app.client()?;
    ensure!(sign_in_via(app, &client, "github").await?.1 == "/auth/signup");
    let answer = client
        .post(app.url("/auth/signup"))
        .form(&[
            ("display_name", "Probe"),
            ("email", email),
            ("age_16_or_over", "yes"),
            ("accept_terms", "yes"),
        ])
        .send()
        .await?;
    let status = answer.status().as_u16();
    let text = answer.text().await?.replace(email, "ADDRESS");
    let again = app.client()?;
    let landed = sign_in_via(app, &again, "github").await?.1;
    Ok((status, text, landed))
}

/// Regression (issue 14 §3): a provider sign-up with a typed address answered 409
/// `email_taken` when an account had it, so anyone with a GitHub account could learn who
/// is a member; answering neutrally was not enough, since signing in again found the new
/// account in one case and none in the other. Now both cases answer the same page and a
/// second sign-in lands on the sign-up form in both; the address's owner is told.
async fn a_typed_address_does_not_tell_whether_it_has_an_account(backend: Backend) -> Result<()> {
    let (app, fake) = spawn(&backend).await?;
    app.member("Vera Victim", "vera@example.com").await?;
    let taken = typed_sign_up(&app, &fake, 501, "vera@example.com").await?;
    let free = typed_sign_up(&app, &fake, 502, "nobody@example.com").await?;
    ensure!(taken == free, "taken: {taken:?}\nfree: {free:?}");
    ensure!(taken.0 == 200 && taken.2 == "/auth/signup", "{taken:?}");
    ensure!(
        app.wait_for_count(
            "SELECT (SELECT COUNT(*) FROM email_outbox WHERE recipient = $1 AND template = 'signup_in_use') \
             + (SELECT COUNT(*) FROM email_log WHERE recipient = $1 AND template = 'signup_in_use')",
            "vera@example.com",
            1,
        )
        .await?
            == 1,
        "the address's owner is told"
    );
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM provider_signups WHERE email = $1",
            "vera@example.com"
        )
        .await?
            == 0,
        "nothing is stored for an address in use"
    );
    Ok(())
}
backend_test!(a_typed_address_does_not_tell_whether_it_has_an_account);

async fn state_and_pkce_are_checked(backend: Backend) -> Result<()> {
    let (app, fake) = spawn(&backend).await?;
    set_profile(
        &fake,
        "github",
        json!({"id": 1, "login": "ada", "email": "ada@example.com"}),
    );

    // The authorization request carries a state and an S256 PKCE challenge.
    let client = app.client()?;
    let started = client.get(app.url("/auth/github/start")).send().await?;
    let authorize = location(&started)?;
    ensure!(authorize.contains("code_challenge_method=S256") && authorize.contains("state="));
    let set_cookie = started
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    ensure!(set_cookie.starts_with("heepr_sign_in=") && set_cookie.contains("HttpOnly"));
    let callback = through_provider(&client, started).await?;

    // Another browser (no cookie) cannot finish it.
    let stranger = app.client()?;
    let answer = stranger.get(&callback).send().await?;
    ensure!(answer.status() == 400, "stranger: {}", answer.status());
    ensure!(answer.text().await?.contains("state mismatch"));
    // A forged state is refused.
    let (before, _) = callback.split_once("state=").context("state")?;
    let forged = client.get(format!("{before}state=forged")).send().await?;
    ensure!(forged.status() == 400, "forged: {}", forged.status());
    // The genuine answer still works, once.
    let answer = client.get(&callback).send().await?;
    ensure!(location(&answer)? == "/auth/signup");
    let replay = client.get(&callback).send().await?;
    ensure!(replay.status() == 400);
    ensure!(replay.text().await?.contains("already used"));

    // PKCE: a verifier that does not match the challenge makes the provider refuse the code.
    let client = app.client()?;
    let callback = start_sign_in(&app, &client, "github").await?;
    sqlx::query("UPDATE sign_in_flows SET pkce_verifier = $1 WHERE status = 'started'")
        .bind("a".repeat(43))
        .execute(app.pool())
        .await?;
    let answer = client.get(&callback).send().await?;
    ensure!(answer.status() == 400, "bad verifier: {}", answer.status());
    ensure!(answer.text().await?.contains("code was refused"));

    // An answer after the round trip expired (10 minutes) is refused.
    let client = app.client()?;
    let callback = start_sign_in(&app, &client, "github").await?;
    app.clock.advance_ms(11 * 60_000);
    let answer = client.get(&callback).send().await?;
    ensure!(answer.status() == 400, "expired: {}", answer.status());

    // The provider refusing (person said no) is a clear 400.
    let client = app.client()?;
    client.get(app.url("/auth/github/start")).send().await?;
    let denied = client
        .get(app.url("/auth/github/callback?error=access_denied&state=x"))
        .send()
        .await?;
    ensure!(denied.status() == 400);
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM accounts WHERE email = $1",
            "ada@example.com"
        )
        .await?
            == 0
    );
    Ok(())
}
backend_test!(state_and_pkce_are_checked);

async fn linking_needs_the_password_and_identity_is_exported_and_erased(
    backend: Backend,
) -> Result<()> {
    let (app, fake) = spawn(&backend).await?;
    let (client, account) = app.member("Ada", "ada@example.com").await?;
    let account_id = account["id"].as_str().context("id")?.to_owned();
    set_profile(
        &fake,
        "github",
        json!({"id": 77, "login": "ada-gh", "name": "Ada GH", "email": "ada@users.example.com"}),
    );

    let wrong = client
        .post(app.url("/account/sign-in/github/link"))
        .form(&[("password", "not my password")])
        .send()
        .await?;
    ensure!(wrong.status() == 422, "wrong password: {}", wrong.status());
    ensure!(wrong.headers().get("location").is_none());
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM sign_in_flows WHERE account_id = $1",
            &account_id
        )
        .await?
            == 0
    );

    let started = client
        .post(app.url("/account/sign-in/github/link"))
        .form(&[("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    let landed = finish(&client, through_provider(&client, started).await?).await?;
    ensure!(landed == "/account/sign-in?linked=1", "{landed}");
    let page = page_text(&client, &app.url("/account/sign-in")).await?;
    ensure!(page.contains("ada@users.example.com"));

    // Signing in with GitHub now opens Ada's account.
    let other = app.client()?;
    ensure!(sign_in_via(&app, &other, "github").await?.1 == "/dashboard");
    let me = get_me(&app, &other).await?;
    ensure!(me["id"] == account_id.as_str());

    // The same GitHub account cannot be linked to a second heepr account.
    let (bob, _) = app.member("Bob", "bob@example.com").await?;
    let started = bob
        .post(app.url("/account/sign-in/github/link"))
        .form(&[("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    let callback = through_provider(&bob, started).await?;
    let taken = bob.get(&callback).send().await?;
    ensure!(taken.status() == 409, "{}", taken.status());

    // The owner sees the identity in the API, and unlinking it needs the password too.
    let listed: Value = client
        .get(app.url("/api/v1/me/sign-in-identities"))
        .send()
        .await?
        .json()
        .await?;
    ensure!(
        listed[0]["provider"] == "github" && listed[0]["email"] == "ada@users.example.com",
        "{listed}"
    );
    let unlink = |password: &'static str| {
        client
            .post(app.url("/account/sign-in/github/unlink"))
            .form(&[("password", password)])
            .send()
    };
    ensure!(unlink("not my password").await?.status() == 422);
    let count = "SELECT COUNT(*) FROM sign_in_identities WHERE account_id = $1";
    ensure!(app.count(count, &account_id).await? == 1);
    ensure!(unlink(DEFAULT_PASSWORD).await?.status() == 303);
    ensure!(app.count(count, &account_id).await? == 0);
    let started = client
        .post(app.url("/account/sign-in/github/link"))
        .form(&[("password", DEFAULT_PASSWORD)])
        .send()
        .await?;
    finish(&client, through_provider(&client, started).await?).await?;
    ensure!(app.count(count, &account_id).await? == 1);

    // Exported and erased by the DSR engine, which is driven by the data map: the identity
    // table is personal, linked by account_id, exported whole and deleted on erasure. Run
    // the same data-map-driven queries the engine runs.
    let spec = &app.state.policies.data_map.tables["sign_in_identities"];
    ensure!(spec.export == "sign_in_identities" && spec.erasure == TableErasure::Delete);
    let link = spec.links.first().context("link")?;
    let exported: Vec<&str> = spec
        .columns
        .iter()
        .filter(|(_, c)| c.exported())
        .map(|(n, _)| n.as_str())
        .collect();
    for column in [
        "provider",
        "subject",
        "email",
        "display_name",
        "profile_json",
    ] {
        ensure!(exported.contains(&column), "{column} not exported");
    }
    let select = format!(
        "SELECT {} FROM sign_in_identities WHERE {} = $1",
        exported.join(", "),
        link.column
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(select))
        .bind(&account_id)
        .fetch_all(app.pool())
        .await?;
    ensure!(rows.len() == 1);
    let profile: String = sqlx::Row::try_get(&rows[0], "profile_json")?;
    ensure!(profile.contains("ada-gh"));
    let delete = format!("DELETE FROM sign_in_identities WHERE {} = $1", link.column);
    sqlx::query(sqlx::AssertSqlSafe(delete))
        .bind(&account_id)
        .execute(app.pool())
        .await?;
    let again = app.client()?;
    ensure!(
        sign_in_via(&app, &again, "github").await?.1 == "/auth/signup",
        "erased identity still signs in"
    );
    Ok(())
}
backend_test!(linking_needs_the_password_and_identity_is_exported_and_erased);
