//! Destinations checked at start-up, from an alert configuration or the
//! environment, and what goes wrong with them.

use std::fmt;
use std::time::Duration;

#[cfg(feature = "email")]
use lettre::message::Mailbox;
#[cfg(feature = "webhook")]
use monitor_runtime::alerts::WebhookAuth;
use monitor_runtime::alerts::{Destination, Target, WebhookTemplate};

use crate::delivery::format::RenderOptions;
use crate::delivery::options::{DeliveryOptions, env};
#[cfg(feature = "email")]
use crate::email::{SmtpServer, check_root_certificate, mailbox};
#[cfg(feature = "webhook")]
use crate::webhook::HttpSender;
use monitor_rules::redact_url;
use monitor_rules::vocabulary::is_https_or_loopback;

/// A destination or option that cannot work, found at start-up. The
/// offending value is named, with any secret in it replaced by `***`.
///
/// ```
/// use monitor_sinks::delivery::{DeliveryNotifier, DeliveryOptions};
/// use monitor_runtime::alerts::{Destination, Target};
///
/// let destination = Destination {
///     name: "ops".into(),
///     target: Target::Slack("hooks.slack.com/services/T0/B0/SECRET".into()),
///     per_minute: None,
/// };
/// let error = DeliveryNotifier::new(&destination, &DeliveryOptions::new()).unwrap_err();
/// assert_eq!(error.destination(), Some("ops"));
/// assert_eq!(error.value(), "hooks.slack.com/services/***");
/// assert!(!error.to_string().contains("SECRET"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryConfigError {
    destination: Option<String>,
    value: String,
    reason: String,
}

impl DeliveryConfigError {
    /// An error about `destination` (if any), naming `value` (already
    /// redacted) and saying what is wrong with it.
    pub(crate) fn new(destination: Option<&str>, value: String, reason: &str) -> Self {
        DeliveryConfigError { destination: destination.map(str::to_owned), value, reason: reason.to_owned() }
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

impl fmt::Display for DeliveryConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(destination) = &self.destination {
            write!(f, "destination `{destination}`: ")?;
        }
        if self.value.is_empty() { f.write_str(&self.reason) } else { write!(f, "`{}`: {}", self.value, self.reason) }
    }
}

impl std::error::Error for DeliveryConfigError {}

#[cfg(test)]
#[cfg(all(feature = "webhook", feature = "email"))]
fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
}

pub(crate) fn from_variable(error: DeliveryConfigError, variable: &str) -> DeliveryConfigError {
    DeliveryConfigError { reason: format!("{variable}: {}", error.reason), ..error }
}

/// Every destination named in the environment, each only when its variable
/// is set: `slack` (`MONITOR_SLACK_WEBHOOK_URL`), `discord`
/// (`MONITOR_DISCORD_WEBHOOK_URL`), `teams` (`MONITOR_TEAMS_WEBHOOK_URL`),
/// `webhook` (`MONITOR_WEBHOOK_URL`), `alertmanager` (`MONITOR_ALERTMANAGER_URL`,
/// its base URL) and `email` (`MONITOR_ALERT_EMAIL`,
/// addresses separated by commas; needs `MONITOR_SMTP_URL`).
///
/// ```no_run
/// use monitor_runtime::Monitor;
/// use monitor_runtime::alerts::AlertConfig;
/// use monitor_sinks::delivery::{destinations_from_env, DeliveryOptions};
///
/// let config = AlertConfig { destinations: destinations_from_env()?, ..AlertConfig::default() };
/// let guard = Monitor::builder().alerts(config).delivery(DeliveryOptions::from_env()?).install()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn destinations_from_env() -> Result<Vec<Destination>, DeliveryConfigError> {
    destinations_from_lookup(&env)
}

fn destinations_from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Destination>, DeliveryConfigError> {
    type MakeTarget = fn(String) -> Target;
    let webhooks: [(&str, &str, MakeTarget); 5] = [
        ("slack", "MONITOR_SLACK_WEBHOOK_URL", Target::Slack),
        ("discord", "MONITOR_DISCORD_WEBHOOK_URL", Target::Discord),
        ("teams", "MONITOR_TEAMS_WEBHOOK_URL", Target::Teams),
        ("webhook", "MONITOR_WEBHOOK_URL", Target::Webhook),
        ("alertmanager", "MONITOR_ALERTMANAGER_URL", Target::Alertmanager),
    ];
    let mut destinations = Vec::new();
    for (name, variable, target) in webhooks {
        if let Some(url) = env(variable) {
            webhook_url(&url).map_err(|e| from_variable(e.at(name), variable))?;
            destinations.push(Destination { name: name.to_owned(), target: target(url), per_minute: None });
        }
    }
    if let Some(list) = env("MONITOR_ALERT_EMAIL") {
        if env("MONITOR_SMTP_URL").is_none() {
            return Err(DeliveryConfigError::new(
                Some("email"),
                String::new(),
                "MONITOR_ALERT_EMAIL needs MONITOR_SMTP_URL",
            ));
        }
        let addresses: Vec<String> =
            list.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect();
        #[cfg(feature = "email")]
        recipients(&addresses).map_err(|e| from_variable(e.at("email"), "MONITOR_ALERT_EMAIL"))?;
        destinations.push(Destination { name: "email".to_owned(), target: Target::Email(addresses), per_minute: None });
    }
    Ok(destinations)
}

