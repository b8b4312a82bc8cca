//! The intake of external alerts: what a signed delivery looks like, how
//! its signature and age are checked, and how a body (Alertmanager's
//! webhook payload, or the generic JSON below) becomes captured messages.
//!
//! A sender signs each delivery with the shared secret:
//!
//! - `X-Monitor-Timestamp`: the time of sending, in Unix seconds;
//! - `X-Monitor-Signature`: `sha256=` and the hexadecimal HMAC-SHA256, keyed
//!   with the secret, of the timestamp, a `.`, and the body's bytes.
//!
//! A delivery older (or newer) than the replay window is refused, and so
//! is a second delivery with the same signature inside it.
//!
//! The generic JSON is one alert or `{"alerts": [...]}` of them:
//!
//! ```json
//! {"title": "Nightly SEPA export failed", "severity": "error", "source": "batch-scheduler",
//!  "details": "exit code 3", "service": "payments", "environment": "production",
//!  "tags": {"job": "sepa-export"}}
//! ```
//!
//! Only `title` is required; `severity` (debug, info, warning, error,
//! critical, fatal) defaults to `warning`, `source` to `webhook`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use monitor_runtime::Severity;
use parking_lot::Mutex;
use serde::Deserialize;
use sha2::Sha256;

/// The header with the time of sending, in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-monitor-timestamp";
/// The header with `sha256=HEX`.
pub const SIGNATURE_HEADER: &str = "x-monitor-signature";
/// The environment variable `monitor serve` reads the secret from.
pub const SECRET_ENV: &str = "MONITOR_WEBHOOK_SECRET";
/// Shorter secrets are refused.
pub const MIN_SECRET_LENGTH: usize = 32;

type HmacSha256 = Hmac<Sha256>;

/// The shared secret deliveries are signed with. Never shown.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    /// A secret of at least [`MIN_SECRET_LENGTH`] bytes.
    ///
    /// ```
    /// use monitor_server::webhook::WebhookSecret;
    /// assert!(WebhookSecret::new("too short").is_err());
    /// assert!(WebhookSecret::new("a-secret-of-at-least-32-characters!").is_ok());
    /// ```
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, String> {
        let secret = secret.into();
        if secret.len() < MIN_SECRET_LENGTH {
            return Err(format!(
                "the webhook secret is shorter than {MIN_SECRET_LENGTH} bytes: use a random one (`openssl rand -hex 32`)"
            ));
        }
        Ok(WebhookSecret(secret))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length: this cannot fail.
        HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    /// The `X-Monitor-Signature` value of `body` sent at `timestamp`, as a
    /// sender computes it.
    ///
    /// ```
    /// use monitor_server::webhook::WebhookSecret;
    /// let secret = WebhookSecret::new("a-secret-of-at-least-32-characters!").unwrap();
    /// let signature = secret.sign(1_800_000_000, br#"{"title":"disk full"}"#);
    /// assert!(signature.starts_with("sha256=") && signature.len() == 7 + 64);
    /// ```
    pub fn sign(&self, timestamp: u64, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// Whether `signature` is this secret's for `body` at `timestamp`,
    /// compared in constant time.
    pub fn verifies(&self, timestamp: u64, body: &[u8], signature: &str) -> bool {
        let Some(hex_mac) = signature.trim().strip_prefix("sha256=") else { return false };
        let Ok(expected) = hex::decode(hex_mac) else { return false };
        let mut mac = self.mac();
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }
}

/// Why a delivery was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No signature or timestamp, or a wrong signature.
    Unsigned(String),
    /// Outside the replay window.
    Stale(String),
    /// The same delivery again.
    Replayed,
}

/// Signatures of the deliveries taken inside the replay window, so the same
/// delivery is taken once. Old entries go as new ones come.
#[derive(Debug, Default)]
pub struct SeenDeliveries {
    seen: Mutex<HashMap<String, SystemTime>>,
}

