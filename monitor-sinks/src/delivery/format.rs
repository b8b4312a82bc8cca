//! Rendering a notification for each platform, within its limits.
//!
//! Every renderer takes the same [`Notification`] and [`RenderOptions`] and
//! returns the JSON body to post. The texts people read are the same
//! everywhere: a title `[CRITICAL] rule: summary` (`[RESOLVED] …` once
//! resolved), the latest message, fields (service, place, occurrences, the
//! number against its threshold, user, trace id, group, error type, tags),
//! the error chain, the time and a link back when one is configured.
//! E-mail says the same in a plain-text and an HTML part.

use std::sync::LazyLock;
use std::time::SystemTime;

use monitor_runtime::Severity;
use monitor_runtime::alerting::{Alert, AlertState, Notification};
use monitor_runtime::scrub::Scrubber;

/// What renderers add to every notification.
///
/// `Debug` shows the link as [`redact_url`](monitor_rules::redact_url) does: it may
/// carry a user and password or a token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// A link back (a dashboard, the service's status page); `{group}` and
    /// `{rule}` in it are replaced by the alert's group key and rule. A
    /// credential in it (`?auth=…`, `&token=…`, `user:password@`) is rendered
    /// as `[REDACTED]`: every body goes to a chat channel or a mailbox and may
    /// wait in the spool, so the dashboard must ask its readers to log in.
    pub link: Option<String>,
    /// The service name when the alert carries none.
    pub service: Option<String>,
}

impl std::fmt::Debug for RenderOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderOptions")
            .field("link", &self.link.as_deref().map(monitor_rules::redact_url))
            .field("service", &self.service)
            .finish()
    }
}

impl RenderOptions {
    pub(crate) fn link_for(&self, alert: &Alert) -> Option<String> {
        // The scrubber's defaults, as the link is a fixed template: sensitive query parameters,
        // a URL password, tokens and e-mail addresses in it are redacted.
        static LINK_SCRUBBER: LazyLock<Scrubber> = LazyLock::new(Scrubber::new);
        let group = alert.details.group.map(|g| g.to_string()).unwrap_or_default();
        self.link.as_ref().map(|link| {
            let filled = link.replace("{group}", &group).replace("{rule}", &alert.rule);
            LINK_SCRUBBER.scrub_text(&filled).into_owned()
        })
    }

    pub(crate) fn service_of<'a>(&'a self, alert: &'a Alert) -> Option<&'a str> {
        alert.details.service.as_deref().or(self.service.as_deref())
    }
}

/// `[CRITICAL] rule: summary`, or `[RESOLVED] rule: summary`.
pub fn title(alert: &Alert) -> String {
    let label = match alert.state {
        AlertState::Firing => alert.severity.as_str().to_ascii_uppercase(),
        AlertState::Resolved => "RESOLVED".to_owned(),
    };
    format!("[{label}] {}: {}", alert.rule, alert.summary)
}

/// The colour of an alert: by severity while firing, green once resolved.
pub fn colour(alert: &Alert) -> u32 {
    if alert.state == AlertState::Resolved {
        return 0x2E7D32;
    }
    match alert.severity {
        Severity::Fatal | Severity::Critical => 0xC62828,
        Severity::Error => 0xE65100,
        Severity::Warning => 0xF9A825,
        Severity::Info => 0x1565C0,
        _ => 0x757575,
    }
}

/// Name and value of every field shown, in order; empty values left out.
pub(crate) fn fields(alert: &Alert, options: &RenderOptions) -> Vec<(String, String)> {
    let details = &alert.details;
    let place = match (&details.module, &details.function) {
        (Some(module), Some(function)) if !module.is_empty() => format!("{module}::{function}"),
        (_, Some(function)) => function.clone(),
        (Some(module), None) => module.clone(),
        (None, None) => String::new(),
    };
    let mut out: Vec<(String, String)> = vec![
        ("Service".into(), options.service_of(alert).unwrap_or_default().to_owned()),
        ("Environment".into(), details.environment.clone().unwrap_or_default()),
        ("Where".into(), place),
        ("Occurrences".into(), if details.occurrences > 0 { details.occurrences.to_string() } else { String::new() }),
        ("Value".into(), format!("{} (threshold {})", number(alert.value), number(alert.threshold))),
        ("User".into(), details.user.clone().unwrap_or_default()),
        ("Trace id".into(), details.trace_id.clone().unwrap_or_default()),
        ("Group".into(), details.group.map(|g| g.to_string()).unwrap_or_default()),
        ("Error type".into(), details.error_type.clone().unwrap_or_default()),
    ];
    out.extend(alert.labels.iter().map(|(name, value)| (format!("label {name}"), value.clone())));
    out.extend(details.tags.iter().map(|(name, value)| (format!("tag {name}"), value.clone())));
    out.retain(|(_, value)| !value.is_empty());
    out
}

/// What stands in for the fields a platform has no room for, where they
/// would have been: `… and 15 more fields [truncated]`.
#[cfg_attr(not(feature = "webhook"), allow(dead_code))]
pub(crate) fn fields_left_out(count: usize) -> String {
    let noun = if count == 1 { "field" } else { "fields" };
    format!("… and {count} more {noun} [truncated]")
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { format!("{value:.3}") }
}

/// Character count, as the platforms count their limits.
#[cfg_attr(not(feature = "webhook"), allow(dead_code))]
pub(crate) fn chars(text: &str) -> usize {
    text.chars().count()
}

/// RFC 3339 UTC time, as the platforms want it.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    jiff::Timestamp::try_from(time).map(|t| t.to_string()).unwrap_or_default()
}

/// The time the notification is about: when it resolved, or when it started.
pub(crate) fn event_time(alert: &Alert) -> SystemTime {
    alert.ends_at.unwrap_or(alert.starts_at)
}

/// A notification for documentation examples and tests, with `message`.
#[doc(hidden)]
pub fn sample_notification(message: String) -> Notification {
    use monitor_runtime::alerting::AlertDetails;
    use std::time::{Duration, UNIX_EPOCH};
    Notification {
        key: "0123456789abcdef".into(),
        destination: "ops".into(),
        alert: Alert {
            rule: "too_many_errors".into(),
            severity: Severity::Critical,
            labels: [("function".to_owned(), "charge".to_owned())].into(),
            state: AlertState::Firing,
            value: 12.0,
            threshold: 10.0,
            summary: "12 errors within 1h (more than 10)".into(),
            starts_at: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            ends_at: None,
            repeat_interval: Duration::from_secs(4 * 3600),
            details: AlertDetails {
                service: Some("billing".into()),
                module: Some("billing::cards".into()),
                function: Some("charge".into()),
                message: Some(message),
                occurrences: 12,
                ..AlertDetails::default()
            },
        },
        summary: None,
    }
}
