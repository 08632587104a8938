//! The network task against a stub server on 127.0.0.1 that fails with 503 first: reads
//! are retried until they succeed (each retry announced), actions are sent exactly once and
//! their failure is shown, and the bearer token goes only into the Authorization header.

use std::sync::{Arc, Mutex};

use heepr_admin_tui::action::{Command, Effect, NetEvent};
use heepr_admin_tui::api::{AdminClient, ApiError, Role, Token};
use heepr_admin_tui::net::perform;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Starts a server answering 503 to the first `failures` requests and `ok_body` after;
/// returns its URL and the request heads it saw.
async fn flaky(
    failures: usize,
    ok_body: &'static str,
) -> anyhow::Result<(String, Arc<Mutex<Vec<String>>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = sock.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let count = {
                let mut l = log.lock().unwrap_or_else(|e| e.into_inner());
                l.push(head);
                l.len()
            };
            let (status, body) = if count <= failures {
                (
                    "503 Service Unavailable",
                    r#"{"error":{"code":"internal","message":"busy"}}"#,
                )
            } else {
                ("200 OK", ok_body)
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(response.as_bytes()).await;
        }
    });
    Ok((url, seen))
}

#[tokio::test]
async fn reads_are_retried_until_they_succeed() -> anyhow::Result<()> {
    let (url, seen) = flaky(2, r#"{"id":"s1","email":"dpo@x","role":"privacy_officer"}"#).await?;
    let client = AdminClient::new(&url, Token::new("tok-123"))?;
    let retries = Mutex::new(Vec::new());
    let report = |e: NetEvent| retries.lock().unwrap_or_else(|e| e.into_inner()).push(e);
    let answer = perform(&client, Effect::LoadMe, &report).await;
    let NetEvent::Me(Ok(me)) = answer else {
        anyhow::bail!("no answer: {answer:?}");
    };
    assert_eq!(me.role, Role::PrivacyOfficer);
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(seen.len(), 3, "two failures, then success");
    assert!(seen.iter().all(|h| h.starts_with("GET /admin/api/v1/me ")));
    assert!(
        seen.iter()
            .all(|h| h.to_lowercase().contains("authorization: bearer tok-123"))
    );
    assert!(
        !seen
            .iter()
            .any(|h| h.lines().next().unwrap_or("").contains("tok-123")),
        "token never in the URL"
    );
    assert_eq!(
        retries.lock().unwrap_or_else(|e| e.into_inner()).len(),
        2,
        "each retry announced"
    );
    Ok(())
}

#[tokio::test]
async fn actions_are_never_retried() -> anyhow::Result<()> {
    let (url, seen) = flaky(1, "{}").await?;
    let client = AdminClient::new(&url, Token::new("tok"))?;
    let command = Command::Erase { id: "r1".into() };
    let answer = perform(&client, Effect::Perform(command.clone()), &|_| {}).await;
    let NetEvent::Done(
        c,
        Err(ApiError::Refused {
            status, message, ..
        }),
    ) = answer
    else {
        anyhow::bail!("expected a refusal: {answer:?}");
    };
    assert_eq!((c, status, message.as_str()), (command, 503, "busy"));
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(seen.len(), 1, "sent once");
    assert!(seen[0].starts_with("POST /admin/api/v1/requests/r1/erasure "));
    Ok(())
}

#[tokio::test]
async fn a_server_that_never_answers_gives_an_error_after_the_last_attempt() -> anyhow::Result<()> {
    // A port with nothing listening: connection refused on every attempt.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    drop(listener);
    let client = AdminClient::new(&url, Token::new("tok"))?;
    let answer = perform(&client, Effect::LoadQueue, &|_| {}).await;
    let NetEvent::Queue(Err(e)) = answer else {
        anyhow::bail!("expected an error: {answer:?}");
    };
    assert!(matches!(e, ApiError::Network(_)), "{e:?}");
    Ok(())
}
