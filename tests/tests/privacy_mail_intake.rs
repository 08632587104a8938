//! Requests by email: a message delivered into a real Dovecot mailbox becomes a request
//! received at the message's arrival time; the confirmation link goes to the account's
//! address, never a Reply-To; an unknown sender is answered and nothing else is done; a text
//! naming no single right is left to staff; a crash after the commit (message still in the
//! mailbox) or before it (nothing committed) neither doubles nor loses a message; a recorded
//! message leaves the mailbox, and an erased sender's message is never recorded again.

#![allow(
    clippy::too_many_lines,
    reason = "end-to-end stories read top to bottom; the 150-line rule is for production code"
)]

mod privacy_support;

use anyhow::{Context, Result};
use heepr_core::platform::intake_mailbox::IntakeMailbox;
use heepr_core::platform::settings::MailTransportConfig;
use heepr_core::privacy::mail_intake::{IntakeReport, run_once};
use heepr_tests::dovecot::Dovecot;
use heepr_tests::{Backend, TestApp, backend_test};
use privacy_support::{db_mentions, wait_status};

const DAY_MS: i64 = 24 * 3_600_000;
/// 2026-05-29T08:00:00Z: three days before the test clock's start, so a request dated at
/// processing time instead of arrival would show.
const ARRIVED_MS: i64 = 1_780_041_600_000;
const ARRIVED_IMAP: &str = "29-May-2026 08:00:00 +0000";

fn message(from: &str, reply_to: Option<&str>, subject: &str, body: &str) -> String {
    let reply_to = reply_to
        .map(|r| format!("Reply-To: {r}\r\n"))
        .unwrap_or_default();
    format!(
        "From: {from}\r\nTo: privacy@heepr.ai\r\n{reply_to}Subject: {subject}\r\n\
         Date: Fri, 29 May 2026 08:00:00 +0000\r\nMessage-ID: <{}@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        uuid::Uuid::new_v4()
    )
}

async fn outbox_to(app: &TestApp, recipient: &str) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT template, body_text FROM email_outbox WHERE recipient = $1 ORDER BY created_at, id",
    )
    .bind(recipient)
    .fetch_all(app.pool())
    .await?;
    Ok(rows)
}

/// Deletes the signed-in member's account on the dashboard and waits for the erasure to
/// complete; returns the erasure request's id.
async fn delete_account(app: &TestApp, client: &reqwest::Client, id: &str) -> Result<String> {
    let r = client
        .post(app.url("/account/delete"))
        .form(&[("password", heepr_tests::DEFAULT_PASSWORD)])
        .send()
        .await?;
    assert_eq!(r.status(), 303, "post/redirect/get");
    let erasure: String = sqlx::query_scalar(
        "SELECT id FROM dsr_requests WHERE account_id = $1 AND kind = 'erasure' AND channel = 'dashboard'",
    )
    .bind(id)
    .fetch_one(app.pool())
    .await?;
    wait_status(app, &erasure, "completed").await?;
    Ok(erasure)
}

