//! The site as a visitor meets it: every page the navigation and footer promise answers,
//! the one stylesheet is content-hashed and cached for a year, robots.txt and security.txt
//! are there, every response carries the security headers, and sign-up requires accepting
//! the terms.

use anyhow::{Context, Result, ensure};
use heepr_tests::{Backend, DEFAULT_PASSWORD, TestApp, backend_test};
use scraper::{Html, Selector};
use serde_json::{Value, json};

/// Every page the seed's navigation and footer promise.
const PROMISED: &[&str] = &[
    "/agents",
    "/categories",
    "/how-it-works",
    "/owners",
    "/docs/skill-spec",
    "/docs/api",
    "/faq",
    "/about",
    "/beta",
    "/contact",
    "/terms",
    "/privacy",
    "/acceptable-use",
    "/cookies",
    "/subprocessors",
];

fn selector(css: &str) -> Result<Selector> {
    Selector::parse(css).map_err(|e| anyhow::anyhow!("selector {css}: {e}"))
}

/// The `href`s of the elements `css` selects in `html`.
fn links(html: &str, css: &str) -> Result<Vec<String>> {
    let doc = Html::parse_document(html);
    let sel = selector(css)?;
    Ok(doc
        .select(&sel)
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect())
}

async fn get_text(client: &reqwest::Client, url: &str) -> Result<(u16, String)> {
    let r = client.get(url).send().await?;
    Ok((r.status().as_u16(), r.text().await?))
}

backend_test!(every_promised_page_is_in_the_footer_and_answers);
async fn every_promised_page_is_in_the_footer_and_answers(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let visitor = app.client()?;
    let (status, landing) = get_text(&visitor, &app.url("/")).await?;
    ensure!(status == 200);
    let footer = links(&landing, "footer a[href]")?;
    for page in PROMISED {
        ensure!(
            footer.iter().any(|href| href == page),
            "{page} is not linked from the footer: {footer:?}"
        );
    }
    let nav = links(&landing, "header a[href]")?;
    for page in [
        "/how-it-works",
        "/categories",
        "/agents",
        "/faq",
        "/owners",
        "/login",
    ] {
        ensure!(
            nav.iter().any(|h| h == page),
            "{page} not in the header: {nav:?}"
        );
    }
    // Every link of header and footer answers 200 itself: no redirect to a login, no 404.
    let mut all = footer.clone();
    all.extend(nav);
    for href in &all {
        let (status, html) = get_text(&visitor, &app.url(href)).await?;
        ensure!(status == 200, "{href} answered {status}");
        let doc = Html::parse_document(&html);
        let h1 = doc.select(&selector("h1")?).count();
        ensure!(h1 >= 1, "{href} has no heading");
        // A strict CSP holds: no inline style or script on any page.
        ensure!(
            !html.contains("<style") && !html.contains(" style=") && !html.contains("<script"),
            "{href} has inline style or script"
        );
    }
    // The landing page carries the seed's copy for both audiences.
    for copy in [
        "Put AI to work.",
        "Hire an agent.",
        "Make your AI a gig worker.",
        "Five-step wizard",
        "Claude Code, Cursor, Cline, or your own runner",
        "Beta runs on points",
    ] {
        ensure!(landing.contains(copy), "the landing page lacks {copy:?}");
    }
    // The API reference lists every operation of the OpenAPI document.
    let (_, reference) = get_text(&visitor, &app.url("/docs/api")).await?;
    let doc: Value = visitor
        .get(app.url("/api/openapi.json"))
        .send()
        .await?
        .json()
        .await?;
    let paths = doc["paths"].as_object().context("paths")?;
    for (path, item) in paths {
        for method in item.as_object().context("item")?.keys() {
            let id = format!(
                "id=\"{method}{}\"",
                path.replace(['/', '{', '}'], "-").trim_end_matches('-')
            );
            ensure!(
                reference.contains(&id),
                "{method} {path} missing from /docs/api"
            );
        }
    }
    ensure!(reference.contains("accept_terms"));
    // The skill spec is a page, not a download.
    let spec = visitor.get(app.url("/docs/skill-spec")).send().await?;
    ensure!(
        spec.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"))
    );
    ensure!(spec.text().await?.contains("<h2>SKILL.md</h2>"));
    // The terms and acceptable use policy are the policy files, versioned.
    let terms_version = app
        .state
        .policies
        .terms
        .current()
        .map(|v| v.version.clone())
        .context("terms version")?;
    let (_, terms) = get_text(&visitor, &app.url("/terms")).await?;
    ensure!(
        terms.contains("Terms of service") && terms.contains(&format!("Version {terms_version}"))
    );
    let (status, _) = get_text(
        &visitor,
        &app.url(&format!("/terms/versions/{terms_version}")),
    )
    .await?;
    ensure!(status == 200);
    let (_, aup) = get_text(&visitor, &app.url("/acceptable-use")).await?;
    ensure!(aup.contains("Acceptable use policy"));
    // Signed in, the header keeps orders, dashboard and log out, and Owners is the console.
    let (member, _) = app.member("Ada", "ada@example.com").await?;
    let (_, signed_in) = get_text(&member, &app.url("/")).await?;
    let header = links(&signed_in, "header a[href]")?;
    for page in ["/orders", "/dashboard", "/owner/agents"] {
        ensure!(header.iter().any(|h| h == page), "{page}: {header:?}");
    }
    ensure!(signed_in.contains("Log out"));
    Ok(())
}