impl SeenDeliveries {
    /// Checks a delivery's timestamp and signature and remembers it.
    pub fn check(
        &self,
        secret: &WebhookSecret,
        window: Duration,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Refusal> {
        let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
            return Err(Refusal::Unsigned(format!(
                "the delivery is not signed: send the {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers"
            )));
        };
        let Ok(seconds) = timestamp.trim().parse::<u64>() else {
            return Err(Refusal::Unsigned(format!("{TIMESTAMP_HEADER} `{timestamp}` is not Unix seconds")));
        };
        if !secret.verifies(seconds, body, signature) {
            return Err(Refusal::Unsigned(
                "the signature does not match the body and timestamp: sign `TIMESTAMP.BODY` with HMAC-SHA256 and the shared secret"
                    .to_owned(),
            ));
        }
        let sent = UNIX_EPOCH + Duration::from_secs(seconds);
        let age = now.duration_since(sent).unwrap_or_else(|early| early.duration());
        if age > window {
            return Err(Refusal::Stale(format!(
                "the delivery was signed {}s from now, outside the replay window of {}s: send it again, freshly signed (check the sender's clock)",
                age.as_secs(),
                window.as_secs()
            )));
        }
        let mut seen = self.seen.lock();
        seen.retain(|_, at| now.duration_since(*at).unwrap_or_default() <= window * 2);
        if seen.insert(signature.trim().to_owned(), now).is_some() {
            return Err(Refusal::Replayed);
        }
        Ok(())
    }
}

/// An alert received, as it becomes a captured message.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    /// Who sent it: `alertmanager` or the generic `source`.
    pub source: String,
    /// Its name (Alertmanager's `alertname`, or the title): it groups.
    pub name: String,
    /// The message stored.
    pub message: String,
    /// Its severity.
    pub severity: Severity,
    /// Service and environment, when given.
    pub service: Option<String>,
    /// Deployment environment, when given.
    pub environment: Option<String>,
    /// Labels or tags.
    pub tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct AlertmanagerPayload {
    version: String,
    alerts: Vec<AlertmanagerAlert>,
}

#[derive(Deserialize)]
struct AlertmanagerAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericAlert {
    title: String,
    severity: Option<String>,
    source: Option<String>,
    details: Option<String>,
    service: Option<String>,
    environment: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum GenericPayload {
    Many { alerts: Vec<GenericAlert> },
    One(GenericAlert),
}

/// Most alerts taken from one delivery.
pub const MAX_ALERTS: usize = 1000;

/// Reads a delivery's body: Alertmanager's webhook payload (version 4) or
/// the generic JSON.
///
/// ```
/// use monitor_server::webhook::parse;
/// let alerts = parse(br#"{"title": "Nightly export failed", "severity": "error"}"#).unwrap();
/// assert_eq!(alerts[0].name, "Nightly export failed");
/// assert!(parse(br#"{"severity": "error"}"#).unwrap_err().contains("title"));
/// ```
pub fn parse(body: &[u8]) -> Result<Vec<Received>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|error| format!("the body is not JSON: {error}"))?;
    let received = if value.get("version").is_some() && value.get("receiver").is_some() {
        let payload: AlertmanagerPayload = serde_json::from_value(value)
            .map_err(|error| format!("the body looks like Alertmanager's but does not read as one: {error}"))?;
        if payload.version != "4" {
            return Err(format!("Alertmanager payload version {} is not known: version 4 is", payload.version));
        }
        payload.alerts.into_iter().map(from_alertmanager).collect()
    } else {
        let payload: GenericPayload = serde_json::from_value(value).map_err(|error| {
            format!(
                "the body is neither Alertmanager's payload nor the generic alert {{\"title\": …, \"severity\": …}} ({error}); a title is required"
            )
        })?;
        let alerts = match payload {
            GenericPayload::Many { alerts } => alerts,
            GenericPayload::One(alert) => vec![alert],
        };
        alerts.into_iter().map(from_generic).collect::<Result<_, _>>()?
    };
    let received: Vec<Received> = received;
    if received.len() > MAX_ALERTS {
        return Err(format!("{} alerts in one delivery: send at most {MAX_ALERTS}", received.len()));
    }
    Ok(received)
}

fn alertmanager_severity(label: Option<&str>) -> Severity {
    match label.map(str::to_ascii_lowercase).as_deref() {
        Some("critical" | "page") => Severity::Critical,
        Some("warning" | "warn") => Severity::Warning,
        Some("info" | "none") => Severity::Info,
        _ => Severity::Error,
    }
}

