//! The rules engine: feeds on occurrences, call durations, audit records,
//! new and regressed groups, heartbeats and resource samples, and says which
//! alerts fire and which resolved, with the numbers that made them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use monitor_rules::{AlertConfig, Condition, Rule};

use super::alert::{Alert, AlertDetails, AlertState, Labels, Occurrence, ResourceSample};
use super::error_rate::{self, CallOutcomes};
use super::matching::{audit_labels, call_labels, matches_audit, matches_call, matches_occurrence, occurrence_labels};
use super::window::{SlidingCount, SlidingHistogram};
use crate::audit::AuditRecord;
use crate::callsite::DURATION_BUCKETS;

enum State {
    /// Count conditions (errors, audit records) per label set.
    Counting {
        windows: HashMap<Labels, SlidingCount>,
        firing: HashMap<Labels, Alert>,
        latest: HashMap<Labels, Arc<AlertDetails>>,
    },
    /// Latency percentiles per label set.
    Latency { windows: HashMap<Labels, SlidingHistogram>, firing: HashMap<Labels, Alert> },
    /// The share of failed calls per label set.
    ErrorRate { windows: HashMap<Labels, CallOutcomes>, firing: HashMap<Labels, Alert> },
    /// One-off conditions (new group, regression): an alert per event,
    /// resolved once it has been reported firing for the longer of the
    /// group wait and the group interval (`reported` says since when).
    Events { firing: HashMap<Labels, Alert>, reported: HashMap<Labels, SystemTime> },
    /// Absence of a heartbeat.
    Heartbeat(Box<HeartbeatState>),
    /// Memory or CPU, checked every `every`.
    Resource(Box<ResourceState>),
}

struct HeartbeatState {
    last: SystemTime,
    firing: Option<Alert>,
}

struct ResourceState {
    next_check: SystemTime,
    firing: Option<Alert>,
    resolved: Option<Alert>,
    /// A CPU rule's previous check: when, and the process's CPU time then.
    cpu_before: Option<(SystemTime, Duration)>,
}

impl State {
    fn for_rule(rule: &Rule, now: SystemTime) -> State {
        match &rule.condition {
            Condition::Errors { .. } | Condition::Audit { .. } => {
                State::Counting { windows: HashMap::new(), firing: HashMap::new(), latest: HashMap::new() }
            }
            Condition::Latency { .. } => State::Latency { windows: HashMap::new(), firing: HashMap::new() },
            Condition::NewGroup { .. } | Condition::Regression { .. } => {
                State::Events { firing: HashMap::new(), reported: HashMap::new() }
            }
            Condition::ErrorRate { .. } => State::ErrorRate { windows: HashMap::new(), firing: HashMap::new() },
            Condition::Absent { .. } => State::Heartbeat(Box::new(HeartbeatState { last: now, firing: None })),
            // The first check is due at once: a process that starts over its
            // memory limit says so; a CPU rule's first check only takes the
            // CPU time its first verdict, one period later, is measured from.
            Condition::Memory { .. } | Condition::Cpu { .. } => State::Resource(Box::new(ResourceState {
                next_check: now,
                firing: None,
                resolved: None,
                cpu_before: None,
            })),
        }
    }
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
///     group: GroupKey(1), tags: &tags, template: "card <*> declined", details: None,
/// };
/// engine.record_occurrences(start, &occurrence, 3);
/// assert_eq!(engine.evaluate(start)[0].state, AlertState::Firing);
/// let later = engine.evaluate(start + Duration::from_secs(120));
/// assert_eq!(later[0].state, AlertState::Resolved);
/// ```
pub struct Engine {
    rules: Vec<(Rule, State)>,
    /// Records not counted because their rule already tracked
    /// [`MAX_LABEL_SETS`] label sets.
    over_label_limit: u64,
}

/// The most label sets (distinct values of a rule's `group_by` labels) one
/// rule tracks at a time, so that `group_by tag.user` on a busy service
/// cannot grow memory without bound. Records of a new label set beyond it
/// are not counted, and are counted in [`Engine::over_label_limit`] instead;
/// a label set leaves when its window empties.
pub const MAX_LABEL_SETS: usize = 1_000;

/// The entry for `labels` in one rule's map, made with `make` if there is
/// room for another label set; `None` (and one more count in `over`) when
/// the rule is full.
fn entry_within_limit<'a, V>(
    map: &'a mut HashMap<Labels, V>,
    labels: Labels,
    over: &mut u64,
    make: impl FnOnce() -> V,
) -> Option<&'a mut V> {
    if map.len() >= MAX_LABEL_SETS && !map.contains_key(&labels) {
        *over += 1;
        return None;
    }
    Some(map.entry(labels).or_insert_with(make))
}