/// The kinds of destination delivered here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(all(feature = "webhook", feature = "email")), allow(dead_code))]
pub(crate) enum Kind {
    Slack,
    Discord,
    Teams,
    Webhook,
    TemplatedWebhook,
    Alertmanager,
    Email,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::Discord => "discord",
            Kind::Teams => "teams",
            Kind::Webhook => "webhook",
            Kind::TemplatedWebhook => "templated_webhook",
            Kind::Alertmanager => "alertmanager",
            Kind::Email => "email",
        }
    }

    /// The fastest each platform accepts from one webhook: Slack one message
    /// a second, Teams four; Discord says so in its headers.
    pub(crate) fn min_interval(self) -> Duration {
        match self {
            Kind::Slack => Duration::from_secs(1),
            Kind::Teams => Duration::from_millis(250),
            Kind::Discord | Kind::Webhook | Kind::TemplatedWebhook | Kind::Alertmanager | Kind::Email => Duration::ZERO,
        }
    }
}

/// Where and how one destination's notifications go.
#[derive(Debug)]
pub(crate) enum Endpoint {
    #[cfg(feature = "webhook")]
    Http(HttpSender),
    #[cfg(feature = "email")]
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
    /// A templated webhook's body template.
    #[cfg_attr(not(feature = "webhook"), allow(dead_code))]
    pub template: Option<WebhookTemplate>,
    /// Names the spool's files: records spooled for another URL or other
    /// recipients are not replayed here.
    pub fingerprint: String,
}

impl Plan {
    pub(crate) fn new(
        destination: &Destination,
        options: &DeliveryOptions,
    ) -> Result<Option<Plan>, DeliveryConfigError> {
        let name = destination.name.as_str();
        if matches!(destination.target, Target::Console) {
            return Ok(None);
        }
        // Every kind shows the link: a malformed one is refused for all.
        if let Some(link) = &options.link {
            check_link(link)?;
        }
        let (kind, url) = match &destination.target {
            Target::Console => return Ok(None),
            Target::Slack(url) => (Kind::Slack, url),
            Target::Discord(url) => (Kind::Discord, url),
            Target::Teams(url) => (Kind::Teams, url),
            Target::Webhook(url) => (Kind::Webhook, url),
            Target::Alertmanager(url) => {
                let api = alertmanager_api(url).map_err(|e| e.at(name))?;
                return Self::webhook(name, Kind::Alertmanager, &api, options).map(Some);
            }
            Target::Email(addresses) => return Self::email(name, addresses, options).map(Some),
            Target::TemplatedWebhook(template) => return Self::templated(name, template, options).map(Some),
            _ => {
                return Err(DeliveryConfigError::new(
                    Some(name),
                    String::new(),
                    "this kind of destination is not delivered here",
                ));
            }
        };
        Self::webhook(name, kind, url, options).map(Some)
    }

    #[cfg(feature = "webhook")]
    fn webhook(name: &str, kind: Kind, url: &str, options: &DeliveryOptions) -> Result<Plan, DeliveryConfigError> {
        let parsed = webhook_url(url).map_err(|e| e.at(name))?;
        let parsed_text = parsed.to_string();
        let sender = HttpSender::new(parsed, kind == Kind::Discord, options.request_timeout, options.connect_timeout)
            .map_err(|why| DeliveryConfigError::new(Some(name), redact_url(url), &why))?;
        Ok(Plan {
            destination: name.to_owned(),
            kind,
            shown: redact_url(url),
            fingerprint: crate::spool::target_fingerprint(kind.as_str(), parsed_text.as_str()),
            endpoint: Endpoint::Http(sender),
            render: options.render_options(),
            template: None,
        })
    }

