//! The alert lifecycle: each alert the router fires is an incident, stored
//! as active with its start, value and labels; an operator acknowledges it
//! (who, when, a comment) and it resolves by itself or by someone. What a
//! batch's notifications do to the stored incidents is decided here, once,
//! for every store; each store only runs the SQL.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use monitor_runtime::Severity;
use monitor_runtime::alerting::{AcknowledgedAlert, AlertState, Notification};
use sha2::{Digest, Sha256};

/// Where an incident stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertStatus {
    /// Firing and nobody has acknowledged it.
    Active,
    /// Firing, and someone said they are on it: no repeat notifications
    /// until it resolves or its severity rises.
    Acknowledged,
    /// No longer firing (or resolved by an operator).
    Resolved,
}

impl AlertStatus {
    /// Its name in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Active => "active",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Resolved => "resolved",
        }
    }

    /// The status a stored name means.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "active" => Some(AlertStatus::Active),
            "acknowledged" => Some(AlertStatus::Acknowledged),
            "resolved" => Some(AlertStatus::Resolved),
            _ => None,
        }
    }
}

/// One stored incident.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAlert {
    /// Its id in the store.
    pub id: i64,
    /// The rule that fired.
    pub rule: String,
    /// The rule and labels hashed: the same for every firing of one alert.
    pub fingerprint: String,
    /// Its severity (the highest it fired with).
    pub severity: Severity,
    /// The alert's labels.
    pub labels: BTreeMap<String, String>,
    /// One sentence for people, from the latest firing.
    pub summary: String,
    /// The latest value compared.
    pub value: f64,
    /// What it was compared with.
    pub threshold: f64,
    /// Where it stands.
    pub status: AlertStatus,
    /// When it started firing.
    pub started_at: SystemTime,
    /// The latest firing notification's time.
    pub last_fired_at: SystemTime,
    /// How many times it started firing within this incident: more than
    /// one when it resolved and fired again within the rule's
    /// `repeat_interval`.
    pub fired: u32,
    /// When it was acknowledged.
    pub acknowledged_at: Option<SystemTime>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// What they said.
    pub ack_comment: Option<String>,
    /// When it resolved.
    pub resolved_at: Option<SystemTime>,
    /// Who resolved it; `None` with `resolved_at` set means it resolved by
    /// itself.
    pub resolved_by: Option<String>,
    /// The error group involved, if any.
    pub group_key: Option<String>,
}

impl StoredAlert {
    /// Whether it resolved by itself (rather than by an operator).
    pub fn resolved_automatically(&self) -> bool {
        self.resolved_at.is_some() && self.resolved_by.is_none()
    }
}

/// Which incidents [`Store::alerts`](super::Store::alerts) returns, newest
/// first.
///
/// ```
/// use monitor_sinks::store::{AlertQuery, AlertStatus};
///
/// let unhandled = AlertQuery { status: Some(AlertStatus::Active), ..AlertQuery::default() };
/// assert_eq!(unhandled.limit, 100);
/// ```
#[derive(Clone, Debug)]
pub struct AlertQuery {
    /// Only this rule's.
    pub rule: Option<String>,
    /// Only incidents in this status.
    pub status: Option<AlertStatus>,
    /// Only incidents that started at or after this time.
    pub since: Option<SystemTime>,
    /// Only incidents that started before this time.
    pub before: Option<SystemTime>,
    /// At most this many.
    pub limit: usize,
}

impl Default for AlertQuery {
    fn default() -> Self {
        AlertQuery { rule: None, status: None, since: None, before: None, limit: 100 }
    }
}

impl AlertQuery {
    pub(crate) fn sql_limit(&self) -> i64 {
        self.limit.min(i64::MAX as usize) as i64
    }
}

/// What an operator's acknowledgement or resolution did.
#[derive(Clone, Debug, PartialEq)]
pub enum AlertChange {
    /// Done; the incident as it stands now.
    Changed(StoredAlert),
    /// It was already in that state (or resolved, for an acknowledgement):
    /// nothing changed, and nothing was audited.
    Unchanged(StoredAlert),
    /// No incident has that id.
    NotFound,
}

