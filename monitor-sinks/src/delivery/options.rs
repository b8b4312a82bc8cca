//! How notifications are delivered, set in code or by the environment.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::delivery::breaker::BreakerPolicy;
use crate::delivery::config::{DeliveryConfigError, check_link, from_variable};
use crate::delivery::format::RenderOptions;
use crate::delivery::retry::RetryPolicy;
#[cfg(feature = "email")]
use crate::email::{SmtpServer, mailbox, read_root_certificate};
use monitor_rules::redact_url;

/// How notifications are delivered: where the spool lives, which SMTP
/// server sends e-mail, what every message links back to, and how hard to
/// try.
///
/// ```
/// use std::time::Duration;
/// use monitor_sinks::delivery::{DeliveryOptions, RetryPolicy};
///
/// let options = DeliveryOptions::new()
///     .spool_dir("/var/lib/billing/monitor-spool")
///     .smtp("smtps://mail.example.org", "Billing alerts <alerts@example.org>")
///     .link("https://grafana.example.org/d/errors?var-group={group}")
///     .service("billing")
///     .retry(RetryPolicy::default().max_attempts(8))
///     .request_timeout(Duration::from_secs(5));
/// ```
#[derive(Clone)]
pub struct DeliveryOptions {
    pub(crate) spool_dir: PathBuf,
    pub(crate) smtp_url: Option<String>,
    pub(crate) smtp_from: String,
    /// PEM root certificates trusted for SMTP beside the built-in ones.
    pub(crate) smtp_roots: Vec<Vec<u8>>,
    pub(crate) link: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) retry: RetryPolicy,
    pub(crate) breaker: BreakerPolicy,
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) spool_max_bytes: u64,
    pub(crate) queue_capacity: usize,
    pub(crate) flush_budget: Duration,
    pub(crate) alertmanager_resend: Duration,
    /// Values given for variables that templated webhooks' authentication
    /// names, read before the environment.
    pub(crate) secrets: Vec<(String, String)>,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            spool_dir: PathBuf::from("monitor-spool"),
            smtp_url: None,
            smtp_from: "monitor@localhost".to_owned(),
            smtp_roots: Vec::new(),
            link: None,
            service: None,
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            spool_max_bytes: 64 * 1024 * 1024,
            queue_capacity: 1024,
            flush_budget: Duration::from_secs(1),
            alertmanager_resend: Duration::from_secs(60),
            secrets: Vec::new(),
        }
    }
}

// Not derived: the SMTP URL may carry a user and password, the link a token.
impl fmt::Debug for DeliveryOptions {
    /// ```
    /// let options = monitor_sinks::delivery::DeliveryOptions::new().smtp("smtps://mailer:hunter2@mail.example.org", "a@example.org");
    /// let shown = format!("{options:?}");
    /// assert!(shown.contains("smtps://***@mail.example.org") && !shown.contains("hunter2"));
    ///
    /// let options = monitor_sinks::delivery::DeliveryOptions::new().link("https://grafana.example.org/d/{group}?auth=s3cret");
    /// let shown = format!("{options:?}");
    /// assert!(shown.contains("https://grafana.example.org/***") && !shown.contains("s3cret"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryOptions")
            .field("spool_dir", &self.spool_dir)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("smtp_from", &self.smtp_from)
            .field("smtp_root_certificates", &self.smtp_roots.len())
            .field("link", &self.link.as_deref().map(redact_url))
            .field("service", &self.service)
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("spool_max_bytes", &self.spool_max_bytes)
            .field("queue_capacity", &self.queue_capacity)
            .field("flush_budget", &self.flush_budget)
            .field("alertmanager_resend", &self.alertmanager_resend)
            // Their names only.
            .field("secrets", &self.secrets.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish()
    }
}