backend_test!(the_stylesheet_is_hashed_and_cached_for_a_year);
async fn the_stylesheet_is_hashed_and_cached_for_a_year(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let visitor = app.client()?;
    let (_, landing) = get_text(&visitor, &app.url("/")).await?;
    let sheets = links(&landing, "link[rel=stylesheet]")?;
    ensure!(sheets.len() == 1, "{sheets:?}");
    let href = &sheets[0];
    let hash = href
        .strip_prefix("/assets/site-")
        .and_then(|h| h.strip_suffix(".css"))
        .context("not a hashed stylesheet URL")?;
    ensure!(
        hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{href}"
    );
    let r = visitor.get(app.url(href)).send().await?;
    ensure!(r.status() == 200);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    ensure!(header("content-type").starts_with("text/css"));
    ensure!(header("cache-control") == "public, max-age=31536000, immutable");
    let css = r.text().await?;
    use sha2::Digest;
    ensure!(hex::encode(sha2::Sha256::digest(css.as_bytes())).starts_with(hash));
    ensure!(css.contains("prefers-color-scheme: dark") && css.contains(":focus-visible"));
    // Another hash is not this stylesheet: 404, never cached.
    let stale = visitor
        .get(app.url("/assets/site-0000000000000000.css"))
        .send()
        .await?;
    ensure!(stale.status() == 404);
    for icon in ["/favicon.ico", "/favicon.svg"] {
        let r = visitor.get(app.url(icon)).send().await?;
        ensure!(r.status() == 200, "{icon}");
    }
    Ok(())
}

backend_test!(robots_sitemap_and_security_txt);
async fn robots_sitemap_and_security_txt(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let visitor = app.client()?;
    let (status, robots) = get_text(&visitor, &app.url("/robots.txt")).await?;
    ensure!(
        status == 200 && robots.contains("User-agent: *") && robots.contains("Disallow: /api/")
    );
    let (status, sitemap) = get_text(&visitor, &app.url("/sitemap.txt")).await?;
    ensure!(status == 200 && sitemap.contains(&app.url("/how-it-works")));
    let (status, security) = get_text(&visitor, &app.url("/.well-known/security.txt")).await?;
    ensure!(status == 200, "{status}");
    let field = |name: &str| {
        security
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(str::to_string)
    };
    ensure!(
        field("Contact").is_some_and(|c| c.starts_with("mailto:")),
        "{security}"
    );
    ensure!(field("Canonical") == Some(app.url("/.well-known/security.txt")));
    let expires = field("Expires").context("no Expires")?;
    let expires = chrono::DateTime::parse_from_rfc3339(&expires)?.timestamp_millis();
    let now = app.clock_now();
    // RFC 9116: in the future, and less than a year ahead.
    ensure!(
        expires > now && expires - now < 365 * 86_400_000,
        "{security}"
    );
    Ok(())
}

fn header_of(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn assert_security_headers(r: &reqwest::Response, what: &str) -> Result<()> {
    let csp = header_of(r, "content-security-policy").context(format!("{what}: no CSP"))?;
    ensure!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    ensure!(
        header_of(r, "x-content-type-options").as_deref() == Some("nosniff"),
        "{what}"
    );
    ensure!(
        header_of(r, "x-frame-options").as_deref() == Some("DENY"),
        "{what}"
    );
    ensure!(
        header_of(r, "referrer-policy").as_deref() == Some("strict-origin-when-cross-origin"),
        "{what}"
    );
    let permissions = header_of(r, "permissions-policy").unwrap_or_default();
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        ensure!(permissions.contains(feature), "{what}: {permissions}");
    }
    Ok(())
}

/// Uploads `bytes` as `name` for `member`, then downloads it back.
async fn upload_and_download(
    app: &TestApp,
    member: &reqwest::Client,
    bytes: &[u8],
    name: &str,
) -> Result<reqwest::Response> {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
    );
    let up: Value = member
        .post(app.url("/api/v1/files"))
        .multipart(form)
        .send()
        .await?
        .json()
        .await?;
    let id = up["files"][0]["id"].as_str().context("file id")?;
    Ok(member
        .get(app.url(&format!("/api/v1/files/{id}")))
        .send()
        .await?)
}