    /// A templated webhook: its URL checked as any webhook's, its
    /// credentials read now (from [`DeliveryOptions::secret`] or the
    /// environment), so a missing one stops the start, not the first alert.
    #[cfg(feature = "webhook")]
    fn templated(
        name: &str,
        template: &WebhookTemplate,
        options: &DeliveryOptions,
    ) -> Result<Plan, DeliveryConfigError> {
        let mut plan = Self::webhook(name, Kind::TemplatedWebhook, &template.url, options)?;
        if let Some(auth) = &template.auth {
            let value = authorization(auth, options).map_err(|e| e.at(name))?;
            #[allow(irrefutable_let_patterns)]
            if let Endpoint::Http(sender) = &mut plan.endpoint {
                sender.set_authorization(value);
            }
        }
        plan.template = Some(template.clone());
        Ok(plan)
    }

    #[cfg(not(feature = "webhook"))]
    fn templated(
        name: &str,
        template: &WebhookTemplate,
        options: &DeliveryOptions,
    ) -> Result<Plan, DeliveryConfigError> {
        Self::webhook(name, Kind::TemplatedWebhook, &template.url, options)
    }

    #[cfg(not(feature = "webhook"))]
    fn webhook(name: &str, kind: Kind, url: &str, _: &DeliveryOptions) -> Result<Plan, DeliveryConfigError> {
        let why = format!("a {} destination needs the `webhook` feature of monitor", kind.as_str());
        Err(DeliveryConfigError::new(Some(name), redact_url(url), &why))
    }

    #[cfg(not(feature = "email"))]
    fn email(name: &str, _: &[String], _: &DeliveryOptions) -> Result<Plan, DeliveryConfigError> {
        Err(DeliveryConfigError::new(
            Some(name),
            String::new(),
            "an e-mail destination needs the `email` feature of monitor",
        ))
    }

    #[cfg(feature = "email")]
    fn email(name: &str, addresses: &[String], options: &DeliveryOptions) -> Result<Plan, DeliveryConfigError> {
        let to = recipients(addresses).map_err(|e| e.at(name))?;
        let url = options.smtp_url.as_deref().ok_or_else(|| {
            DeliveryConfigError::new(
                Some(name),
                String::new(),
                "e-mail needs an SMTP server: DeliveryOptions::smtp(url, from) or MONITOR_SMTP_URL",
            )
        })?;
        for pem in &options.smtp_roots {
            check_root_certificate(pem).map_err(|why| {
                DeliveryConfigError::new(Some(name), String::new(), &format!("the SMTP root certificate {why}"))
            })?;
        }
        let server = SmtpServer::from_url(url, options.request_timeout, &options.smtp_roots).map_err(|e| e.at(name))?;
        let from = mailbox(&options.smtp_from)
            .map_err(|why| DeliveryConfigError::new(Some(name), options.smtp_from.clone(), &format!("sender {why}")))?;
        Ok(Plan {
            destination: name.to_owned(),
            kind: Kind::Email,
            shown: addresses.join(", "),
            fingerprint: crate::spool::target_fingerprint(
                Kind::Email.as_str(),
                &to.iter().map(|mailbox| mailbox.email.to_string()).collect::<Vec<_>>().join(","),
            ),
            endpoint: Endpoint::Email { server, from, to },
            render: options.render_options(),
            template: None,
        })
    }
}

#[cfg(feature = "email")]
fn recipients(addresses: &[String]) -> Result<Vec<Mailbox>, DeliveryConfigError> {
    if addresses.is_empty() {
        return Err(DeliveryConfigError::new(None, String::new(), "an e-mail destination needs at least one address"));
    }
    addresses.iter().map(|a| mailbox(a).map_err(|why| DeliveryConfigError::new(None, a.clone(), &why))).collect()
}

/// The `Authorization` header of a templated webhook, its secrets read
/// from their variables. Errors name the variable, never its value.
#[cfg(feature = "webhook")]
fn authorization(
    auth: &WebhookAuth,
    options: &DeliveryOptions,
) -> Result<reqwest::header::HeaderValue, DeliveryConfigError> {
    let read = |variable: &str| {
        options.secret_value(variable).ok_or_else(|| {
            DeliveryConfigError::new(
                None,
                String::new(),
                &format!(
                    "its authentication reads the environment variable {variable}, which is not set (or empty): set \
                     it, or give the secret with DeliveryOptions::secret(\"{variable}\", …)"
                ),
            )
        })
    };
    let header = match auth {
        WebhookAuth::Bearer { token_env } => crate::webhook::bearer_authorization(&read(token_env)?),
        WebhookAuth::Basic { user_env, password_env } => {
            crate::webhook::basic_authorization(&read(user_env)?, &read(password_env)?)
        }
    };
    header.map_err(|why| {
        let variables = auth.variables().join(" and ");
        DeliveryConfigError::new(
            None,
            String::new(),
            &format!("the authentication read from {variables} cannot be sent: {why}"),
        )
    })
}

