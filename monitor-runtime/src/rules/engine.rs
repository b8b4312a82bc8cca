//! The rules engine: feeds on occurrences, audit records, new and regressed
//! groups and heartbeats, and says which alerts fire and which resolved,
//! with the numbers that made them.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use monitor_rules::{AlertConfig, Condition, Field, Filter, Op, Rule};

use super::window::SlidingCount;
use crate::audit::AuditRecord;
use crate::event::{EventKind, GroupKey};
use crate::severity::Severity;

/// Labels of an alert: the rule's `group_by` values.
pub type Labels = BTreeMap<String, String>;

/// Whether an alert is on or over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// The condition holds.
    Firing,
    /// The condition held and no longer does.
    Resolved,
}

/// One alert of one rule for one set of labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// The rule's name.
    pub rule: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The rule's `group_by` values for this alert.
    pub labels: Labels,
    /// Firing or resolved.
    pub state: AlertState,
    /// The number that was compared (a count, seconds of silence).
    pub value: f64,
    /// What it was compared with.
    pub threshold: f64,
    /// One sentence for people.
    pub summary: String,
    /// When it started firing.
    pub starts_at: SystemTime,
    /// When it resolved.
    pub ends_at: Option<SystemTime>,
    /// What it is about, for the people who read it.
    pub details: AlertDetails,
}

/// What an alert is about: filled from the latest event or group that
/// matched its rule, where there is one (empty for heartbeats and process
/// resources). Destinations show these as fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertDetails {
    /// The reporting service.
    pub service: Option<String>,
    /// Its environment (production, staging…).
    pub environment: Option<String>,
    /// Module path of the code involved.
    pub module: Option<String>,
    /// Function involved.
    pub function: Option<String>,
    /// The error group involved.
    pub group: Option<GroupKey>,
    /// Error, panic, slow call or message.
    pub kind: Option<EventKind>,
    /// The latest message (scrubbed), or the group's template.
    pub message: Option<String>,
    /// The error's type name.
    pub error_type: Option<String>,
    /// The user in context, if any.
    pub user: Option<String>,
    /// The trace id in context, if any.
    pub trace_id: Option<String>,
    /// The error's `source()` chain or the panic's location, outermost first.
    pub traceback: Vec<String>,
    /// Occurrences counted for the alert (in its window, or of its group).
    pub occurrences: u64,
    /// Context tags of the latest event.
    pub tags: BTreeMap<String, String>,
}

/// What the engine needs to know of one occurrence (or of several of one group).
#[derive(Clone, Copy, Debug)]
pub struct Occurrence<'a> {
    /// Severity.
    pub severity: Severity,
    /// Kind.
    pub kind: EventKind,
    /// Module path.
    pub module: &'a str,
    /// Function.
    pub function: &'a str,
    /// Group key.
    pub group: GroupKey,
    /// Context tags.
    pub tags: &'a BTreeMap<String, String>,
    /// The group's template, for summaries.
    pub template: &'a str,
}

enum State {
    /// Count conditions (errors, audit records) per label set.
    Counting { windows: HashMap<Labels, SlidingCount>, firing: HashMap<Labels, Alert> },
    /// One-off conditions (new group, regression): an alert per event, resolved after the group interval.
    Events { firing: HashMap<Labels, Alert> },
    /// Absence of a heartbeat.
    Heartbeat { last: SystemTime, firing: Option<Alert> },
    /// Conditions evaluated from call statistics and process resources, which
    /// this engine does not evaluate yet.
    NotEvaluated,
}

/// Evaluates a checked [`AlertConfig`] against what happens, at times given
/// by the caller (so tests control the clock).
///
/// ```
/// use monitor_runtime::rules::{AlertState, Engine, Occurrence};
/// use monitor_runtime::{EventKind, GroupKey, Severity};
/// use std::collections::BTreeMap;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let config = monitor_runtime::alerts! {
///     destination ops = console;
///     rule too_many { when errors(severity >= error) > 2 within 1m; notify ops; }
/// };
/// let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
/// let mut engine = Engine::new(config, start);
/// let tags = BTreeMap::new();
/// let occurrence = Occurrence {
///     severity: Severity::Error, kind: EventKind::Error, module: "billing", function: "charge",
///     group: GroupKey(1), tags: &tags, template: "card <*> declined",
/// };
/// engine.record_occurrences(start, &occurrence, 3);
/// assert_eq!(engine.evaluate(start)[0].state, AlertState::Firing);
/// let later = engine.evaluate(start + Duration::from_secs(120));
/// assert_eq!(later[0].state, AlertState::Resolved);
/// ```
pub struct Engine {
    rules: Vec<(Rule, State)>,
}

