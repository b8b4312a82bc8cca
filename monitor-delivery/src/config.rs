//! Options, checked destinations and the environment variables.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use monitor_runtime::alerts::{AlertConfig, Destination, Target};

use crate::breaker::BreakerPolicy;
use crate::email::{SmtpServer, mailbox};
use crate::format::RenderOptions;
use crate::http::HttpSender;
use crate::redact::redact_url;
use crate::retry::RetryPolicy;
use crate::sink::DeliverySink;

/// A destination or option that cannot work, found at start-up. The
/// offending value is named, with any secret in it replaced by `***`.
///
/// ```
/// use monitor_delivery::{sinks_for, DeliveryOptions};
/// use monitor_runtime::alerts::{AlertConfig, Destination, Target};
///
/// let config = AlertConfig {
///     destinations: vec![Destination {
///         name: "ops".into(),
///         target: Target::Slack("hooks.slack.com/services/T0/B0/SECRET".into()),
///     }],
///     rules: Vec::new(), schedules: Vec::new()
/// };
/// let error = sinks_for(&config, &DeliveryOptions::new()).unwrap_err();
/// assert_eq!(error.destination(), Some("ops"));
/// assert_eq!(error.value(), "hooks.slack.com/services/***");
/// assert!(!error.to_string().contains("SECRET"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    destination: Option<String>,
    value: String,
    reason: String,
}

impl ConfigError {
    pub(crate) fn new(destination: Option<&str>, value: String, reason: &str) -> Self {
        ConfigError { destination: destination.map(str::to_owned), value, reason: reason.to_owned() }
    }

    fn at(mut self, destination: &str) -> Self {
        self.destination.get_or_insert_with(|| destination.to_owned());
        self
    }

    /// The destination concerned, if any.
    pub fn destination(&self) -> Option<&str> {
        self.destination.as_deref()
    }

    /// The offending value, secrets replaced by `***`.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(destination) = &self.destination {
            write!(f, "destination `{destination}`: ")?;
        }
        if self.value.is_empty() { f.write_str(&self.reason) } else { write!(f, "`{}`: {}", self.value, self.reason) }
    }
}

impl std::error::Error for ConfigError {}

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
#[derive(Clone, Debug)]
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

    fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
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

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[cfg(test)]
fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
}

fn from_variable(error: ConfigError, variable: &str) -> ConfigError {
    ConfigError { reason: format!("{variable}: {}", error.reason), ..error }
}

/// Every destination named in the environment, each only when its variable
/// is set: `slack` (`MONITOR_SLACK_WEBHOOK_URL`), `discord`
/// (`MONITOR_DISCORD_WEBHOOK_URL`), `teams` (`MONITOR_TEAMS_WEBHOOK_URL`),
/// `webhook` (`MONITOR_WEBHOOK_URL`) and `email` (`MONITOR_ALERT_EMAIL`,
/// addresses separated by commas; needs `MONITOR_SMTP_URL`).
///
/// ```no_run
/// use monitor_delivery::{destinations_from_env, sinks_for, DeliveryOptions};
/// use monitor_runtime::alerts::AlertConfig;
///
/// let config = AlertConfig { destinations: destinations_from_env()?, rules: Vec::new(), schedules: Vec::new() };
/// let sinks = sinks_for(&config, &DeliveryOptions::from_env()?)?;
/// # Ok::<(), monitor_delivery::ConfigError>(())
/// ```
pub fn destinations_from_env() -> Result<Vec<Destination>, ConfigError> {
    destinations_from_lookup(&env)
}