impl Engine {
    /// An engine for `config`, started at `now` (heartbeats count from here).
    pub fn new(config: AlertConfig, now: SystemTime) -> Self {
        let rules = config.rules.into_iter().map(|rule| (State::for_rule(&rule, now), rule)).map(|(s, r)| (r, s));
        Engine { rules: rules.collect(), over_label_limit: 0 }
    }

    /// Takes a new configuration. A rule that is unchanged (same name, same
    /// definition) keeps its windows and firing alerts; the others start
    /// afresh; alerts of removed or changed rules resolve at once (they are
    /// returned here, to be routed).
    pub fn reload(&mut self, config: AlertConfig, now: SystemTime) -> Vec<Alert> {
        let mut old: Vec<(Rule, State)> = std::mem::take(&mut self.rules);
        for rule in config.rules {
            let state = match old.iter().position(|(r, _)| *r == rule) {
                Some(index) => old.swap_remove(index).1,
                None => State::for_rule(&rule, now),
            };
            self.rules.push((rule, state));
        }
        let mut resolved = Vec::new();
        for (_, state) in old {
            let firing: Vec<Alert> = match state {
                State::Counting { firing, .. }
                | State::Latency { firing, .. }
                | State::ErrorRate { firing, .. }
                | State::Events { firing, .. } => firing.into_values().collect(),
                State::Heartbeat(heartbeat) => heartbeat.firing.into_iter().collect(),
                State::Resource(resource) => resource.firing.into_iter().collect(),
            };
            resolved.extend(firing.iter().map(|alert| resolve(alert, now)));
        }
        resolved
    }