/// Every acknowledged incident, as the router takes them: no repeat
/// notifications for these until they resolve or worsen.
pub async fn acknowledged_alerts(store: &dyn super::Store) -> Result<Vec<AcknowledgedAlert>, super::StoreError> {
    let query = AlertQuery { status: Some(AlertStatus::Acknowledged), limit: usize::MAX, ..AlertQuery::default() };
    let alerts = store.alerts(&query).await?;
    Ok(alerts
        .into_iter()
        .map(|alert| AcknowledgedAlert { rule: alert.rule, labels: alert.labels, severity: alert.severity })
        .collect())
}

/// Per rule, over a period: how many incidents, and how long they took to
/// be acknowledged and resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertStats {
    /// The rule.
    pub rule: String,
    /// Incidents that started in the period.
    pub incidents: u64,
    /// Of those, how many were acknowledged.
    pub acknowledged: u64,
    /// Of those, how many resolved.
    pub resolved: u64,
    /// Mean time to acknowledge (from start), over those acknowledged.
    pub mtta: Option<Duration>,
    /// Mean time to resolve (from start), over those resolved.
    pub mttr: Option<Duration>,
}

/// Counts and mean times per rule, from the incidents that started in a
/// period.
pub(crate) fn stats_of(alerts: &[StoredAlert]) -> Vec<AlertStats> {
    let mut by_rule: BTreeMap<&str, Vec<&StoredAlert>> = BTreeMap::new();
    for alert in alerts {
        by_rule.entry(&alert.rule).or_default().push(alert);
    }
    let mean = |spans: Vec<Duration>| {
        let n = spans.len() as u32;
        (n > 0).then(|| spans.iter().sum::<Duration>() / n)
    };
    let since_start = |alert: &StoredAlert, at: Option<SystemTime>| {
        at.map(|at| at.duration_since(alert.started_at).unwrap_or(Duration::ZERO))
    };
    by_rule
        .into_iter()
        .map(|(rule, alerts)| {
            let acks: Vec<Duration> = alerts.iter().filter_map(|a| since_start(a, a.acknowledged_at)).collect();
            let fixes: Vec<Duration> = alerts.iter().filter_map(|a| since_start(a, a.resolved_at)).collect();
            AlertStats {
                rule: rule.to_owned(),
                incidents: alerts.len() as u64,
                acknowledged: acks.len() as u64,
                resolved: fixes.len() as u64,
                mtta: mean(acks),
                mttr: mean(fixes),
            }
        })
        .collect()
}

/// The alert's identity: its rule and labels, hashed.
pub(crate) fn fingerprint(rule: &str, labels: &BTreeMap<String, String>) -> String {
    let mut hash = Sha256::new();
    hash.update(rule.as_bytes());
    for (name, value) in labels {
        hash.update([0u8]);
        hash.update(name.as_bytes());
        hash.update([1u8]);
        hash.update(value.as_bytes());
    }
    crate::chain::key::to_hex(&hash.finalize()[..16])
}

/// One alert's firing or resolution, as a batch's notifications carry it
/// (once, however many destinations it went to).
#[derive(Clone, Debug)]
pub(crate) struct AlertEvent<'a> {
    pub fingerprint: String,
    pub notification: &'a Notification,
}

impl AlertEvent<'_> {
    pub(crate) fn firing(&self) -> bool {
        self.notification.alert.state == AlertState::Firing
    }
}

/// The alert events of a batch, in order, one per alert and state change:
/// the same firing sent to three destinations is one event.
pub(crate) fn events_of(notifications: &[std::sync::Arc<Notification>]) -> Vec<AlertEvent<'_>> {
    let mut seen = std::collections::HashSet::new();
    let mut events = Vec::new();
    for notification in notifications {
        let alert = &notification.alert;
        let fingerprint = fingerprint(&alert.rule, &alert.labels);
        let at = alert.ends_at.unwrap_or(alert.starts_at);
        if seen.insert((fingerprint.clone(), alert.state == AlertState::Firing, alert.starts_at, at)) {
            events.push(AlertEvent { fingerprint, notification });
        }
    }
    events
}

/// The latest stored incident of an alert, as far as planning needs it.
#[derive(Clone, Debug)]
pub(crate) struct Latest {
    pub id: i64,
    pub status: AlertStatus,
    pub severity: Severity,
    pub resolved_at: Option<SystemTime>,
}