impl DeliveryOptions {
    /// The defaults: spool in `./monitor-spool` (64 MiB per destination),
    /// no SMTP server, [`RetryPolicy::default`], [`BreakerPolicy::default`],
    /// 10 s per request, 5 s to connect, 1,024 notifications queued in
    /// memory per destination, flushes done within 1 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// The defaults, changed by the environment where set:
    /// `MONITOR_SPOOL_DIR`, `MONITOR_SMTP_URL` (`smtp://host:port` for
    /// STARTTLS, `smtps://host:port` for TLS, user and password allowed),
    /// `MONITOR_SMTP_FROM`, `MONITOR_SMTP_CA_FILE` (a PEM file of root
    /// certificates, as [`smtp_root_certificate`](Self::smtp_root_certificate)),
    /// `MONITOR_LINK_URL` and `MONITOR_SERVICE`. A CA file that is missing,
    /// unreadable or holds no PEM certificate is an error naming the file.
    ///
    /// ```no_run
    /// let options = monitor_sinks::delivery::DeliveryOptions::from_env()?;
    /// # Ok::<(), monitor_sinks::delivery::DeliveryConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, DeliveryConfigError> {
        Self::from_lookup(&env)
    }

    pub(crate) fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, DeliveryConfigError> {
        let mut options = Self::default();
        if let Some(dir) = env("MONITOR_SPOOL_DIR") {
            options = options.spool_dir(dir);
        }
        // Read before the URL is checked: a root certificate changes what
        // an smtp:// URL to loopback means.
        #[cfg(feature = "email")]
        if let Some(path) = env("MONITOR_SMTP_CA_FILE") {
            let pem = read_root_certificate(std::path::Path::new(&path))
                .map_err(|why| DeliveryConfigError::new(None, path.clone(), &format!("MONITOR_SMTP_CA_FILE: {why}")))?;
            options.smtp_roots.push(pem);
        }
        if let Some(url) = env("MONITOR_SMTP_URL") {
            #[cfg(feature = "email")]
            SmtpServer::from_url(&url, options.request_timeout, &options.smtp_roots)
                .map_err(|e| from_variable(e, "MONITOR_SMTP_URL"))?;
            options.smtp_url = Some(url);
        }
        if let Some(from) = env("MONITOR_SMTP_FROM") {
            #[cfg(feature = "email")]
            mailbox(&from)
                .map_err(|why| DeliveryConfigError::new(None, from.clone(), &format!("MONITOR_SMTP_FROM is {why}")))?;
            options.smtp_from = from;
        }
        if let Some(link) = env("MONITOR_LINK_URL") {
            check_link(&link).map_err(|e| from_variable(e, "MONITOR_LINK_URL"))?;
            options.link = Some(link);
        }
        if let Some(service) = env("MONITOR_SERVICE") {
            options.service = Some(service);
        }
        Ok(options)
    }

    /// Where each destination keeps what it could not deliver yet. Each
    /// spool file has one owner at a time (a lock); a second process (or a
    /// second monitor in this one) delivering to the same destination from
    /// the same directory uses files of its own and says so.
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = dir.into();
        self
    }

    /// The SMTP server (`smtp://host:port`: STARTTLS, or plain to a
    /// loopback address when no [root
    /// certificate](Self::smtp_root_certificate) is configured;
    /// `smtps://host:port`: TLS) and the sender.
    pub fn smtp(mut self, url: impl Into<String>, from: impl Into<String>) -> Self {
        self.smtp_url = Some(url.into());
        self.smtp_from = from.into();
        self
    }

    /// Trusts the root certificates in `pem` (one or several, PEM encoded)
    /// for SMTP, beside the built-in web roots: for a relay whose
    /// certificate a private CA signed. Each call adds to the earlier ones.
    ///
    /// With a root certificate, `smtp://` to a loopback address must
    /// upgrade with STARTTLS too: a relay that stops offering it is not
    /// written to in the clear.
    ///
    /// ```no_run
    /// use monitor_sinks::delivery::DeliveryOptions;
    ///
    /// let options = DeliveryOptions::new()
    ///     .smtp("smtp://relay.corp.example:587", "alerts@corp.example")
    ///     .smtp_root_certificate(std::fs::read("/etc/ssl/corp-root-ca.pem")?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// What holds no certificate is refused when the monitor is installed:
    ///
    /// ```
    /// use monitor_runtime::Monitor;
    /// use monitor_sinks::delivery::DeliveryOptions;
    ///
    /// let config = monitor_runtime::alerts! {
    ///     destination oncall = email("oncall@corp.example");
    ///     rule too_many_errors { when errors(severity >= error) > 10 within 1h; notify oncall; }
    /// };
    /// let options = DeliveryOptions::new()
    ///     .smtp("smtp://relay.corp.example:587", "alerts@corp.example")
    ///     .smtp_root_certificate("not a certificate");
    /// let error = Monitor::builder().alerts(config).delivery(options).install().err().unwrap();
    /// assert!(error.to_string().contains("root certificate"), "{error}");
    /// ```
    pub fn smtp_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.smtp_roots.push(pem.into());
        self
    }

    /// A link back shown on every message; `{group}` and `{rule}` are
    /// replaced by the alert's error group and rule. Every rendered body,
    /// and so the spool, gets the link with its credentials redacted: a
    /// sensitive query parameter (`auth`, `token`, `key`, `sig`, …) or a
    /// password in it is shown as `[REDACTED]`. Let the dashboard ask its
    /// readers to log in rather than carry a token in the link.
    pub fn link(mut self, url: impl Into<String>) -> Self {
        self.link = Some(url.into());
        self
    }

    /// The service named on messages whose alert names none.
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    /// How failed attempts are retried.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long a failing destination is left alone.
    pub fn breaker(mut self, policy: BreakerPolicy) -> Self {
        self.breaker = policy;
        self
    }

    /// The longest one request (or SMTP conversation) may take.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The longest connecting to a webhook may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The most each destination's spool holds; past it new notifications
    /// are dropped and counted (`spool_full`).
    pub fn spool_max_bytes(mut self, bytes: u64) -> Self {
        self.spool_max_bytes = bytes;
        self
    }

    /// Notifications waiting in memory per destination; past it they are
    /// dropped and counted (`queue_full`).
    pub fn queue_capacity(mut self, notifications: usize) -> Self {
        self.queue_capacity = notifications.max(1);
        self
    }

    /// How long `flush()` keeps delivering (the spool's backlog too, while
    /// the destination answers) before it spools what is left in memory.
    pub fn flush_budget(mut self, budget: Duration) -> Self {
        self.flush_budget = budget;
        self
    }

    /// How often an Alertmanager destination posts its firing alerts
    /// again (1 minute by default, at least 1 s). Each is sent to end four
    /// intervals later: Alertmanager keeps it while the posts go on, and
    /// ends it by itself when they stop (the process is gone), as it does
    /// for Prometheus' alerts.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = monitor_sinks::delivery::DeliveryOptions::new().alertmanager_resend(Duration::from_secs(30));
    /// assert!(format!("{options:?}").contains("alertmanager_resend: 30s"));
    /// ```
    pub fn alertmanager_resend(mut self, interval: Duration) -> Self {
        self.alertmanager_resend = interval.max(Duration::from_secs(1));
        self
    }

    /// The value of `variable` for the authentication of templated webhooks
    /// that name it (`auth = bearer("SMS_TOKEN")`), instead of the process
    /// environment's: for secrets fetched at start-up from a secret store.
    /// It is used for the `Authorization` header only, never shown
    /// (`Debug` lists the names alone) and never spooled.
    ///
    /// ```
    /// let options = monitor_sinks::delivery::DeliveryOptions::new().secret("SMS_TOKEN", "s3cret-token");
    /// let shown = format!("{options:?}");
    /// assert!(shown.contains(r#"secrets: ["SMS_TOKEN"]"#) && !shown.contains("s3cret"));
    /// ```
    pub fn secret(mut self, variable: impl Into<String>, value: impl Into<String>) -> Self {
        let variable = variable.into();
        self.secrets.retain(|(name, _)| *name != variable);
        self.secrets.push((variable, value.into()));
        self
    }

    /// A secret given with [`secret`](Self::secret), else the environment's
    /// variable; unset when empty.
    #[cfg_attr(not(feature = "webhook"), allow(dead_code))]
    pub(crate) fn secret_value(&self, variable: &str) -> Option<String> {
        match self.secrets.iter().find(|(name, _)| name == variable) {
            Some((_, value)) => Some(value.clone()).filter(|v| !v.is_empty()),
            None => env(variable),
        }
    }

    pub(crate) fn render_options(&self) -> RenderOptions {
        RenderOptions { link: self.link.clone(), service: self.service.clone() }
    }
}