    /// Records (occurrences, audit records, calls, new groups) that were not
    /// counted because their rule already tracked [`MAX_LABEL_SETS`] label sets.
    pub fn over_label_limit(&self) -> u64 {
        self.over_label_limit
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True without rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Counts `n` occurrences of one group at `at`.
    pub fn record_occurrences(&mut self, at: SystemTime, occurrence: &Occurrence<'_>, n: u64) {
        for (rule, state) in &mut self.rules {
            let (Condition::Errors { filters, window, .. }, State::Counting { windows, latest, .. }) =
                (&rule.condition, &mut *state)
            else {
                continue;
            };
            if filters.iter().all(|f| matches_occurrence(f, occurrence)) {
                let labels = occurrence_labels(&rule.group_by, occurrence);
                let make = || SlidingCount::new(*window);
                let Some(count) = entry_within_limit(windows, labels.clone(), &mut self.over_label_limit, make) else {
                    continue;
                };
                count.add(at, n);
                if let Some(details) = occurrence.details {
                    latest.insert(labels, details.clone());
                }
            }
        }
    }

    /// Counts one audit record at `at`.
    pub fn record_audit(&mut self, at: SystemTime, record: &AuditRecord) {
        for (rule, state) in &mut self.rules {
            let (Condition::Audit { filters, window, .. }, State::Counting { windows, .. }) =
                (&rule.condition, &mut *state)
            else {
                continue;
            };
            if filters.iter().all(|f| matches_audit(f, record)) {
                let labels = audit_labels(&rule.group_by, record);
                let make = || SlidingCount::new(*window);
                if let Some(count) = entry_within_limit(windows, labels, &mut self.over_label_limit, make) {
                    count.add(at, 1);
                }
            }
        }
    }

    /// Call durations of one function, as counts per duration bucket (see
    /// [`crate::callsite::bucket_upper_bound`]) of the calls that finished
    /// since the previous report.
    pub fn record_calls(&mut self, at: SystemTime, module: &str, function: &str, buckets: &[u64; DURATION_BUCKETS]) {
        for (rule, state) in &mut self.rules {
            let (Condition::Latency { filters, window, .. }, State::Latency { windows, .. }) =
                (&rule.condition, &mut *state)
            else {
                continue;
            };
            if filters.iter().all(|f| matches_call(f, module, function)) {
                let labels = call_labels(&rule.group_by, module, function);
                let make = || SlidingHistogram::new(*window);
                if let Some(histogram) = entry_within_limit(windows, labels, &mut self.over_label_limit, make) {
                    histogram.add(at, buckets);
                }
            }
        }
    }

    /// How many calls of one function finished since the previous report,
    /// and how many of them failed (returned `Err` or panicked): what
    /// `error_rate` rules are computed from.
    ///
    /// ```
    /// use monitor_runtime::rules::Engine;
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let config = monitor_runtime::alerts! {
    ///     destination ops = console;
    ///     rule failing { when error_rate(function = "payments::*") > 5% over 15m; notify ops; }
    /// };
    /// let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
    /// let mut engine = Engine::new(config, now);
    /// engine.record_call_outcomes(now, "shop::payments", "charge", 100, 6);
    /// assert_eq!(engine.evaluate(now)[0].value, 6.0);
    /// ```
    pub fn record_call_outcomes(&mut self, at: SystemTime, module: &str, function: &str, calls: u64, failed: u64) {
        if calls == 0 && failed == 0 {
            return;
        }
        for (rule, state) in &mut self.rules {
            let (Condition::ErrorRate { filters, window, .. }, State::ErrorRate { windows, .. }) =
                (&rule.condition, &mut *state)
            else {
                continue;
            };
            if filters.iter().all(|f| matches_call(f, module, function)) {
                let labels = call_labels(&rule.group_by, module, function);
                let make = || CallOutcomes::new(*window);
                if let Some(outcomes) = entry_within_limit(windows, labels, &mut self.over_label_limit, make) {
                    outcomes.add(at, calls, failed);
                }
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
            let State::Events { firing, .. } = state else { continue };
            if !filters.iter().all(|f| matches_occurrence(f, occurrence)) {
                continue;
            }
            let mut labels = occurrence_labels(&rule.group_by, occurrence);
            labels.insert("group".to_owned(), occurrence.group.to_string());
            let what = if regression { "came back after it was resolved" } else { "appeared for the first time" };
            entry_within_limit(firing, labels.clone(), &mut self.over_label_limit, || {
                let mut alert = new_alert(rule, labels, at, 0.0);
                alert.value = 1.0;
                alert.summary =
                    format!("{}::{}: `{}` {what}", occurrence.module, occurrence.function, occurrence.template);
                alert.details = occurrence.details.map(|d| (**d).clone()).unwrap_or_default();
                alert
            });
        }
    }

    /// A heartbeat called `name` at `at`.
    pub fn heartbeat(&mut self, at: SystemTime, name: &str) {
        for (rule, state) in &mut self.rules {
            if let (Condition::Absent { heartbeat, .. }, State::Heartbeat(state)) = (&rule.condition, state)
                && heartbeat == name
            {
                state.last = state.last.max(at);
            }
        }
    }

    /// Whether a memory or CPU rule wants a [`ResourceSample`] at `now`.
    pub fn resources_due(&self, now: SystemTime) -> bool {
        self.rules.iter().any(|(_, state)| matches!(state, State::Resource(resource) if resource.next_check <= now))
    }

    /// Checks the memory and CPU rules that are due against `sample`.
    pub fn record_resources(&mut self, now: SystemTime, sample: ResourceSample) {
        for (rule, state) in &mut self.rules {
            let State::Resource(resource) = state else { continue };
            let ResourceState { next_check, firing, resolved, cpu_before } = &mut **resource;
            if *next_check > now {
                continue;
            }
            // The reading, its limit and how each reads, as `(value, limit)` text.
            let (value, threshold, every, shown) = match &rule.condition {
                Condition::Memory { above_bytes, every } => {
                    let Some(bytes) = sample.resident_bytes else { continue };
                    (bytes as f64, *above_bytes as f64, *every, ("resident memory", mib(bytes), mib(*above_bytes)))
                }
                Condition::Cpu { above_percent, every } => {
                    let Some(cpu_now) = sample.cpu_time else { continue };
                    let Some(percent) = cpu_average(cpu_before.replace((now, cpu_now)), now, cpu_now) else {
                        *next_check = now + *every;
                        continue;
                    };
                    let shown = ("CPU", format!("{percent:.0}% of one core"), format!("{above_percent}%"));
                    (percent, *above_percent, *every, shown)
                }
                _ => continue,
            };
            *next_check = now + every;
            let (what, reading, limit) = shown;
            if value > threshold {
                let alert = firing.get_or_insert_with(|| new_alert(rule, Labels::new(), now, threshold));
                alert.value = value;
                alert.summary = format!("{what} {reading} (more than {limit})");
            } else if let Some(alert) = firing.take() {
                let mut back = resolve(&alert, now);
                back.value = value;
                back.summary = format!("{what} back to {reading} (at most {limit})");
                *resolved = Some(back);
            }
        }
    }

    /// The alerts firing at `now`, and those that resolved since the last
    /// evaluation (each resolved alert is returned once).
    pub fn evaluate(&mut self, now: SystemTime) -> Vec<Alert> {
        let mut out = Vec::new();
        for (rule, state) in &mut self.rules {
            match state {
                State::Counting { windows, firing, latest } => {
                    evaluate_counts(rule, windows, firing, latest, now, &mut out);
                }
                State::Latency { windows, firing } => evaluate_latency(rule, windows, firing, now, &mut out),
                State::ErrorRate { windows, firing } => {
                    error_rate::evaluate(rule, windows, firing, now, &mut out);
                }
                State::Events { firing, reported } => {
                    // Counted from the first report, which the router sees at
                    // the same instant: the alert outlives the group wait, so
                    // the router always tells it, however late this look.
                    let lifetime = rule.group_interval.max(rule.group_wait);
                    firing.retain(|labels, alert| {
                        let since = *reported.entry(labels.clone()).or_insert(now);
                        if now.duration_since(since).unwrap_or_default() >= lifetime.max(Duration::from_nanos(1)) {
                            reported.remove(labels);
                            let mut resolved = resolve(alert, now);
                            resolved.summary = format!(
                                "{} (told once; a one-off alert resolves {} after it fired)",
                                alert.summary,
                                humantime::format_duration(lifetime)
                            );
                            out.push(resolved);
                            false
                        } else {
                            out.push(alert.clone());
                            true
                        }
                    });
                }
                State::Heartbeat(heartbeat_state) => {
                    let HeartbeatState { last, firing } = &mut **heartbeat_state;
                    let Condition::Absent { heartbeat, period } = &rule.condition else { continue };
                    let silent = now.duration_since(*last).unwrap_or_default();
                    if silent > *period {
                        let labels = Labels::from([("heartbeat".to_owned(), heartbeat.clone())]);
                        let alert = firing.get_or_insert_with(|| new_alert(rule, labels, now, period.as_secs_f64()));
                        alert.value = silent.as_secs_f64();
                        alert.summary = format!(
                            "no heartbeat `{heartbeat}` for {} (allowed: {})",
                            humantime::format_duration(whole_seconds(silent)),
                            humantime::format_duration(*period)
                        );
                        out.push(alert.clone());
                    } else if let Some(alert) = firing.take() {
                        out.push(resolve(&alert, now));
                    }
                }
                State::Resource(resource) => {
                    out.extend(resource.firing.iter().cloned());
                    out.extend(resource.resolved.take());
                }
            }
        }
        out
    }
}

fn evaluate_counts(
    rule: &Rule,
    windows: &mut HashMap<Labels, SlidingCount>,
    firing: &mut HashMap<Labels, Alert>,
    latest: &mut HashMap<Labels, Arc<AlertDetails>>,
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
            let alert =
                firing.entry(labels.clone()).or_insert_with(|| new_alert(rule, labels.clone(), now, above as f64));
            alert.value = total as f64;
            alert.summary = format!("{total} {what} within {} (more than {above})", humantime::format_duration(window));
            if let Some(details) = latest.get(labels) {
                alert.details = (**details).clone();
            }
            alert.details.occurrences = total;
            out.push(alert.clone());
        } else if let Some(alert) = firing.remove(labels) {
            let mut resolved = resolve(&alert, now);
            resolved.value = total as f64;
            resolved.summary = format!(
                "back to {total} {what} within {} (at most {above}; last above: {})",
                humantime::format_duration(window),
                alert.value
            );
            out.push(resolved);
        }
    }
    windows.retain(|labels, count| !count.is_empty() || firing.contains_key(labels));
    latest.retain(|labels, _| windows.contains_key(labels));
}

fn evaluate_latency(
    rule: &Rule,
    windows: &mut HashMap<Labels, SlidingHistogram>,
    firing: &mut HashMap<Labels, Alert>,
    now: SystemTime,
    out: &mut Vec<Alert>,
) {
    let Condition::Latency { percentile, above, window, .. } = &rule.condition else { return };
    for (labels, histogram) in windows.iter_mut() {
        match histogram.percentile(now, *percentile) {
            Some((calls, value)) if value > *above => {
                let alert = firing.entry(labels.clone()).or_insert_with(|| new_alert(rule, labels.clone(), now, 0.0));
                alert.threshold = above.as_secs_f64();
                alert.value = value.as_secs_f64();
                let place = labels
                    .get("function")
                    .or_else(|| labels.get("module"))
                    .map_or(String::new(), |p| format!(" of {p}"));
                alert.summary = format!(
                    "p{percentile}{place} was {:.3?} over {} ({calls} calls; more than {:?})",
                    value,
                    humantime::format_duration(*window),
                    above
                );
                alert.details.function = labels.get("function").cloned();
                alert.details.module = labels.get("module").cloned();
                alert.details.occurrences = calls;
                out.push(alert.clone());
            }
            estimate => {
                if let Some(alert) = firing.remove(labels) {
                    let mut resolved = resolve(&alert, now);
                    resolved.value = estimate.map_or(0.0, |(_, value)| value.as_secs_f64());
                    resolved.summary = format!("p{percentile} back under {above:?}; it fired at {:.3}s", alert.value);
                    out.push(resolved);
                }
            }
        }
    }
    windows.retain(|labels, histogram| !histogram.is_empty() || firing.contains_key(labels));
}

pub(super) fn new_alert(rule: &Rule, labels: Labels, now: SystemTime, threshold: f64) -> Alert {
    Alert {
        rule: rule.name.clone(),
        severity: rule.severity,
        labels,
        state: AlertState::Firing,
        value: 0.0,
        threshold,
        summary: String::new(),
        starts_at: now,
        ends_at: None,
        details: AlertDetails::default(),
    }
}

pub(super) fn resolve(alert: &Alert, now: SystemTime) -> Alert {
    Alert { state: AlertState::Resolved, ends_at: Some(now), ..alert.clone() }
}

fn whole_seconds(duration: Duration) -> Duration {
    Duration::from_secs(duration.as_secs())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// CPU use between `before` and now, in percent of one core; `None` for
/// the first check or a clock that did not move.
fn cpu_average(before: Option<(SystemTime, Duration)>, now: SystemTime, cpu_now: Duration) -> Option<f64> {
    let (then, cpu_then) = before?;
    let wall = now.duration_since(then).ok().filter(|wall| !wall.is_zero())?;
    Some(100.0 * cpu_now.saturating_sub(cpu_then).as_secs_f64() / wall.as_secs_f64())
}