fn destinations_from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Destination>, ConfigError> {
    type MakeTarget = fn(String) -> Target;
    let webhooks: [(&str, &str, MakeTarget); 4] = [
        ("slack", "MONITOR_SLACK_WEBHOOK_URL", Target::Slack),
        ("discord", "MONITOR_DISCORD_WEBHOOK_URL", Target::Discord),
        ("teams", "MONITOR_TEAMS_WEBHOOK_URL", Target::Teams),
        ("webhook", "MONITOR_WEBHOOK_URL", Target::Webhook),
    ];
    let mut destinations = Vec::new();
    for (name, variable, target) in webhooks {
        if let Some(url) = env(variable) {
            webhook_url(&url).map_err(|e| from_variable(e.at(name), variable))?;
            destinations.push(Destination { name: name.to_owned(), target: target(url) });
        }
    }
    if let Some(list) = env("MONITOR_ALERT_EMAIL") {
        if env("MONITOR_SMTP_URL").is_none() {
            return Err(ConfigError::new(Some("email"), String::new(), "MONITOR_ALERT_EMAIL needs MONITOR_SMTP_URL"));
        }
        let addresses: Vec<String> =
            list.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
        recipients(&addresses).map_err(|e| from_variable(e.at("email"), "MONITOR_ALERT_EMAIL"))?;
        destinations.push(Destination { name: "email".to_owned(), target: Target::Email(addresses) });
    }
    Ok(destinations)
}

/// One [`DeliverySink`] per destination of `config` other than the console,
/// every URL and address checked first.
///
/// ```
/// use monitor_delivery::{sinks_for, DeliveryOptions};
///
/// let config = monitor_runtime::alerts! {
///     destination ops_chat = slack("https://hooks.slack.com/services/T000/B000/XXXX");
///     destination oncall = email("oncall@example.org");
///     rule too_many_errors { when errors(severity >= error) > 10 within 1h; notify ops_chat, oncall; }
/// };
/// // E-mail needs an SMTP server:
/// let error = sinks_for(&config, &DeliveryOptions::new()).unwrap_err();
/// assert_eq!(error.destination(), Some("oncall"));
///
/// let options = DeliveryOptions::new().smtp("smtps://mail.example.org", "alerts@example.org");
/// let sinks = sinks_for(&config, &options).unwrap();
/// assert_eq!(sinks.len(), 2);
/// assert_eq!(sinks[0].destination(), "ops_chat");
/// ```
pub fn sinks_for(config: &AlertConfig, options: &DeliveryOptions) -> Result<Vec<DeliverySink>, ConfigError> {
    let mut sinks = Vec::new();
    for destination in &config.destinations {
        if let Some(plan) = Plan::new(destination, options)? {
            sinks.push(DeliverySink::new(plan, options.clone()));
        }
    }
    Ok(sinks)
}

/// The kinds of destination delivered here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Slack,
    Discord,
    Teams,
    Webhook,
    Email,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::Discord => "discord",
            Kind::Teams => "teams",
            Kind::Webhook => "webhook",
            Kind::Email => "email",
        }
    }

    /// The fastest each platform accepts from one webhook: Slack one message
    /// a second, Teams four; Discord says so in its headers.
    pub(crate) fn min_interval(self) -> Duration {
        match self {
            Kind::Slack => Duration::from_secs(1),
            Kind::Teams => Duration::from_millis(250),
            Kind::Discord | Kind::Webhook | Kind::Email => Duration::ZERO,
        }
    }
}

/// Where and how one destination's notifications go.
#[derive(Debug)]
pub(crate) enum Endpoint {
    Http(HttpSender),
    Email { server: SmtpServer, from: Mailbox, to: Vec<Mailbox> },
}

/// One checked destination.
#[derive(Debug)]
pub(crate) struct Plan {
    pub destination: String,
    pub kind: Kind,
    /// The URL with its secret hidden, or the recipients: for messages.
    pub shown: String,
    pub endpoint: Endpoint,
    pub render: RenderOptions,
}