async fn emailed_requests_start_the_clock_at_arrival(backend: Backend) -> Result<()> {
    let dovecot = Dovecot::start().await?;
    // Emails stay in the outbox (SMTP to a closed port is deferred), so the test reads them.
    let app = TestApp::spawn_with(&backend, |s| {
        s.mail_transport = MailTransportConfig::Smtp("smtp://127.0.0.1:9".into());
    })
    .await?;
    let (alice_client, account) = app
        .member("Alice Mailer", "alice.mailer@example.com")
        .await?;
    let alice = account["id"].as_str().context("id")?.to_string();
    let mut mailbox = IntakeMailbox::parse(&dovecot.url()).map_err(anyhow::Error::msg)?;
    mailbox.password_file = Some(dovecot.password_file()?);

    // Written in another case, with a Reply-To an attacker controls.
    dovecot
        .deliver(
            &message(
                "Alice <Alice.Mailer@Example.com>",
                Some("attacker@evil.example"),
                "Please delete my account",
                "I no longer use heepr. Thanks!",
            ),
            ARRIVED_IMAP,
        )
        .await?;
    dovecot
        .deliver(
            &message(
                "stranger@example.net",
                None,
                "Subject access request",
                "Send me a copy of my data.",
            ),
            ARRIVED_IMAP,
        )
        .await?;
    dovecot
        .deliver(
            &message(
                "alice.mailer@example.com",
                None,
                "Hello",
                "I have a question about privacy.",
            ),
            ARRIVED_IMAP,
        )
        .await?;

    let report = run_once(&app.state, &mailbox).await?;
    assert_eq!(
        report,
        IntakeReport {
            requests_created: 1,
            rejected_unknown_sender: 1,
            needs_classification: 1,
            unreadable: 0,
            already_recorded: 0,
            duplicate_messages: 0,
            ignored_automatic: 0,
        }
    );
    assert!(
        dovecot.unseen().await?.is_empty(),
        "recorded messages are marked seen"
    );

    let (id, kind, status, received_at, due_at): (String, String, String, i64, i64) =
        sqlx::query_as(
            "SELECT id, kind, status, received_at, due_at FROM dsr_requests WHERE account_id = $1",
        )
        .bind(&alice)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(
        (kind.as_str(), status.as_str()),
        ("erasure", "awaiting_verification")
    );
    assert_eq!(
        received_at, ARRIVED_MS,
        "the 30-day clock starts when the mail arrived"
    );
    assert_eq!(due_at, ARRIVED_MS + 30 * DAY_MS);

    let to_alice = outbox_to(&app, "alice.mailer@example.com").await?;
    let receipt = to_alice
        .iter()
        .find(|(t, _)| t == "dsr_received")
        .context("no receipt to the account's address")?;
    assert!(
        receipt.1.contains("/privacy/verify/"),
        "the link goes to the account address"
    );
    assert!(receipt.1.contains(&id));
    assert!(
        outbox_to(&app, "attacker@evil.example").await?.is_empty(),
        "never to a Reply-To"
    );

    let to_stranger = outbox_to(&app, "stranger@example.net").await?;
    assert_eq!(to_stranger.len(), 1, "the unknown sender is answered once");
    assert!(
        to_stranger[0]
            .1
            .contains("no heepr account uses the address")
    );
    assert!(!to_stranger[0].1.contains("/privacy/verify/"));

    let outcomes: Vec<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT outcome, request_id, arrived_at FROM mail_intake ORDER BY uid")
            .fetch_all(app.pool())
            .await?;
    let names: Vec<&str> = outcomes.iter().map(|(o, _, _)| o.as_str()).collect();
    assert_eq!(
        names,
        [
            "request_created",
            "rejected_unknown_sender",
            "needs_classification"
        ]
    );
    assert_eq!(outcomes[0].1.as_deref(), Some(id.as_str()));
    assert!(outcomes.iter().all(|(_, _, at)| *at == ARRIVED_MS));
    let evidence: String =
        sqlx::query_scalar("SELECT raw_message FROM mail_intake WHERE request_id = $1")
            .bind(&id)
            .fetch_one(app.pool())
            .await?;
    assert!(
        evidence.contains("I no longer use heepr."),
        "the original message is the evidence"
    );

    // A crash after the commit, before the messages were marked seen: nothing doubles
    // (intake reads from the last UID it recorded, so it does not even read them again).
    dovecot.mark_all_unseen().await?;
    let again = run_once(&app.state, &mailbox).await?;
    assert_eq!(again, IntakeReport::default(), "nothing read twice");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1",
            &alice
        )
        .await?,
        1
    );
    assert_eq!(
        outbox_to(&app, "stranger@example.net").await?.len(),
        1,
        "no second reply"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM mail_intake WHERE outcome <> $1", "")
            .await?,
        3,
        "no second intake row"
    );
    dovecot.mark_all_seen().await?;

    // Recording fails (nothing commits): the message stays unseen and is recorded next pass.
    dovecot
        .deliver(
            &message(
                "alice.mailer@example.com",
                None,
                "Data export",
                "Please export my data.",
            ),
            ARRIVED_IMAP,
        )
        .await?;
    sqlx::query("ALTER TABLE mail_intake RENAME TO mail_intake_away")
        .execute(app.pool())
        .await?;
    let failed = run_once(&app.state, &mailbox).await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        dovecot.unseen().await?.len(),
        1,
        "a message not recorded stays unseen"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1",
            &alice
        )
        .await?,
        1
    );
    sqlx::query("ALTER TABLE mail_intake_away RENAME TO mail_intake")
        .execute(app.pool())
        .await?;
    let recovered = run_once(&app.state, &mailbox).await?;
    assert_eq!(recovered.requests_created, 1);
    assert!(dovecot.unseen().await?.is_empty());
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM dsr_requests WHERE account_id = $1 ORDER BY kind")
            .bind(&alice)
            .fetch_all(app.pool())
            .await?;
    assert_eq!(kinds, ["access", "erasure"]);

    // Erased, she is gone from the intake records too (the stranger's row is not hers).
    let erasure = delete_account(&app, &alice_client, &alice).await?;
    let hits = db_mentions(&app, &["alice.mailer@example.com", "Alice Mailer"]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");
    // Her other open requests (the emailed erasure awaiting its link, the access request)
    // are closed with the reason, so none turns overdue for a person who is gone.
    let open: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT status, status_reason FROM dsr_requests WHERE account_id = $1 AND id <> $2",
    )
    .bind(&alice)
    .bind(&erasure)
    .fetch_all(app.pool())
    .await?;
    assert!(!open.is_empty());
    for (status, reason) in &open {
        assert_eq!(status, "rejected", "{open:?}");
        assert!(
            reason.as_deref().is_some_and(|r| r.contains("erased")),
            "{open:?}"
        );
    }
    // The evidence rows (her whole messages) are deleted, not only scrubbed.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM mail_intake WHERE account_id = $1",
            &alice
        )
        .await?,
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM mail_intake WHERE from_address = $1",
            "stranger@example.net"
        )
        .await?,
        1
    );
    Ok(())
}
backend_test!(emailed_requests_start_the_clock_at_arrival);

