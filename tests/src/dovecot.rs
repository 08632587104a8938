//! A real Dovecot IMAP server (Debian's `dovecot-imapd`) for one test, on a free loopback
//! port, with one passwd-file user and a Maildir under a temp dir; stopped when dropped.
//! `.ci/run` installs the package; started as root, Dovecot drops to its own users.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures_util::TryStreamExt;
use tokio::net::TcpStream;

/// The intake mailbox's login.
pub const USER: &str = "privacy";
/// Its password.
pub const PASSWORD: &str = "imap-secret";

/// A running Dovecot.
pub struct Dovecot {
    dir: tempfile::TempDir,
    /// Its IMAP port on 127.0.0.1.
    pub port: u16,
}

fn config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        r#"protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/run
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
first_valid_gid = 1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service auth {{
  user = root
}}
service stats {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%u
}}
"#
    )
}

impl Dovecot {
    /// Starts one and waits (bounded) until it answers.
    ///
    /// Errors: `dovecot` is not installed (install `dovecot-imapd`), or it did not start.
    pub async fn start() -> Result<Dovecot> {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        std::fs::create_dir_all(dir.path().join("run"))?;
        std::fs::create_dir_all(dir.path().join("mail"))?;
        std::fs::write(
            dir.path().join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}\n"),
        )?;
        std::fs::write(dir.path().join("dovecot.conf"), config(dir.path(), port))?;
        // Dovecot's mail processes run as `dovecot`; the temp dir must let them in.
        run("chmod", &["755", &dir.path().display().to_string()])?;
        run(
            "chown",
            &[
                "dovecot:dovecot",
                &dir.path().join("mail").display().to_string(),
            ],
        )?;
        let conf = dir.path().join("dovecot.conf").display().to_string();
        let status = Command::new("dovecot")
            .args(["-c", &conf])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("running dovecot: install Debian's dovecot-imapd (.ci/run does)")?;
        if !status.success() {
            let log = std::fs::read_to_string(dir.path().join("dovecot.log")).unwrap_or_default();
            bail!("dovecot did not start ({status}): {log}");
        }
        let server = Dovecot { dir, port };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("dovecot did not listen on 127.0.0.1:{port} within 5 s")
    }

    /// The intake URL heepr is given.
    pub fn url(&self) -> String {
        format!("imap://{USER}@127.0.0.1:{}/INBOX", self.port)
    }

    /// Writes the password file heepr is given and returns its path.
    pub fn password_file(&self) -> Result<std::path::PathBuf> {
        let path = self.dir.path().join("intake-password");
        std::fs::write(&path, format!("{PASSWORD}\n"))?;
        Ok(path)
    }

    async fn session(&self) -> Result<async_imap::Session<TcpStream>> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await?.context("no greeting")?;
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .context("login")
    }

    /// Delivers `raw` into INBOX (IMAP APPEND) as received at `internal_date`
    /// (`"01-Jun-2026 08:00:00 +0000"`).
    pub async fn deliver(&self, raw: &str, internal_date: &str) -> Result<()> {
        let mut s = self.session().await?;
        s.append(
            "INBOX",
            None,
            Some(&format!("\"{internal_date}\"")),
            raw.as_bytes(),
        )
        .await?;
        s.logout().await?;
        Ok(())
    }

    /// The UIDs of INBOX's unseen messages.
    pub async fn unseen(&self) -> Result<Vec<u32>> {
        let mut s = self.session().await?;
        s.select("INBOX").await?;
        let mut uids: Vec<u32> = s.uid_search("UNSEEN").await?.into_iter().collect();
        uids.sort_unstable();
        s.logout().await?;
        Ok(uids)
    }

    /// The UIDs of every message in INBOX (seen or not), and its UIDVALIDITY.
    pub async fn messages(&self) -> Result<(u32, Vec<u32>)> {
        let mut s = self.session().await?;
        let selected = s.select("INBOX").await?;
        let mut uids: Vec<u32> = s.uid_search("ALL").await?.into_iter().collect();
        uids.sort_unstable();
        s.logout().await?;
        Ok((selected.uid_validity.unwrap_or(0), uids))
    }

    /// Marks every message of INBOX seen (as a person reading the mailbox would).
    pub async fn mark_all_seen(&self) -> Result<()> {
        let mut s = self.session().await?;
        s.select("INBOX").await?;
        s.uid_store("1:*", "+FLAGS (\\Seen)")
            .await?
            .try_collect::<Vec<_>>()
            .await?;
        s.logout().await?;
        Ok(())
    }

    /// Marks every message of INBOX unseen again (as if a crash came after heepr's commit
    /// and before it marked them seen).
    pub async fn mark_all_unseen(&self) -> Result<()> {
        let mut s = self.session().await?;
        s.select("INBOX").await?;
        s.uid_store("1:*", "-FLAGS (\\Seen)")
            .await?
            .try_collect::<Vec<_>>()
            .await?;
        s.logout().await?;
        Ok(())
    }
}

fn run(cmd: &str, args: &[&str]) -> Result<()> {
    let status = Command::new(cmd)
        .args(args)
        .status()
        .with_context(|| format!("running {cmd}"))?;
    if !status.success() {
        bail!("{cmd} {args:?}: {status}");
    }
    Ok(())
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let conf = self.dir.path().join("dovecot.conf");
        let _ = Command::new("dovecot")
            .arg("-c")
            .arg(&conf)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