/// A webhook URL: https, or plain http to a loopback address only (a
/// token sent in the clear is a token given away).
fn webhook_url(text: &str) -> Result<url::Url, DeliveryConfigError> {
    let bad = |reason: String| DeliveryConfigError::new(None, redact_url(text), &reason);
    let url = url::Url::parse(text).map_err(|e| bad(format!("not a valid URL ({e})")))?;
    if url.host_str().unwrap_or_default().is_empty() {
        return Err(bad("a webhook URL needs a host".into()));
    }
    match url.scheme() {
        _ if is_https_or_loopback(&url) => Ok(url),
        "http" => Err(bad("plain http is only allowed to a loopback address: use https".into())),
        other => Err(bad(format!("the scheme must be https, not {other}"))),
    }
}

/// Where alerts go in an Alertmanager given by its base URL
/// (`http://127.0.0.1:9093`, or under a route prefix such as
/// `https://ops.example.org/alertmanager`): its v2 API's `api/v2/alerts`.
/// A URL that already names that path is kept.
fn alertmanager_api(base: &str) -> Result<String, DeliveryConfigError> {
    let url = webhook_url(base)?;
    let path = url.path().trim_end_matches('/');
    if path.ends_with("/api/v2/alerts") {
        return Ok(url.to_string());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(DeliveryConfigError::new(
            None,
            redact_url(base),
            "an Alertmanager URL is its base address, without a query: such as http://127.0.0.1:9093",
        ));
    }
    let mut api = url.clone();
    api.set_path(&format!("{path}/api/v2/alerts"));
    Ok(api.to_string())
}

/// Checks the link template. In errors it is redacted like any URL, since
/// it may carry a user and password or a token in its query.
pub(crate) fn check_link(link: &str) -> Result<(), DeliveryConfigError> {
    let filled = link.replace("{group}", "0").replace("{rule}", "rule");
    match url::Url::parse(&filled) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
        Ok(_) => Err(DeliveryConfigError::new(None, redact_url(link), "a link must be an http or https URL")),
        Err(e) => Err(DeliveryConfigError::new(
            None,
            redact_url(link),
            &format!(
                "not a valid link URL ({e}): write the whole address, such as https://status.example.org/groups/{{group}}"
            ),
        )),
    }
}

#[cfg(test)]
#[cfg(all(feature = "webhook", feature = "email"))]
mod tests {
    use super::*;
    use crate::delivery::DeliveryNotifier;
    use monitor_runtime::Notifier;
    use std::path::PathBuf;

    fn destination(target: Target) -> Destination {
        Destination { name: "ops".into(), target, per_minute: None }
    }