/// What to do with one alert event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Plan {
    /// A new incident.
    Open,
    /// Still the incident `id`: update its latest value and time; `status`
    /// is its new status (back to active when the severity rose above what
    /// was acknowledged) and `severity` the highest it fired with.
    Refire { id: i64, status: AlertStatus, severity: Severity },
    /// It resolved and fires again within `repeat_interval`: the same
    /// incident, active again, fired once more.
    Reopen { id: i64 },
    /// It resolved by itself.
    Resolve { id: i64, at: SystemTime },
    /// Nothing to change (a resolution of an incident already resolved, or
    /// of one never stored).
    Nothing,
}

/// Decides what an alert event does to the alert's latest incident.
pub(crate) fn plan(latest: Option<&Latest>, event: &AlertEvent<'_>) -> Plan {
    let alert = &event.notification.alert;
    match (latest, event.firing()) {
        (None, true) => Plan::Open,
        (None, false) => Plan::Nothing,
        (Some(latest), true) if latest.status != AlertStatus::Resolved => {
            let rose = severity_rank(alert.severity) > severity_rank(latest.severity);
            let (status, severity) =
                if rose { (AlertStatus::Active, alert.severity) } else { (latest.status, latest.severity) };
            Plan::Refire { id: latest.id, status, severity }
        }
        (Some(latest), true) => {
            let resolved_at = latest.resolved_at.unwrap_or(alert.starts_at);
            let gap = alert.starts_at.duration_since(resolved_at).unwrap_or(Duration::ZERO);
            if gap <= alert.repeat_interval { Plan::Reopen { id: latest.id } } else { Plan::Open }
        }
        (Some(latest), false) if latest.status != AlertStatus::Resolved => {
            Plan::Resolve { id: latest.id, at: alert.ends_at.unwrap_or_else(SystemTime::now) }
        }
        (Some(_), false) => Plan::Nothing,
    }
}

pub(crate) fn severity_rank(severity: Severity) -> i64 {
    Severity::ALL.iter().position(|s| *s == severity).unwrap_or(0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(
        rule: &str,
        status: AlertStatus,
        acknowledged_after: Option<u64>,
        resolved_after: Option<u64>,
    ) -> StoredAlert {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        StoredAlert {
            id: 1,
            rule: rule.to_owned(),
            fingerprint: String::new(),
            severity: Severity::Error,
            labels: BTreeMap::new(),
            summary: String::new(),
            value: 0.0,
            threshold: 0.0,
            status,
            started_at: start,
            last_fired_at: start,
            fired: 1,
            acknowledged_at: acknowledged_after.map(|s| start + Duration::from_secs(s)),
            acknowledged_by: acknowledged_after.map(|_| "alice".to_owned()),
            ack_comment: None,
            resolved_at: resolved_after.map(|s| start + Duration::from_secs(s)),
            resolved_by: None,
            group_key: None,
        }
    }

    #[test]
    fn mean_times_count_only_incidents_that_got_there() {
        let alerts = vec![
            alert("a", AlertStatus::Resolved, Some(60), Some(600)),
            alert("a", AlertStatus::Acknowledged, Some(120), None),
            alert("a", AlertStatus::Active, None, None),
            alert("b", AlertStatus::Resolved, None, Some(30)),
        ];
        let stats = stats_of(&alerts);
        assert_eq!(stats.len(), 2);
        assert_eq!((stats[0].incidents, stats[0].acknowledged, stats[0].resolved), (3, 2, 1));
        assert_eq!(stats[0].mtta, Some(Duration::from_secs(90)));
        assert_eq!(stats[0].mttr, Some(Duration::from_secs(600)));
        assert_eq!((stats[1].mtta, stats[1].mttr), (None, Some(Duration::from_secs(30))));
    }

    #[test]
    fn fingerprints_differ_by_rule_and_labels_and_not_by_label_order() {
        let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let a = fingerprint("r", &labels(&[("a", "1"), ("b", "2")]));
        assert_eq!(a, fingerprint("r", &labels(&[("b", "2"), ("a", "1")])));
        assert_ne!(a, fingerprint("s", &labels(&[("a", "1"), ("b", "2")])));
        assert_ne!(a, fingerprint("r", &labels(&[("a", "12")])));
        assert_ne!(fingerprint("r", &labels(&[("ab", "c")])), fingerprint("r", &labels(&[("a", "bc")])));
    }
}