fn from_alertmanager(alert: AlertmanagerAlert) -> Received {
    let name = alert.labels.get("alertname").cloned().unwrap_or_else(|| "alert".to_owned());
    let summary = alert
        .annotations
        .get("summary")
        .or_else(|| alert.annotations.get("description"))
        .cloned()
        .unwrap_or_else(|| name.clone());
    let resolved = alert.status == "resolved";
    // A resolved alert is news, not a failure: it is kept, at info.
    let severity =
        if resolved { Severity::Info } else { alertmanager_severity(alert.labels.get("severity").map(String::as_str)) };
    let mut tags = alert.labels;
    tags.insert("alert_status".to_owned(), alert.status);
    Received {
        source: "alertmanager".to_owned(),
        message: if resolved { format!("resolved: {summary}") } else { summary },
        service: tags.get("service").or_else(|| tags.get("job")).cloned(),
        environment: tags.get("environment").or_else(|| tags.get("env")).cloned(),
        name,
        severity,
        tags,
    }
}

fn from_generic(alert: GenericAlert) -> Result<Received, String> {
    let severity = match alert.severity.as_deref() {
        None => Severity::Warning,
        Some(text) => text.parse::<Severity>().map_err(|_| {
            format!("unknown severity `{text}`: use one of debug, info, warning, error, critical, fatal")
        })?,
    };
    if alert.title.trim().is_empty() {
        return Err("an alert's title is empty: say what happened".to_owned());
    }
    let message = match alert.details {
        Some(details) if !details.trim().is_empty() => format!("{}: {details}", alert.title),
        _ => alert.title.clone(),
    };
    Ok(Received {
        source: alert.source.unwrap_or_else(|| "webhook".to_owned()),
        name: alert.title,
        message,
        severity,
        service: alert.service,
        environment: alert.environment,
        tags: alert.tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-secret-of-at-least-32-characters!";

    #[test]
    fn a_signed_delivery_is_taken_once_inside_its_window() {
        let secret = WebhookSecret::new(SECRET).unwrap();
        let seen = SeenDeliveries::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let body = br#"{"title":"x"}"#;
        let window = Duration::from_secs(300);
        let signature = secret.sign(1_800_000_000, body);
        let check = |timestamp: &str, signature: &str, body: &[u8]| {
            seen.check(&secret, window, Some(timestamp), Some(signature), body, now)
        };
        assert_eq!(check("1800000000", &signature, body), Ok(()));
        assert_eq!(check("1800000000", &signature, body), Err(Refusal::Replayed));
        assert!(matches!(check("1800000000", &signature, br#"{"title":"y"}"#), Err(Refusal::Unsigned(_))));
        let old = secret.sign(1_800_000_000 - 301, body);
        assert!(matches!(check("1799999699", &old, body), Err(Refusal::Stale(_))));
        let other = WebhookSecret::new("another-secret-of-at-least-32-chars").unwrap().sign(1_800_000_000, body);
        assert!(matches!(check("1800000000", &other, body), Err(Refusal::Unsigned(_))));
        assert!(matches!(seen.check(&secret, window, None, None, body, now), Err(Refusal::Unsigned(_))));
    }

    #[test]
    fn alertmanager_payloads_become_one_message_per_alert() {
        let body = br#"{"version":"4","receiver":"monitor","status":"firing","groupKey":"{}:{}","alerts":[
            {"status":"firing","labels":{"alertname":"DiskFull","severity":"critical","instance":"db-1"},
             "annotations":{"summary":"disk /var is 97% full on db-1"},"startsAt":"2026-12-03T10:00:00Z"},
            {"status":"resolved","labels":{"alertname":"HighLatency"},"annotations":{}}]}"#;
        let alerts = parse(body).unwrap();
        assert_eq!(alerts.len(), 2);
        assert_eq!((alerts[0].name.as_str(), alerts[0].severity), ("DiskFull", Severity::Critical));
        assert_eq!(alerts[0].message, "disk /var is 97% full on db-1");
        assert_eq!(alerts[0].tags["instance"], "db-1");
        assert_eq!((alerts[1].severity, alerts[1].message.as_str()), (Severity::Info, "resolved: HighLatency"));
    }

    #[test]
    fn generic_alerts_say_what_is_missing() {
        assert!(parse(b"not json").unwrap_err().contains("not JSON"));
        assert!(parse(br#"{"title":"x","severity":"loud"}"#).unwrap_err().contains("unknown severity"));
        let many = parse(br#"{"alerts":[{"title":"a"},{"title":"b","details":"exit 3","source":"cron"}]}"#).unwrap();
        assert_eq!((many[1].message.as_str(), many[1].source.as_str()), ("b: exit 3", "cron"));
        assert_eq!(many[0].severity, Severity::Warning);
    }
}