impl Engine {
    /// An engine for `config`, started at `now` (heartbeats count from here).
    pub fn new(config: AlertConfig, now: SystemTime) -> Self {
        let rules = config
            .rules
            .into_iter()
            .map(|rule| {
                let state = match &rule.condition {
                    Condition::Errors { .. } | Condition::Audit { .. } => {
                        State::Counting { windows: HashMap::new(), firing: HashMap::new() }
                    }
                    Condition::NewGroup { .. } | Condition::Regression { .. } => {
                        State::Events { firing: HashMap::new() }
                    }
                    Condition::Absent { .. } => State::Heartbeat { last: now, firing: None },
                    Condition::Latency { .. } | Condition::Memory { .. } | Condition::Cpu { .. } => State::NotEvaluated,
                };
                (rule, state)
            })
            .collect();
        Engine { rules }
    }

    /// Counts `n` occurrences of one group at `at`.
    pub fn record_occurrences(&mut self, at: SystemTime, occurrence: &Occurrence<'_>, n: u64) {
        for (rule, state) in &mut self.rules {
            let (Condition::Errors { filters, window, .. }, State::Counting { windows, .. }) =
                (&rule.condition, &mut *state)
            else {
                continue;
            };
            if filters.iter().all(|f| matches_occurrence(f, occurrence)) {
                let labels = occurrence_labels(&rule.group_by, occurrence);
                windows.entry(labels).or_insert_with(|| SlidingCount::new(*window)).add(at, n);
            }
        }
    }

    /// Counts one audit record.
    pub fn record_audit(&mut self, record: &AuditRecord) {
        for (rule, state) in &mut self.rules {
            let (Condition::Audit { filters, window, .. }, State::Counting { windows, .. }) =
                (&rule.condition, &mut *state)
            else {
                continue;
            };
            if filters.iter().all(|f| matches_audit(f, record)) {
                windows.entry(Labels::new()).or_insert_with(|| SlidingCount::new(*window)).add(record.timestamp, 1);
            }
        }
    }

    /// A group seen for the first time (`regression: false`) or a resolved
    /// group seen again (`regression: true`).
    pub fn record_group(&mut self, at: SystemTime, occurrence: &Occurrence<'_>, regression: bool) {
        for (rule, state) in &mut self.rules {
            let filters = match (&rule.condition, regression) {
                (Condition::NewGroup { filters }, false) | (Condition::Regression { filters }, true) => filters,
                _ => continue,
            };
            let State::Events { firing } = state else { continue };
            if !filters.iter().all(|f| matches_occurrence(f, occurrence)) {
                continue;
            }
            let mut labels = occurrence_labels(&rule.group_by, occurrence);
            labels.insert("group".to_owned(), occurrence.group.to_string());
            let what = if regression { "came back after it was resolved" } else { "appeared for the first time" };
            firing.entry(labels.clone()).or_insert_with(|| Alert {
                rule: rule.name.clone(),
                severity: rule.severity,
                labels,
                state: AlertState::Firing,
                value: 1.0,
                threshold: 0.0,
                summary: format!("{}::{}: `{}` {what}", occurrence.module, occurrence.function, occurrence.template),
                starts_at: at,
                ends_at: None,
                details: AlertDetails::default(),
            });
        }
    }

    /// A heartbeat called `name` at `at`.
    pub fn heartbeat(&mut self, at: SystemTime, name: &str) {
        for (rule, state) in &mut self.rules {
            if let (Condition::Absent { heartbeat, .. }, State::Heartbeat { last, .. }) = (&rule.condition, state)
                && heartbeat == name
            {
                *last = (*last).max(at);
            }
        }
    }

    /// The alerts firing at `now`, and those that resolved since the last
    /// evaluation (each resolved alert is returned once).
    pub fn evaluate(&mut self, now: SystemTime) -> Vec<Alert> {
        let mut out = Vec::new();
        for (rule, state) in &mut self.rules {
            match state {
                State::Counting { windows, firing } => evaluate_counts(rule, windows, firing, now, &mut out),
                State::Events { firing } => {
                    let lifetime = rule.group_interval;
                    firing.retain(|_, alert| {
                        if now.duration_since(alert.starts_at).unwrap_or_default() >= lifetime {
                            out.push(resolved(alert, now));
                            false
                        } else {
                            out.push(alert.clone());
                            true
                        }
                    });
                }
                State::Heartbeat { last, firing } => {
                    let Condition::Absent { heartbeat, period } = &rule.condition else { continue };
                    let silent = now.duration_since(*last).unwrap_or_default();
                    if silent > *period {
                        let alert = firing.get_or_insert_with(|| Alert {
                            rule: rule.name.clone(),
                            severity: rule.severity,
                            labels: Labels::from([("heartbeat".to_owned(), heartbeat.clone())]),
                            state: AlertState::Firing,
                            value: 0.0,
                            threshold: period.as_secs_f64(),
                            summary: String::new(),
                            starts_at: now,
                            ends_at: None,
                            details: AlertDetails::default(),
                        });
                        alert.value = silent.as_secs_f64();
                        alert.summary = format!(
                            "no heartbeat `{heartbeat}` for {} (allowed: {})",
                            humantime::format_duration(whole_seconds(silent)),
                            humantime::format_duration(*period)
                        );
                        out.push(alert.clone());
                    } else if let Some(alert) = firing.take() {
                        out.push(resolved(&alert, now));
                    }
                }
                State::NotEvaluated => {}
            }
        }
        out
    }
}