impl Plan {
    pub(crate) fn new(destination: &Destination, options: &DeliveryOptions) -> Result<Option<Plan>, ConfigError> {
        let name = destination.name.as_str();
        let (kind, url) = match &destination.target {
            Target::Console => return Ok(None),
            Target::Slack(url) => (Kind::Slack, url),
            Target::Discord(url) => (Kind::Discord, url),
            Target::Teams(url) => (Kind::Teams, url),
            Target::Webhook(url) => (Kind::Webhook, url),
            Target::Email(addresses) => return Self::email(name, addresses, options).map(Some),
        };
        let parsed = webhook_url(url).map_err(|e| e.at(name))?;
        let sender = HttpSender::new(parsed, kind == Kind::Discord, options.request_timeout, options.connect_timeout)
            .map_err(|why| ConfigError::new(Some(name), redact_url(url), &why))?;
        if let Some(link) = &options.link {
            check_link(link)?;
        }
        Ok(Some(Plan {
            destination: name.to_owned(),
            kind,
            shown: redact_url(url),
            endpoint: Endpoint::Http(sender),
            render: options.render_options(),
        }))
    }

    fn email(name: &str, addresses: &[String], options: &DeliveryOptions) -> Result<Plan, ConfigError> {
        let to = recipients(addresses).map_err(|e| e.at(name))?;
        let url = options.smtp_url.as_deref().ok_or_else(|| {
            ConfigError::new(
                Some(name),
                String::new(),
                "e-mail needs an SMTP server: DeliveryOptions::smtp(url, from) or MONITOR_SMTP_URL",
            )
        })?;
        let server = SmtpServer::from_url(url, options.request_timeout).map_err(|e| e.at(name))?;
        let from = mailbox(&options.smtp_from)
            .map_err(|why| ConfigError::new(Some(name), options.smtp_from.clone(), &format!("sender {why}")))?;
        Ok(Plan {
            destination: name.to_owned(),
            kind: Kind::Email,
            shown: addresses.join(", "),
            endpoint: Endpoint::Email { server, from, to },
            render: options.render_options(),
        })
    }
}

fn recipients(addresses: &[String]) -> Result<Vec<Mailbox>, ConfigError> {
    if addresses.is_empty() {
        return Err(ConfigError::new(None, String::new(), "an e-mail destination needs at least one address"));
    }
    addresses.iter().map(|a| mailbox(a).map_err(|why| ConfigError::new(None, a.clone(), &why))).collect()
}

/// A webhook URL: https, or plain http to a loopback address only (a
/// token sent in the clear is a token given away).
fn webhook_url(text: &str) -> Result<reqwest::Url, ConfigError> {
    let bad = |reason: String| ConfigError::new(None, redact_url(text), &reason);
    let url = reqwest::Url::parse(text).map_err(|e| bad(format!("not a valid URL ({e})")))?;
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad("a webhook URL needs a host".into()));
    }
    let loopback = host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(bad("plain http is only allowed to a loopback address: use https".into())),
        other => Err(bad(format!("the scheme must be https, not {other}"))),
    }
}

