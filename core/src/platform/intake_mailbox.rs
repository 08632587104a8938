//! Where intake reads mail: an IMAP mailbox named by URL, and its password file.

use std::net::IpAddr;
use std::path::PathBuf;

/// The intake mailbox: `imaps://USER@HOST[:PORT]/MAILBOX` (TLS, port 993 by default), or
/// `imap://USER@HOST[:PORT]/MAILBOX` (no TLS, port 143 by default) to a loopback address
/// only, so a password never crosses a network in clear. MAILBOX defaults to `INBOX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeMailbox {
    /// TLS (imaps) or plain (imap, loopback only).
    pub tls: bool,
    /// The login name.
    pub user: String,
    /// Server host name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// The mailbox to read (`INBOX` by default).
    pub mailbox: String,
    /// File holding the login password (first line); read at each pass, so a rotated
    /// password needs no restart.
    pub password_file: Option<PathBuf>,
}

impl IntakeMailbox {
    /// Parses an intake URL (see the type's documentation).
    ///
    /// Errors: a message naming what is wrong (scheme, missing user, a password in the URL,
    /// plain IMAP to a non-loopback host).
    pub fn parse(url: &str) -> Result<IntakeMailbox, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let tls = match parsed.scheme() {
            "imaps" => true,
            "imap" => false,
            other => {
                return Err(format!(
                    "scheme {other:?}: use imaps:// (or imap:// to a loopback address)"
                ));
            }
        };
        if parsed.password().is_some() {
            return Err(
                "the URL holds a password: put it in --intake-imap-password-file instead".into(),
            );
        }
        let user = percent_decode(parsed.username())?;
        if user.is_empty() {
            return Err("no user: write imaps://USER@HOST/MAILBOX".into());
        }
        let host = parsed
            .host_str()
            .ok_or("no host: write imaps://USER@HOST/MAILBOX")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if !tls && !is_loopback(&host) {
            return Err(format!(
                "imap:// to {host} would send the password in clear: use imaps://, or imap:// only to 127.0.0.1, ::1 or localhost"
            ));
        }
        let port = parsed.port().unwrap_or(if tls { 993 } else { 143 });
        let path = percent_decode(parsed.path().trim_start_matches('/'))?;
        let mailbox = if path.is_empty() {
            "INBOX".to_string()
        } else {
            path
        };
        Ok(IntakeMailbox {
            tls,
            user,
            host,
            port,
            mailbox,
            password_file: None,
        })
    }

    /// `user@host:port/mailbox`: names the mailbox in records and logs (never the password).
    pub fn key(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.mailbox)
    }

    /// The password: the first line of the password file (empty without one).
    ///
    /// Errors: the file cannot be read (the message names it).
    pub fn password(&self) -> Result<String, String> {
        let Some(path) = &self.password_file else {
            return Ok(String::new());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--intake-imap-password-file {}: {e}", path.display()))?;
        Ok(text.lines().next().unwrap_or("").to_string())
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn percent_decode(s: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| "a % escape is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_tls_user_host_port_and_mailbox() {
        let m =
            IntakeMailbox::parse("imaps://privacy%40heepr.ai@mail.example.org/Requests").unwrap();
        assert!(m.tls);
        assert_eq!(m.user, "privacy@heepr.ai");
        assert_eq!(
            (m.host.as_str(), m.port, m.mailbox.as_str()),
            ("mail.example.org", 993, "Requests")
        );
        let m = IntakeMailbox::parse("imap://privacy@127.0.0.1:1143").unwrap();
        assert!(!m.tls);
        assert_eq!((m.port, m.mailbox.as_str()), (1143, "INBOX"));
    }

    #[test]
    fn clear_text_off_loopback_and_passwords_in_urls_are_refused() {
        let err = IntakeMailbox::parse("imap://privacy@mail.example.org/INBOX").unwrap_err();
        assert!(err.contains("in clear"), "{err}");
        let err = IntakeMailbox::parse("imaps://privacy:secret@mail.example.org/").unwrap_err();
        assert!(err.contains("password"), "{err}");
        assert!(!err.contains("secret"), "{err}");
        assert!(
            IntakeMailbox::parse("pop3://x@127.0.0.1/")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            IntakeMailbox::parse("imaps://mail.example.org/")
                .unwrap_err()
                .contains("no user")
        );
    }
}
