//! A real SMTP server (aiosmtpd) on loopback, in the clear or over TLS,
//! that keeps what it accepts and says how each message came in.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A real SMTP server (aiosmtpd) on loopback, storing what it accepts.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

/// A Python with aiosmtpd: `MONITOR_TEST_PYTHON`, else `python3`, else the
/// system's own (where Debian's python3-aiosmtpd installs).
fn python() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("MONITOR_TEST_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(["python3", "/usr/bin/python3"].map(PathBuf::from))
        .collect();
    for candidate in &candidates {
        let works = Command::new(candidate)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if works {
            return candidate.clone();
        }
    }
    panic!(
        "the e-mail tests need Python 3 with aiosmtpd (tried {candidates:?}): \
         `apt-get install python3-aiosmtpd` or `pip install aiosmtpd`, or set MONITOR_TEST_PYTHON"
    );
}

/// How a TLS server protects its sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Offers STARTTLS and refuses mail before it.
    StartTls,
    /// TLS from the first byte.
    Implicit,
}

/// One message the server accepted.
#[derive(Clone, Debug)]
pub struct Mail {
    pub message: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The TLS version of the session it came in, `None` in the clear.
    pub tls: Option<String>,
    /// Its text parts, decoded, by content type (`text/html`).
    pub parts: std::collections::BTreeMap<String, String>,
}

impl SmtpServer {
    /// A server speaking TLS as `tls` says with `certificate`.
    pub fn start_tls(tls: SmtpTls, certificate: &super::TestCertificate, args: &[&str]) -> Self {
        let mode = match tls {
            SmtpTls::StartTls => "starttls",
            SmtpTls::Implicit => "implicit",
        };
        let (cert, key) = (certificate.cert_path(), certificate.key_path());
        let mut all = vec!["--tls", mode, "--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap()];
        all.extend_from_slice(args);
        Self::start(&all)
    }

    pub fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("the SMTP server did not start: {line:?}"));
        SmtpServer { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The URL with this scheme and the host `localhost`, the name the
    /// test certificate carries.
    pub fn url_as(&self, scheme: &str) -> String {
        format!("{scheme}://localhost:{}", self.port)
    }

    /// DATA commands seen, accepted or not.
    pub fn attempts(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("attempts.log")).map_or(0, |t| t.lines().count())
    }

    /// Every message accepted, with its envelope recipients, in order.
    pub fn messages(&self) -> Vec<(String, Vec<String>)> {
        self.mails().into_iter().map(|mail| (mail.message, mail.to)).collect()
    }

    /// Every message accepted, in order.
    pub fn mails(&self) -> Vec<Mail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|path| {
                let message = std::fs::read_to_string(&path).unwrap();
                let envelope: Value =
                    serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap()).unwrap();
                let to = envelope["to"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
                let parts = envelope["parts"]
                    .as_object()
                    .map(|parts| {
                        parts
                            .iter()
                            .map(|(kind, text)| (kind.clone(), text.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                Mail { message, to, tls: envelope["tls"].as_str().map(str::to_owned), parts }
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