fn evaluate_counts(
    rule: &Rule,
    windows: &mut HashMap<Labels, SlidingCount>,
    firing: &mut HashMap<Labels, Alert>,
    now: SystemTime,
    out: &mut Vec<Alert>,
) {
    let (above, window, what) = match &rule.condition {
        Condition::Errors { above, window, .. } => (*above, *window, "errors"),
        Condition::Audit { above, window, .. } => (*above, *window, "audit records"),
        _ => return,
    };
    for (labels, count) in windows.iter_mut() {
        let total = count.total(now);
        if total > above {
            let alert = firing.entry(labels.clone()).or_insert_with(|| Alert {
                rule: rule.name.clone(),
                severity: rule.severity,
                labels: labels.clone(),
                state: AlertState::Firing,
                value: 0.0,
                threshold: above as f64,
                summary: String::new(),
                starts_at: now,
                ends_at: None,
                details: AlertDetails::default(),
            });
            alert.value = total as f64;
            alert.summary = format!("{total} {what} within {} (more than {above})", humantime::format_duration(window));
            out.push(alert.clone());
        } else if let Some(alert) = firing.remove(labels) {
            out.push(resolved(&alert, now));
        }
    }
    windows.retain(|labels, count| !count.is_empty() || firing.contains_key(labels));
}

fn resolved(alert: &Alert, now: SystemTime) -> Alert {
    Alert { state: AlertState::Resolved, ends_at: Some(now), ..alert.clone() }
}

fn whole_seconds(duration: Duration) -> Duration {
    Duration::from_secs(duration.as_secs())
}

fn occurrence_labels(group_by: &[String], occurrence: &Occurrence<'_>) -> Labels {
    group_by
        .iter()
        .map(|label| {
            let value = match label.as_str() {
                "function" => occurrence.function.to_owned(),
                "module" => occurrence.module.to_owned(),
                "group" => occurrence.group.to_string(),
                "severity" => occurrence.severity.as_str().to_owned(),
                "kind" => occurrence.kind.as_str().to_owned(),
                tag => occurrence.tags.get(tag.trim_start_matches("tag.")).cloned().unwrap_or_default(),
            };
            (label.clone(), value)
        })
        .collect()
}

fn matches_occurrence(filter: &Filter, occurrence: &Occurrence<'_>) -> bool {
    match &filter.field {
        Field::Severity => match filter.value.parse::<Severity>() {
            Ok(wanted) => compare(filter.op, occurrence.severity.cmp(&wanted)),
            Err(_) => false,
        },
        Field::Module => text(filter, occurrence.module),
        Field::Function => text(filter, occurrence.function),
        Field::Group => text(filter, &occurrence.group.to_string()),
        Field::Kind => text(filter, occurrence.kind.as_str()),
        Field::Tag(tag) => text(filter, occurrence.tags.get(tag).map_or("", String::as_str)),
        Field::Process | Field::Action | Field::Status => false,
    }
}

fn matches_audit(filter: &Filter, record: &AuditRecord) -> bool {
    match &filter.field {
        Field::Process => text(filter, &record.process),
        Field::Action => text(filter, &record.action),
        Field::Status => text(filter, record.status.as_str()),
        _ => false,
    }
}

fn compare(op: Op, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => ordering == Equal,
        Op::Ne => ordering != Equal,
        Op::Ge => ordering != Less,
        Op::Gt => ordering == Greater,
        Op::Le => ordering != Greater,
        Op::Lt => ordering == Less,
    }
}

/// `=` and `!=` match with `*` as "any run of characters"; the orderings compare text.
fn text(filter: &Filter, value: &str) -> bool {
    match filter.op {
        Op::Eq => glob(&filter.value, value),
        Op::Ne => !glob(&filter.value, value),
        op => compare(op, value.cmp(filter.value.as_str())),
    }
}

fn glob(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) || value.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob("payments::*", "payments::sepa::collect"));
        assert!(!glob("payments::*", "billing::payments"));
        assert!(glob("*::collect", "payments::sepa::collect"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxc"));
        assert!(glob("exact", "exact"));
        assert!(!glob("ab*ba", "aba"));
    }
}