/// `heepr serve` with an intake mailbox reads it on its own (at start, then every minute).
async fn the_server_polls_the_intake_mailbox(backend: Backend) -> Result<()> {
    let dovecot = Dovecot::start().await?;
    dovecot
        .deliver(
            &message("nobody@example.net", None, "Delete my account", "Please."),
            ARRIVED_IMAP,
        )
        .await?;
    let mut mailbox = IntakeMailbox::parse(&dovecot.url()).map_err(anyhow::Error::msg)?;
    mailbox.password_file = Some(dovecot.password_file()?);
    let app = TestApp::spawn_with(&backend, |s| s.mail_intake = Some(mailbox)).await?;
    let n = app
        .wait_for_count(
            "SELECT COUNT(*) FROM mail_intake WHERE outcome = $1",
            "rejected_unknown_sender",
            1,
        )
        .await?;
    assert_eq!(n, 1);
    assert!(dovecot.unseen().await?.is_empty());
    Ok(())
}
backend_test!(the_server_polls_the_intake_mailbox);

/// What real mailboxes do: a copy delivered twice, an auto-reply from an account's address,
/// a bounce, a message read by a person in a mail client (recorded, then removed from the
/// mailbox), a request that waited in the mailbox longer than the link lasts.
async fn repeats_robots_and_readers_neither_double_nor_lose_a_request(
    backend: Backend,
) -> Result<()> {
    let dovecot = Dovecot::start().await?;
    let app = TestApp::spawn_with(&backend, |s| {
        s.mail_transport = MailTransportConfig::Smtp("smtp://127.0.0.1:9".into());
    })
    .await?;
    let (_carol, account) = app
        .member("Carol Copies", "carol.copies@example.com")
        .await?;
    let carol = account["id"].as_str().context("id")?.to_string();
    let mut mailbox = IntakeMailbox::parse(&dovecot.url()).map_err(anyhow::Error::msg)?;
    mailbox.password_file = Some(dovecot.password_file()?);

    let original = message(
        "carol.copies@example.com",
        None,
        "Delete my account",
        "Please.",
    );
    dovecot.deliver(&original, ARRIVED_IMAP).await?;
    dovecot.deliver(&original, ARRIVED_IMAP).await?; // the same Message-ID, delivered twice
    let auto_reply = format!(
        "Auto-Submitted: auto-replied\r\n{}",
        message(
            "carol.copies@example.com",
            None,
            "Auto: Please delete my account",
            "I am away."
        )
    );
    dovecot.deliver(&auto_reply, ARRIVED_IMAP).await?;
    let bounce = message(
        "MAILER-DAEMON@mail.example.net",
        None,
        "Undelivered Mail Returned to Sender",
        "Delete my account",
    );
    dovecot.deliver(&bounce, ARRIVED_IMAP).await?;
    let report = run_once(&app.state, &mailbox).await?;
    assert_eq!(report.requests_created, 1, "{report:?}");
    assert_eq!(report.duplicate_messages, 1, "{report:?}");
    assert_eq!(report.ignored_automatic, 2, "{report:?}");
    assert_eq!(
        report.rejected_unknown_sender, 0,
        "a bounce is never answered"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM dsr_requests WHERE account_id = $1",
            &carol
        )
        .await?,
        1
    );
    assert_eq!(
        outbox_to(&app, "carol.copies@example.com")
            .await?
            .iter()
            .filter(|(t, _)| t == "dsr_received")
            .count(),
        1
    );
    assert!(
        outbox_to(&app, "mailer-daemon@mail.example.net")
            .await?
            .is_empty()
    );

    // A person read the next message in a mail client before intake ran: still recorded.
    dovecot
        .deliver(
            &message(
                "carol.copies@example.com",
                None,
                "Right of access",
                "A copy of my data, please.",
            ),
            ARRIVED_IMAP,
        )
        .await?;
    dovecot.mark_all_seen().await?;
    let report = run_once(&app.state, &mailbox).await?;
    assert_eq!(
        report.requests_created, 1,
        "a message read by a person is not skipped: {report:?}"
    );

    // Recorded, it leaves the mailbox: the record is the one copy heepr keeps.
    assert!(dovecot.messages().await?.1.is_empty());

    // A request that waited 15 days in the mailbox: its link still works (14 days from
    // when it is emailed, not from arrival).
    dovecot
        .deliver(
            &message(
                "carol.copies@example.com",
                None,
                "Restriction of processing",
                "Please restrict.",
            ),
            "16-May-2026 08:00:00 +0000",
        )
        .await?;
    run_once(&app.state, &mailbox).await?;
    let (id, received_at): (String, i64) = sqlx::query_as(
        "SELECT id, received_at FROM dsr_requests WHERE account_id = $1 AND kind = 'restriction'",
    )
    .bind(&carol)
    .fetch_one(app.pool())
    .await?;
    assert!(
        received_at < app.clock_now() - 14 * DAY_MS,
        "it arrived over 14 days ago"
    );
    let link = outbox_to(&app, "carol.copies@example.com")
        .await?
        .into_iter()
        .filter(|(t, b)| t == "dsr_received" && b.contains(&id))
        .find_map(|(_, b)| {
            b.split_whitespace()
                .find(|w| w.contains("/privacy/verify/"))
                .map(str::to_string)
        })
        .context("no link")?;
    let r = app.client()?.post(&link).send().await?;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let status: String = sqlx::query_scalar("SELECT status FROM dsr_requests WHERE id = $1")
        .bind(&id)
        .fetch_one(app.pool())
        .await?;
    assert_eq!(status, "in_progress");
    Ok(())
}
backend_test!(repeats_robots_and_readers_neither_double_nor_lose_a_request);

