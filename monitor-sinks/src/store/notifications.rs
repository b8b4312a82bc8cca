//! Alert notifications as every store keeps them: what fired, when, why,
//! and where it was sent.

use std::time::SystemTime;

use monitor_runtime::alerting::{AlertDetails, AlertState};
use serde_json::json;

/// One stored notification.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredNotification {
    /// The notification key (the same on every delivery attempt).
    pub key: String,
    /// The destination's name.
    pub destination: String,
    /// The rule's name.
    pub rule: String,
    /// The rule's severity.
    pub severity: String,
    /// `firing` or `resolved`.
    pub state: String,
    /// The alert's labels, as JSON.
    pub labels: serde_json::Value,
    /// The number that was compared.
    pub value: f64,
    /// What it was compared with.
    pub threshold: f64,
    /// One sentence for people.
    pub summary: String,
    /// When the alert started firing.
    pub starts_at: SystemTime,
    /// When it resolved.
    pub ends_at: Option<SystemTime>,
    /// The error group involved, if any.
    pub group_key: Option<String>,
    /// The alert's details (service, place, message, user, trace, traceback…), as JSON.
    pub details: serde_json::Value,
}

pub(crate) fn state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

pub(crate) fn details_json(details: &AlertDetails) -> serde_json::Value {
    json!({
        "service": details.service,
        "environment": details.environment,
        "module": details.module,
        "function": details.function,
        "group": details.group.map(|g| g.to_string()),
        "kind": details.kind.map(|k| k.as_str()),
        "message": details.message,
        "error_type": details.error_type,
        "user": details.user,
        "trace_id": details.trace_id,
        "traceback": details.traceback,
        "backtrace": details.backtrace,
        "occurrences": details.occurrences,
        "tags": details.tags,
    })
}
