//! Prometheus Alertmanager: alerts posted to its v2 API
//! (`POST /api/v2/alerts`, a JSON array of alerts).
//!
//! Alertmanager keeps an alert while its `endsAt` is in the future, and
//! drops it (as resolved) once that passes. So, as Prometheus does, a
//! firing alert is sent with `endsAt` a few resend intervals ahead and
//! posted again every interval while it fires (the destination's delivery
//! task does this, see [`DeliveryOptions::alertmanager_resend`](crate::delivery::DeliveryOptions::alertmanager_resend)).
//! If the process stops, its alerts end by themselves within those few
//! intervals rather than fire forever. A resolve is sent with the time it
//! resolved as `endsAt`, which ends the alert at once.
//!
//! Alertmanager tells alerts apart by their labels: `alertname` (the rule),
//! `severity`, `service` and the rule's `group_by` labels, so one rule's
//! alerts for two functions are two alerts there too, routed, grouped,
//! inhibited and silenced by Alertmanager's own configuration.

use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::{AlertState, Notification};
use serde_json::{Map, Value, json};

use crate::delivery::format::{RenderOptions, fields, rfc3339};
use monitor_rules::vocabulary::truncate_chars as truncate;

/// Longest annotation carried (characters): Alertmanager keeps every
/// alert in memory and in its notification templates.
const MAX_ANNOTATION: usize = 4_096;

/// How far ahead a firing alert's `endsAt` is set, in resend intervals:
/// three posts may fail before Alertmanager ends it (Prometheus uses 4).
pub(crate) const RESENDS_BEFORE_EXPIRY: u32 = 4;

/// One notification as the body Alertmanager takes: an array of one alert.
///
/// ```
/// use std::time::Duration;
/// use monitor_sinks::delivery::{RenderOptions, sample_notification};
/// use monitor_sinks::webhook::alertmanager;
///
/// let notification = sample_notification("card declined".into());
/// let body = alertmanager::render(&notification, &RenderOptions::default(), Duration::from_secs(60));
/// let alert = &body[0];
/// assert_eq!(alert["labels"]["alertname"], "too_many_errors");
/// assert_eq!(alert["labels"]["severity"], "critical");
/// assert_eq!(alert["labels"]["function"], "charge");
/// assert_eq!(alert["startsAt"], "2027-01-15T08:00:00Z");
/// assert!(alert["annotations"]["summary"].as_str().unwrap().starts_with("12 errors"));
/// ```
pub fn render(notification: &Notification, options: &RenderOptions, resend: Duration) -> Value {
    Value::Array(vec![alert(notification, options, resend, SystemTime::now())])
}

/// Several firing alerts in one body: what is posted again each resend
/// interval.
pub(crate) fn render_all<'a>(
    notifications: impl IntoIterator<Item = &'a Notification>,
    options: &RenderOptions,
    resend: Duration,
) -> Value {
    let now = SystemTime::now();
    Value::Array(notifications.into_iter().map(|n| alert(n, options, resend, now)).collect())
}

fn alert(notification: &Notification, options: &RenderOptions, resend: Duration, now: SystemTime) -> Value {
    let alert = &notification.alert;
    let ends_at = match (alert.state, alert.ends_at) {
        (AlertState::Resolved, Some(ended)) => ended,
        (AlertState::Resolved, None) => now,
        (AlertState::Firing, _) => now + resend * RESENDS_BEFORE_EXPIRY,
    };
    let mut labels = Map::new();
    labels.insert("alertname".into(), alert.rule.clone().into());
    labels.insert("severity".into(), alert.severity.as_str().into());
    if let Some(service) = options.service_of(alert) {
        labels.insert("service".into(), service.into());
    }
    for (name, value) in &alert.labels {
        labels.entry(label_name(name)).or_insert_with(|| value.clone().into());
    }
    let mut annotations = Map::new();
    annotations.insert("summary".into(), truncate(&alert.summary, MAX_ANNOTATION).into());
    let description = description(notification, options);
    if !description.is_empty() {
        annotations.insert("description".into(), truncate(&description, MAX_ANNOTATION).into());
    }
    if let Some(group) = alert.details.group {
        annotations.insert("group_key".into(), group.to_string().into());
    }
    annotations.insert("notification_key".into(), notification.key.clone().into());
    let link = options.link_for(alert);
    if let Some(link) = &link {
        annotations.insert("link".into(), link.clone().into());
    }
    let mut body = json!({
        "labels": labels,
        "annotations": annotations,
        "startsAt": rfc3339(alert.starts_at),
        "endsAt": rfc3339(ends_at),
    });
    if let Some(link) = link {
        body["generatorURL"] = link.into();
    }
    body
}

/// The latest message, then the fields every platform shows, one a line.
fn description(notification: &Notification, options: &RenderOptions) -> String {
    let alert = &notification.alert;
    let mut lines: Vec<String> = alert.details.message.iter().cloned().collect();
    lines.extend(fields(alert, options).into_iter().map(|(name, value)| format!("{name}: {value}")));
    lines.join("\n")
}

/// A label name as Prometheus allows them (`[a-zA-Z_][a-zA-Z0-9_]*`): any
/// other character becomes `_`.
fn label_name(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::sample_notification;

    #[test]
    fn label_names_are_made_valid_for_prometheus() {
        assert_eq!(label_name("function"), "function");
        assert_eq!(label_name("http.route"), "http_route");
        assert_eq!(label_name("9lives"), "_9lives");
        assert_eq!(label_name(""), "_");
    }

    #[test]
    fn a_firing_alert_ends_a_few_resends_ahead_and_a_resolved_one_when_it_resolved() {
        let mut notification = sample_notification("card declined".into());
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let firing = alert(&notification, &RenderOptions::default(), Duration::from_secs(60), now);
        assert_eq!(firing["endsAt"], rfc3339(now + Duration::from_secs(240)));
        notification.alert.state = AlertState::Resolved;
        let ended = notification.alert.starts_at + Duration::from_secs(600);
        notification.alert.ends_at = Some(ended);
        let resolved = alert(&notification, &RenderOptions::default(), Duration::from_secs(60), now);
        assert_eq!(resolved["endsAt"], rfc3339(ended));
    }

    #[test]
    fn the_rule_and_severity_are_not_overwritten_by_a_label_of_the_same_name() {
        let mut notification = sample_notification("x".into());
        notification.alert.labels.insert("alertname".into(), "other".into());
        let body = alert(&notification, &RenderOptions::default(), Duration::from_secs(60), SystemTime::now());
        assert_eq!(body["labels"]["alertname"], "too_many_errors");
        assert_eq!(body["annotations"]["notification_key"], "0123456789abcdef");
        assert!(body["annotations"]["description"].as_str().unwrap().contains("card"));
    }
}