/// A variable of the environment, trimmed; unset when empty.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[cfg(test)]
#[cfg(feature = "email")]
mod tests {
    use super::*;

    fn from_vars(vars: &[(&str, &str)]) -> Result<DeliveryOptions, DeliveryConfigError> {
        DeliveryOptions::from_lookup(&|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn debug_shows_the_link_template_redacted() {
        for (link, expected) in [
            (
                "https://viewer:SECRET@grafana.example.org/d/{group}?var-rule={rule}",
                "https://***@grafana.example.org/***",
            ),
            ("https://status.example.org/groups/{group}?token=SECRET", "https://status.example.org/***"),
            ("https://status.example.org/SECRET/{group}", "https://status.example.org/***"),
            ("https://{group}.example.org/?token=SECRET", "https://{group}.example.org/***"),
        ] {
            let options = DeliveryOptions::new().link(link);
            for shown in [format!("{options:?}"), format!("{:?}", options.render_options())] {
                assert!(!shown.contains("SECRET") && !shown.contains("viewer"), "{shown}");
                assert!(shown.contains(&format!("link: Some({expected:?})")), "{expected} not in {shown}");
            }
        }
        assert!(format!("{:?}", DeliveryOptions::new()).contains("link: None"));
    }

    #[test]
    fn the_ca_file_is_read_at_start_up_and_named_when_it_cannot_be() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("ca.pem");
        let pem = rcgen::generate_simple_self_signed(vec!["relay.corp.example".to_owned()]).unwrap().cert.pem();
        std::fs::write(&good, &pem).unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a certificate").unwrap();
        let missing = dir.path().join("missing.pem");

        let options = from_vars(&[("MONITOR_SMTP_CA_FILE", good.to_str().unwrap())]).unwrap();
        assert_eq!(options.smtp_roots, [pem.into_bytes()]);
        assert!(format!("{options:?}").contains("smtp_root_certificates: 1"));
        for (path, why) in
            [(missing.as_path(), "cannot read it"), (&text, "no PEM certificate"), (dir.path(), "cannot read")]
        {
            let path = path.to_str().unwrap();
            let error = from_vars(&[("MONITOR_SMTP_CA_FILE", path)]).unwrap_err();
            assert_eq!(error.value(), path);
            let shown = error.to_string();
            assert!(shown.contains("MONITOR_SMTP_CA_FILE") && shown.contains(why), "{shown}");
        }
    }
}