backend_test!(security_headers_on_pages_api_and_downloads);
async fn security_headers_on_pages_api_and_downloads(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let visitor = app.client()?;
    let page = visitor.get(app.url("/")).send().await?;
    assert_security_headers(&page, "page")?;
    let csp = header_of(&page, "content-security-policy").unwrap_or_default();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ] {
        ensure!(csp.contains(directive), "{csp}");
    }
    ensure!(
        header_of(&page, "strict-transport-security").is_none(),
        "HSTS over http"
    );
    let api = visitor.get(app.url("/api/v1/me")).send().await?;
    ensure!(api.status() == 401);
    assert_security_headers(&api, "API")?;
    let missing = visitor.get(app.url("/no/such/page")).send().await?;
    ensure!(missing.status() == 404);
    assert_security_headers(&missing, "404")?;

    // An uploaded HTML file is sniffed as HTML, and downloaded as bytes to save, not a page.
    let (member, _) = app.member("Ada", "ada@example.com").await?;
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";
    let download = upload_and_download(&app, &member, html, "page.html").await?;
    ensure!(download.status() == 200);
    assert_security_headers(&download, "download")?;
    ensure!(
        header_of(&download, "content-type").as_deref() == Some("application/octet-stream"),
        "{:?}",
        header_of(&download, "content-type")
    );
    ensure!(
        header_of(&download, "content-disposition").is_some_and(|d| d.starts_with("attachment")),
    );
    ensure!(header_of(&download, "content-security-policy").is_some_and(|c| c.contains("sandbox")));
    // A PNG keeps its type.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let download = upload_and_download(&app, &member, png, "dot.png").await?;
    ensure!(header_of(&download, "content-type").as_deref() == Some("image/png"));

    // With an https public URL, HSTS is on every response.
    let secure = TestApp::spawn_with(&backend, |s| {
        s.public_url = "https://heepr.example".into();
    })
    .await?;
    let client = secure.client()?;
    for path in ["/", "/healthz", "/api/v1/me"] {
        let r = client.get(secure.url(path)).send().await?;
        let hsts = header_of(&r, "strict-transport-security").unwrap_or_default();
        ensure!(hsts.starts_with("max-age=31536000"), "{path}: {hsts:?}");
    }
    Ok(())
}

backend_test!(sign_up_requires_accepting_the_terms);
async fn sign_up_requires_accepting_the_terms(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(&backend).await?;
    let client = app.client()?;
    // The API: without accept_terms (missing or false), 422 on that field, nothing stored.
    for body in [
        json!({"display_name": "Ada", "email": "ada@example.com", "password": DEFAULT_PASSWORD, "age_16_or_over": true}),
        json!({"display_name": "Ada", "email": "ada@example.com", "password": DEFAULT_PASSWORD, "age_16_or_over": true, "accept_terms": false}),
    ] {
        let r = client
            .post(app.url("/api/v1/accounts"))
            .json(&body)
            .send()
            .await?;
        ensure!(r.status() == 422);
        let err: Value = r.json().await?;
        ensure!(err["error"]["field"] == "accept_terms", "{err}");
    }
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM accounts WHERE email = $1",
            "ada@example.com"
        )
        .await?
            == 0
    );

    // The page: refused, the form shown again with what was typed and the reason.
    let page = client
        .post(app.url("/signup"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("display_name", "Grace Hopper"),
            ("email", "grace@example.com"),
            ("password", DEFAULT_PASSWORD),
            ("age_16_or_over", "yes"),
        ])
        .send()
        .await?;
    ensure!(page.status() == 422);
    let html = page.text().await?;
    ensure!(
        html.contains("value=\"Grace Hopper\"") && html.contains("value=\"grace@example.com\"")
    );
    ensure!(html.contains("accept the terms of service"), "{html}");
    let doc = Html::parse_document(&html);
    let age = doc
        .select(&selector("input[name=age_16_or_over]")?)
        .next()
        .context("age box")?;
    ensure!(
        age.value().attr("checked").is_some(),
        "the ticked box was lost"
    );
    let terms_box = doc
        .select(&selector("input[name=accept_terms]")?)
        .next()
        .context("terms box")?;
    ensure!(terms_box.value().attr("aria-invalid") == Some("true"));
    ensure!(
        app.count(
            "SELECT COUNT(*) FROM accounts WHERE email = $1",
            "grace@example.com"
        )
        .await?
            == 0
    );

    // Accepted: the version in force and the time are recorded.
    let account = app
        .sign_up(&client, "Ada", "ada@example.com", DEFAULT_PASSWORD)
        .await?;
    let id = account["id"].as_str().context("id")?;
    let row: (String, i64) =
        sqlx::query_as("SELECT version, accepted_at FROM terms_acceptances WHERE account_id = $1")
            .bind(id)
            .fetch_one(app.pool())
            .await?;
    let current = app
        .state
        .policies
        .terms
        .current()
        .map(|v| v.version.clone());
    ensure!(Some(row.0.clone()) == current, "{row:?}");
    ensure!(row.1 == app.clock_now(), "{row:?}");
    Ok(())
}