fn check_link(link: &str) -> Result<(), ConfigError> {
    let filled = link.replace("{group}", "0").replace("{rule}", "rule");
    match url::Url::parse(&filled) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
        Ok(_) => Err(ConfigError::new(None, redact_url(link), "a link must be an http or https URL")),
        Err(e) => Err(ConfigError::new(None, redact_url(link), &format!("not a valid link URL ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination(target: Target) -> Destination {
        Destination { name: "ops".into(), target }
    }

    fn error_for(target: Target, options: &DeliveryOptions) -> String {
        Plan::new(&destination(target), options).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn malformed_urls_are_named_without_their_secret() {
        let options = DeliveryOptions::new();
        let cases = [
            (Target::Slack("hooks.slack.com/services/T0/B0/SECRET".into()), "relative URL"),
            (Target::Discord("http://discord.com/api/webhooks/1/SECRET".into()), "loopback"),
            (Target::Teams("ftp://x.logic.azure.com/workflows/SECRET".into()), "scheme"),
            (Target::Webhook("https://:8080/SECRET".into()), "valid URL"),
        ];
        for (target, why) in cases {
            let error = error_for(target, &options);
            assert!(error.starts_with("destination `ops`: `"), "{error}");
            assert!(error.contains(why) && !error.contains("SECRET"), "{error}");
        }
    }

    #[test]
    fn addresses_and_the_smtp_server_are_checked() {
        let with_smtp = DeliveryOptions::new().smtp("smtp://127.0.0.1:2525", "monitor@example.org");
        let error = error_for(Target::Email(vec!["ok@example.org".into(), "oncall at example".into()]), &with_smtp);
        assert!(error.contains("`oncall at example`"), "{error}");
        assert!(error_for(Target::Email(vec![]), &with_smtp).contains("at least one"));
        let error = error_for(Target::Email(vec!["ok@example.org".into()]), &DeliveryOptions::new());
        assert!(error.contains("SMTP server"), "{error}");
        let bad_from = DeliveryOptions::new().smtp("smtp://127.0.0.1:2525", "nobody");
        assert!(error_for(Target::Email(vec!["ok@example.org".into()]), &bad_from).contains("`nobody`"));
    }

    #[test]
    fn loopback_http_and_console_are_fine() {
        let options = DeliveryOptions::new();
        for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]:80/x", "https://example.org/x"] {
            assert!(Plan::new(&destination(Target::Webhook(url.into())), &options).is_ok(), "{url}");
        }
        assert!(Plan::new(&destination(Target::Console), &options).unwrap().is_none());
    }

    #[test]
    fn the_environment_names_destinations_and_options() {
        let vars = [
            ("MONITOR_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/X"),
            ("MONITOR_WEBHOOK_URL", "http://127.0.0.1:9000/hook"),
            ("MONITOR_ALERT_EMAIL", "a@example.org, b@example.org"),
            ("MONITOR_SMTP_URL", "smtps://mail.example.org:465"),
            ("MONITOR_SMTP_FROM", "Alerts <alerts@example.org>"),
            ("MONITOR_SPOOL_DIR", "/tmp/spool"),
        ];
        let destinations = destinations_from_lookup(&lookup(&vars)).unwrap();
        let names: Vec<&str> = destinations.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["slack", "webhook", "email"]);
        assert_eq!(destinations[2].target, Target::Email(vec!["a@example.org".into(), "b@example.org".into()]));
        let options = DeliveryOptions::from_lookup(&lookup(&vars)).unwrap();
        assert_eq!(options.spool_dir, PathBuf::from("/tmp/spool"));
        assert_eq!(options.smtp_from, "Alerts <alerts@example.org>");
        let config = AlertConfig { destinations, rules: Vec::new(), schedules: Vec::new() };
        assert_eq!(sinks_for(&config, &options).unwrap().len(), 3);
    }

    #[test]
    fn bad_variables_are_named() {
        let error =
            destinations_from_lookup(&lookup(&[("MONITOR_DISCORD_WEBHOOK_URL", "discord.com/api/webhooks/1/SECRET")]))
                .unwrap_err()
                .to_string();
        assert!(error.contains("MONITOR_DISCORD_WEBHOOK_URL") && error.contains("`discord`"), "{error}");
        assert!(!error.contains("SECRET"), "{error}");
        let error = destinations_from_lookup(&lookup(&[("MONITOR_ALERT_EMAIL", "a@example.org")])).unwrap_err();
        assert!(error.to_string().contains("MONITOR_SMTP_URL"));
        let error =
            DeliveryOptions::from_lookup(&lookup(&[("MONITOR_SMTP_URL", "smtp://u:SECRET@mail.example.org/x")]))
                .unwrap_err()
                .to_string();
        assert!(error.contains("MONITOR_SMTP_URL") && !error.contains("SECRET"), "{error}");
    }

    #[test]
    fn a_bad_link_is_a_configuration_error() {
        let options = DeliveryOptions::new().link("grafana/d/{group}");
        assert!(error_for(Target::Webhook("https://example.org/x".into()), &options).contains("link"));
    }
}