/// Someone else's emailed request may name a person it is not linked to: a stranger writing
/// about them (name in an RFC 2047 subject, email and name in a quoted-printable body) and a
/// member asking on their behalf. When that person is erased, both copies are redacted: the
/// stranger's evidence is kept as its decoded text with the mentions replaced, the member's
/// request keeps its details with the mentions replaced (issue 10, "erasure reaches every
/// copy"; data map: `mail_intake.redact_everywhere`, `dsr_requests.redact_everywhere`).
async fn erasure_redacts_a_person_named_in_other_peoples_emailed_requests(
    backend: Backend,
) -> Result<()> {
    let dovecot = Dovecot::start().await?;
    let app = TestApp::spawn_with(&backend, |s| {
        s.mail_transport = MailTransportConfig::Smtp("smtp://127.0.0.1:9".into());
    })
    .await?;
    let (zoe_client, zoe) = app.member("Zoë Ångström", "zoe.ang@example.com").await?;
    let zoe = zoe["id"].as_str().context("id")?.to_string();
    let (_, bob) = app.member("Bob Builder", "bob.builder@example.com").await?;
    let bob = bob["id"].as_str().context("id")?.to_string();
    let mut mailbox = IntakeMailbox::parse(&dovecot.url()).map_err(anyhow::Error::msg)?;
    mailbox.password_file = Some(dovecot.password_file()?);

    // Neither identifier appears in the raw bytes of the stranger's message.
    let stranger = "From: A Stranger <stranger@example.net>\r\nTo: privacy@heepr.ai\r\n\
        Subject: =?UTF-8?Q?About_Zo=C3=AB_=C3=85ngstr=C3=B6m?=\r\n\
        Date: Fri, 29 May 2026 08:00:00 +0000\r\nMessage-ID: <stranger-1@example.net>\r\n\
        MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\r\n\
        Please erase what you hold on Zo=C3=AB =C3=85ngstr=C3=B6m, she writes as\r\n\
        zoe.ang=40example.com. I am not her.\r\n";
    dovecot.deliver(stranger, ARRIVED_IMAP).await?;
    dovecot
        .deliver(
            &message(
                "bob.builder@example.com",
                None,
                "Copy of my data",
                "Please send me a copy of my data. My colleague Zoë Ångström asked me to write too.",
            ),
            ARRIVED_IMAP,
        )
        .await?;
    let report = run_once(&app.state, &mailbox).await?;
    assert_eq!(
        (report.rejected_unknown_sender, report.requests_created),
        (1, 1),
        "{report:?}"
    );
    let bobs: String = sqlx::query_scalar("SELECT details FROM dsr_requests WHERE account_id = $1")
        .bind(&bob)
        .fetch_one(app.pool())
        .await?;
    assert!(bobs.contains("Zoë Ångström"), "{bobs}");

    delete_account(&app, &zoe_client, &zoe).await?;
    let pseudonym = privacy_support::pseudonym_of(&app, &zoe).await?;

    let (subject, evidence): (String, String) =
        sqlx::query_as("SELECT subject, raw_message FROM mail_intake WHERE outcome = $1")
            .bind("rejected_unknown_sender")
            .fetch_one(app.pool())
            .await?;
    for text in [&subject, &evidence] {
        for gone in ["Zoë", "Ångström", "Zo=C3=AB", "zoe.ang"] {
            assert!(!text.contains(gone), "{gone:?} left in {text:?}");
        }
    }
    assert_eq!(subject, format!("About {pseudonym}"));
    assert!(
        evidence.contains(&format!(
            "Please erase what you hold on {pseudonym}, she writes as"
        )),
        "kept as decoded text: {evidence}"
    );
    assert!(
        evidence.contains("From: A Stranger <stranger@example.net>"),
        "{evidence}"
    );
    assert!(evidence.contains("I am not her."), "{evidence}");
    let bobs: String = sqlx::query_scalar("SELECT details FROM dsr_requests WHERE account_id = $1")
        .bind(&bob)
        .fetch_one(app.pool())
        .await?;
    assert!(
        bobs.contains(&format!("My colleague {pseudonym} asked me")) && !bobs.contains("Zoë"),
        "{bobs}"
    );
    let bobs_mail: String =
        sqlx::query_scalar("SELECT raw_message FROM mail_intake WHERE account_id = $1")
            .bind(&bob)
            .fetch_one(app.pool())
            .await?;
    assert!(!bobs_mail.contains("Ångström"), "{bobs_mail}");
    let hits = db_mentions(&app, &["zoe.ang@example.com", "Ångström"]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");
    Ok(())
}
backend_test!(erasure_redacts_a_person_named_in_other_peoples_emailed_requests);

/// An erased person's emailed request is not read again: intake keeps its own position in
/// the mailbox, so erasure deleting the intake record does not send it back to the start
/// (which recorded the message anew, from an "unknown" sender, and answered the erased
/// address); and a message recorded by a pass that stopped before removing it from the
/// mailbox is removed by the next pass, so the mailbox keeps no copy.
async fn an_erased_senders_message_is_not_recorded_again(backend: Backend) -> Result<()> {
    use heepr_core::privacy::mail_intake::{Fetched, IntakeOutcome, record_message};
    let dovecot = Dovecot::start().await?;
    let app = TestApp::spawn_with(&backend, |s| {
        s.mail_transport = MailTransportConfig::Smtp("smtp://127.0.0.1:9".into());
    })
    .await?;
    let (vera_client, vera) = app.member("Vera Mailer", "vera.m@example.com").await?;
    let vera = vera["id"].as_str().context("id")?.to_string();
    let mut mailbox = IntakeMailbox::parse(&dovecot.url()).map_err(anyhow::Error::msg)?;
    mailbox.password_file = Some(dovecot.password_file()?);
    let raw = message(
        "Vera Mailer <vera.m@example.com>",
        None,
        "Please erase my account",
        "Erase everything, Vera Mailer.",
    );
    dovecot.deliver(&raw, ARRIVED_IMAP).await?;
    // A pass recorded it, then stopped before removing it from the mailbox.
    let (uid_validity, uids) = dovecot.messages().await?;
    let key = mailbox.key();
    let fetched = Fetched {
        mailbox: &key,
        uid_validity,
        uid: *uids.first().context("delivered")?,
        arrived_at_ms: ARRIVED_MS,
        raw: raw.as_bytes(),
    };
    let outcome = record_message(&app.state, &fetched)
        .await
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    assert_eq!(outcome, IntakeOutcome::RequestCreated);

    delete_account(&app, &vera_client, &vera).await?;
    let report = run_once(&app.state, &mailbox).await?;
    assert_eq!(report, IntakeReport::default(), "nothing recorded again");
    assert!(
        dovecot.messages().await?.1.is_empty(),
        "the recorded message is removed from the mailbox"
    );
    assert!(
        outbox_to(&app, "vera.m@example.com").await?.is_empty(),
        "the erased address is not answered"
    );
    let hits = db_mentions(&app, &["vera.m@example.com", "Vera Mailer"]).await?;
    assert!(hits.is_empty(), "left in the database: {hits:#?}");

    // New mail is still read, and removed once recorded.
    dovecot
        .deliver(
            &message("newcomer@example.net", None, "My data", "Export my data."),
            ARRIVED_IMAP,
        )
        .await?;
    let report = run_once(&app.state, &mailbox).await?;
    assert_eq!(report.rejected_unknown_sender, 1, "{report:?}");
    assert!(dovecot.messages().await?.1.is_empty());
    Ok(())
}
backend_test!(an_erased_senders_message_is_not_recorded_again);
