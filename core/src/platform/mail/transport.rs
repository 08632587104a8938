//! Where email goes: SMTP (lettre), or `.eml` files under the data dir (embedded default).

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::platform::settings::MailTransportConfig;

/// A configured transport.
#[derive(Clone)]
pub enum Transport {
    /// Writes `<uuid>.eml` files into a directory.
    File(AsyncFileTransport<Tokio1Executor>),
    /// Sends through an SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Transport {
    // Never print the SMTP transport: its configuration holds credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Transport {
    /// Builds the transport; creates the mail directory for the file transport.
    ///
    /// Errors: an SMTP URL lettre cannot parse (the message does not repeat the URL, which
    /// may contain a password), or a mail directory that cannot be created.
    pub fn from_config(config: &MailTransportConfig) -> anyhow::Result<Self> {
        match config {
            MailTransportConfig::File(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating mail directory {}", dir.display()))?;
                Ok(Transport::File(AsyncFileTransport::new(dir)))
            }
            MailTransportConfig::Smtp(url) => {
                let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("--smtp-url is not a usable SMTP URL: {e}"))?
                    .build();
                Ok(Transport::Smtp(smtp))
            }
        }
    }

    /// `file` or `smtp`, as recorded in the email log.
    pub fn name(&self) -> &'static str {
        match self {
            Transport::File(_) => "file",
            Transport::Smtp(_) => "smtp",
        }
    }

    /// Sends one plain-text message.
    ///
    /// Errors: an unparsable recipient, or the transport's failure (connection, refusal, I/O).
    pub async fn send(
        &self,
        from: &Mailbox,
        to: &str,
        subject: &str,
        body: &str,
    ) -> anyhow::Result<()> {
        let to: Mailbox = to.parse().context("recipient address")?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .context("building message")?;
        match self {
            Transport::File(t) => t.send(message).await.map(drop).context("writing .eml file"),
            Transport::Smtp(t) => t.send(message).await.map(drop).context("SMTP delivery"),
        }
    }
}