    fn error_for(target: Target, options: &DeliveryOptions) -> String {
        Plan::new(&destination(target), options).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn an_alertmanager_is_given_by_its_base_url_and_its_v2_api_is_found_under_it() {
        for (base, api) in [
            ("http://127.0.0.1:9093", "http://127.0.0.1:9093/api/v2/alerts"),
            ("http://localhost:9093/", "http://localhost:9093/api/v2/alerts"),
            ("https://ops.example.org/alertmanager", "https://ops.example.org/alertmanager/api/v2/alerts"),
            ("https://ops.example.org/am/api/v2/alerts", "https://ops.example.org/am/api/v2/alerts"),
        ] {
            assert_eq!(alertmanager_api(base).unwrap(), api);
        }
        let error = alertmanager_api("https://ops.example.org/?token=SECRET").unwrap_err().to_string();
        assert!(error.contains("without a query") && !error.contains("SECRET"), "{error}");
        let error =
            error_for(Target::Alertmanager("http://alertmanager.internal:9093".into()), &DeliveryOptions::new());
        assert!(error.contains("`ops`") && error.contains("use https"), "{error}");
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
        for destination in &destinations {
            assert!(Plan::new(destination, &options).unwrap().is_some(), "{}", destination.name);
        }
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
        // Not a URL: where a secret in it starts is unknown, so none of it is shown.
        let options = DeliveryOptions::new().link("grafana/d/{group}?auth=SECRET");
        let error = error_for(Target::Webhook("https://example.org/x".into()), &options);
        assert!(error.contains("`***`") && error.contains("link") && !error.contains("SECRET"), "{error}");
        let options = DeliveryOptions::new().link("ftp://user:SECRET@example.org/{group}");
        let error = error_for(Target::Webhook("https://example.org/x".into()), &options);
        assert!(error.contains("http or https") && !error.contains("SECRET"), "{error}");
    }

    #[test]
    fn a_bad_link_is_a_configuration_error_for_e_mail_alone_too() {
        let options = DeliveryOptions::new()
            .smtp("smtp://127.0.0.1:2525", "monitor@example.org")
            .link("grafana.example.org/d/{group}");
        let error = DeliveryNotifier::new(&destination(Target::Email(vec!["oncall@example.org".into()])), &options)
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a valid link URL") && !error.contains("grafana"), "{error}");
    }

    #[test]
    fn a_single_path_segment_is_never_shown() {
        // The sinks made here open real spools: not in the source tree.
        let spool = tempfile::tempdir().unwrap();
        let options = DeliveryOptions::new().spool_dir(spool.path());
        let mut shown = Vec::new();
        for url in ["https://ntfy.sh/opsalerts", "https://example.org/hook", "https://example.org/SECRET"] {
            let destination = destination(Target::Webhook(url.into()));
            shown.push(format!("{:?}", Plan::new(&destination, &options).unwrap().unwrap()));
            let sink = DeliveryNotifier::new(&destination, &options).unwrap();
            shown.extend([format!("{sink:?}"), sink.target().to_owned(), format!("{:?}", sink.stats())]);
            let plain = url.replace("https://", "http://");
            shown.push(error_for(Target::Webhook(plain), &options));
        }
        for text in &shown {
            assert!(!text.contains("opsalerts") && !text.contains("/hook") && !text.contains("SECRET"), "{text}");
        }
        let targets: Vec<&String> = shown.iter().skip(2).step_by(5).collect();
        assert_eq!(targets, ["https://ntfy.sh/***", "https://example.org/***", "https://example.org/***"]);
    }

    #[test]
    fn platform_urls_still_tell_destinations_apart() {
        let options = DeliveryOptions::new();
        for (target, expected) in [
            (
                Target::Slack("https://hooks.slack.com/services/T0/B0/SECRET".into()),
                "https://hooks.slack.com/services/***",
            ),
            (
                Target::Discord("https://discord.com/api/webhooks/1/SECRET".into()),
                "https://discord.com/api/webhooks/***",
            ),
            (
                Target::Teams("https://prod-1.westeurope.logic.azure.com:443/workflows/1/triggers?sig=SECRET".into()),
                "https://prod-1.westeurope.logic.azure.com/workflows/***",
            ),
        ] {
            let plan = Plan::new(&destination(target), &options).unwrap().unwrap();
            assert_eq!(plan.shown, expected);
        }
    }

    #[test]
    fn nothing_shown_for_debugging_carries_a_secret() {
        let spool = tempfile::tempdir().unwrap();
        let options = DeliveryOptions::new()
            .spool_dir(spool.path())
            .smtp("smtps://mailer:SECRET-PASSWORD@mail.example.org:465", "Alerts <alerts@example.org>")
            .link("https://viewer:SECRET-LINK@status.example.org/groups/{group}?auth=SECRET-TOKEN");
        let targets = [
            Target::Slack("https://hooks.slack.com/services/T0/B0/SECRET-SLACK".into()),
            Target::Discord("https://discord.com/api/webhooks/1/SECRET-DISCORD".into()),
            Target::Teams("https://x.logic.azure.com/workflows/id/triggers?sig=SECRET-TEAMS".into()),
            Target::Webhook("https://user:SECRET-BASIC@example.org/hook".into()),
            Target::Email(vec!["oncall@example.org".into()]),
        ];
        let mut shown = vec![format!("{options:?}"), format!("{:?}", options.clone())];
        for (i, target) in targets.into_iter().enumerate() {
            let destination = Destination { name: format!("d{i}"), target, per_minute: None };
            shown.push(format!("{:?}", Plan::new(&destination, &options).unwrap().unwrap()));
            let sink = DeliveryNotifier::new(&destination, &options).unwrap();
            shown.push(format!("{sink:?}"));
            shown.push(sink.target().to_owned());
            shown.push(format!("{:?}", sink.handle()));
            shown.push(format!("{:?}", sink.stats()));
        }
        let bad = DeliveryOptions::new().smtp("smtp://mailer:SECRET-PASSWORD@mail.example.org/x", "a@example.org");
        let error = Plan::new(&destination(Target::Email(vec!["a@example.org".into()])), &bad).unwrap_err();
        shown.extend([format!("{error:?}"), error.to_string()]);
        for text in &shown {
            assert!(!text.contains("SECRET"), "{text}");
        }
        assert!(shown[0].contains("smtps://***@mail.example.org:465"), "still tells servers apart: {}", shown[0]);
    }
}
