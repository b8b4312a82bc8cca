//! The generic JSON webhook body: a documented, versioned schema.

use serde_json::{Value, json};

use monitor_runtime::alerting::{AlertState, Notification};

use crate::delivery::format::{RenderOptions, event_time, rfc3339};
use monitor_rules::vocabulary::truncate_chars as truncate;

/// The `schema` field of every generic body. A new version is a new name;
/// fields are only ever added within one.
pub const GENERIC_SCHEMA: &str = "monitor.alert.v1";

/// Longest message and traceback line carried (characters); receivers
/// store these, so they are bounded too.
const MAX_TEXT: usize = 16_384;
/// Most traceback lines, and backtrace frames, carried.
const MAX_TRACEBACK: usize = 64;

/// The body of a generic webhook, schema `monitor.alert.v1`:
///
/// | field | type | meaning |
/// |---|---|---|
/// | `schema` | string | `monitor.alert.v1` |
/// | `notification_key` | string | the same on every retry of this notification: drop duplicates by it |
/// | `status` | `firing` \| `resolved` | |
/// | `timestamp` | RFC 3339 | when it started firing, or when it resolved |
/// | `starts_at`, `ends_at` | RFC 3339, `ends_at` null while firing | |
/// | `rule`, `severity`, `summary` | string | |
/// | `type` | `error` \| `panic` \| `slow` \| `message` \| null | the kind of event behind the alert |
/// | `message` | string \| null | the latest message (scrubbed) |
/// | `service`, `environment`, `module`, `function`, `user`, `trace_id`, `error_type` | string \| null | |
/// | `traceback` | array of strings | the error's `source()` chain and location |
/// | `backtrace` | array of strings | the stack where the event happened, innermost frame first (`function at file:line`); empty when the event has none |
/// | `occurrences` | integer | occurrences counted for the alert |
/// | `group_key` | string \| null | the error group (16 hex digits) |
/// | `value`, `threshold` | number | what was compared |
/// | `labels`, `tags` | object of strings | |
/// | `link` | string \| null | the configured link back |
///
/// ```
/// use monitor_sinks::delivery::{sample_notification, RenderOptions};
/// use monitor_sinks::webhook::generic;
///
/// let body = generic::render(&sample_notification("card 4 declined".into()), &RenderOptions::default());
/// assert_eq!(body["schema"], generic::GENERIC_SCHEMA);
/// assert_eq!(body["status"], "firing");
/// assert_eq!(body["notification_key"], "0123456789abcdef");
/// assert_eq!(body["timestamp"], "2027-01-15T08:00:00Z");
/// ```
///
/// A summary's body is [`SUMMARY_SCHEMA`](super::SUMMARY_SCHEMA) instead.
pub fn render(notification: &Notification, options: &RenderOptions) -> Value {
    if let Some(report) = &notification.summary {
        return super::summary::generic(notification, report);
    }
    let alert = &notification.alert;
    let details = &alert.details;
    let traceback: Vec<String> =
        details.traceback.iter().take(MAX_TRACEBACK).map(|line| truncate(line, MAX_TEXT).into_owned()).collect();
    let backtrace: Vec<String> =
        details.backtrace.iter().take(MAX_TRACEBACK).map(|frame| truncate(frame, MAX_TEXT).into_owned()).collect();
    json!({
        "schema": GENERIC_SCHEMA,
        "notification_key": notification.key,
        "status": if alert.state == AlertState::Firing { "firing" } else { "resolved" },
        "timestamp": rfc3339(event_time(alert)),
        "starts_at": rfc3339(alert.starts_at),
        "ends_at": alert.ends_at.map(rfc3339),
        "rule": alert.rule,
        "severity": alert.severity.as_str(),
        "summary": truncate(&alert.summary, MAX_TEXT),
        "type": details.kind.map(|k| k.as_str()),
        "message": details.message.as_deref().map(|m| truncate(m, MAX_TEXT)),
        "service": options.service_of(alert),
        "environment": details.environment,
        "module": details.module,
        "function": details.function,
        "user": details.user,
        "trace_id": details.trace_id,
        "error_type": details.error_type,
        "traceback": traceback,
        "backtrace": backtrace,
        "occurrences": details.occurrences,
        "group_key": details.group.map(|g| g.to_string()),
        "value": alert.value,
        "threshold": alert.threshold,
        "labels": alert.labels,
        "tags": details.tags,
        "link": options.link_for(alert),
    })
}
