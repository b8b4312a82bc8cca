//! How notifications are delivered, set in code or by the environment.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::breaker::BreakerPolicy;
use crate::config::{ConfigError, check_link, from_variable};
use crate::email::{SmtpServer, mailbox};
use crate::format::RenderOptions;
use crate::redact::redact_url;
use crate::retry::RetryPolicy;

/// How notifications are delivered: where the spool lives, which SMTP
/// server sends e-mail, what every message links back to, and how hard to
/// try.
///
/// ```
/// use std::time::Duration;
/// use monitor_delivery::{DeliveryOptions, RetryPolicy};
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
    pub(crate) link: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) retry: RetryPolicy,
    pub(crate) breaker: BreakerPolicy,
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) spool_max_bytes: u64,
    pub(crate) queue_capacity: usize,
    pub(crate) flush_budget: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            spool_dir: PathBuf::from("monitor-spool"),
            smtp_url: None,
            smtp_from: "monitor@localhost".to_owned(),
            link: None,
            service: None,
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            spool_max_bytes: 64 * 1024 * 1024,
            queue_capacity: 1024,
            flush_budget: Duration::from_secs(1),
        }
    }
}

// Not derived: the SMTP URL may carry a user and password.
impl fmt::Debug for DeliveryOptions {
    /// ```
    /// let options = monitor_delivery::DeliveryOptions::new().smtp("smtps://mailer:hunter2@mail.example.org", "a@example.org");
    /// let shown = format!("{options:?}");
    /// assert!(shown.contains("smtps://***@mail.example.org") && !shown.contains("hunter2"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryOptions")
            .field("spool_dir", &self.spool_dir)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("smtp_from", &self.smtp_from)
            .field("link", &self.link)
            .field("service", &self.service)
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("spool_max_bytes", &self.spool_max_bytes)
            .field("queue_capacity", &self.queue_capacity)
            .field("flush_budget", &self.flush_budget)
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
    /// `MONITOR_SMTP_FROM`, `MONITOR_LINK_URL` and `MONITOR_SERVICE`.
    ///
    /// ```no_run
    /// let options = monitor_delivery::DeliveryOptions::from_env()?;
    /// # Ok::<(), monitor_delivery::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&env)
    }

    pub(crate) fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut options = Self::default();
        if let Some(dir) = env("MONITOR_SPOOL_DIR") {
            options = options.spool_dir(dir);
        }
        if let Some(url) = env("MONITOR_SMTP_URL") {
            SmtpServer::from_url(&url, options.request_timeout).map_err(|e| from_variable(e, "MONITOR_SMTP_URL"))?;
            options.smtp_url = Some(url);
        }
        if let Some(from) = env("MONITOR_SMTP_FROM") {
            mailbox(&from)
                .map_err(|why| ConfigError::new(None, from.clone(), &format!("MONITOR_SMTP_FROM is {why}")))?;
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

    /// Where each destination keeps what it could not deliver yet (one
    /// process per directory).
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = dir.into();
        self
    }

    /// The SMTP server (`smtp://host:port`: STARTTLS, or plain to a
    /// loopback address; `smtps://host:port`: TLS) and the sender.
    pub fn smtp(mut self, url: impl Into<String>, from: impl Into<String>) -> Self {
        self.smtp_url = Some(url.into());
        self.smtp_from = from.into();
        self
    }

    /// A link back shown on every message; `{group}` and `{rule}` are
    /// replaced by the alert's error group and rule.
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

    /// How long `flush()` keeps delivering before it spools what is left.
    pub fn flush_budget(mut self, budget: Duration) -> Self {
        self.flush_budget = budget;
        self
    }

    pub(crate) fn render_options(&self) -> RenderOptions {
        RenderOptions { link: self.link.clone(), service: self.service.clone() }
    }
}

/// A variable of the environment, trimmed; unset when empty.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
