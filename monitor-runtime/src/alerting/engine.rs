//! The rules engine: feeds on occurrences, call durations, audit records,
//! new and regressed groups, heartbeats and resource samples, and says which
//! alerts fire and which resolved, with the numbers that made them. Each
//! rule's condition keeps its own state; the engine hands every input and
//! every evaluation to all of them.

use std::time::SystemTime;

use monitor_rules::{AlertConfig, Rule};

use super::alert::{Alert, Occurrence, ResourceSample};
use super::condition::{Input, State};
use super::fleet::FleetLook;
use super::label_sets::LabelLimit;
use crate::audit::AuditRecord;
use crate::histogram::DURATION_BUCKETS;

/// Evaluates a checked [`AlertConfig`] against what happens, at times given
/// by the caller (so tests control the clock).
///
/// ```
/// use monitor_runtime::alerting::{AlertState, Engine, Occurrence};
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
    /// Keeps each rule within [`MAX_LABEL_SETS`](super::MAX_LABEL_SETS)
    /// label sets, and counts what it turned away.
    limit: LabelLimit,
}

impl Engine {
    /// An engine for `config`, started at `now` (heartbeats count from here).
    pub fn new(config: AlertConfig, now: SystemTime) -> Self {
        let rules = config.rules.into_iter().map(|rule| {
            let state = State::for_rule(&rule, now);
            (rule, state)
        });
        Engine { rules: rules.collect(), limit: LabelLimit::default() }
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
        let firing = old.iter_mut().flat_map(|(_, state)| state.take_firing());
        firing.map(|alert| alert.resolved(now)).collect()
    }

    /// Records (occurrences, audit records, calls, new groups) that were not
    /// counted because their rule already tracked
    /// [`MAX_LABEL_SETS`](super::MAX_LABEL_SETS) label sets.
    pub fn over_label_limit(&self) -> u64 {
        self.limit.over()
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
        self.record(at, Input::Occurrences { occurrence, n });
    }

    /// Counts one audit record at `at`.
    pub fn record_audit(&mut self, at: SystemTime, record: &AuditRecord) {
        self.record(at, Input::Audit(record));
    }

    /// Call durations of one function, as counts per duration bucket (see
    /// [`crate::histogram::bucket_upper_bound`]) of the calls that finished
    /// since the previous report.
    pub fn record_calls(&mut self, at: SystemTime, module: &str, function: &str, buckets: &[u64; DURATION_BUCKETS]) {
        self.record(at, Input::Calls { module, function, buckets });
    }

    /// How many calls of one function finished since the previous report,
    /// and how many of them failed (returned `Err` or panicked): what
    /// `error_rate` rules are computed from.
    ///
    /// ```
    /// use monitor_runtime::alerting::Engine;
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
        self.record(at, Input::CallOutcomes { module, function, calls, failed });
    }

    /// A group seen for the first time (`regression: false`) or a resolved
    /// group seen again (`regression: true`).
    pub fn record_group(&mut self, at: SystemTime, occurrence: &Occurrence<'_>, regression: bool) {
        self.record(at, Input::Group { occurrence, regression });
    }

    /// A heartbeat called `name` at `at`.
    pub fn heartbeat(&mut self, at: SystemTime, name: &str) {
        self.record(at, Input::Heartbeat(name));
    }

    /// Whether a memory or CPU rule wants a [`ResourceSample`] at `now`.
    pub fn resources_due(&self, now: SystemTime) -> bool {
        self.rules.iter().any(|(_, state)| state.resources_due(now))
    }

    /// Checks the memory and CPU rules that are due against `sample`.
    pub fn record_resources(&mut self, now: SystemTime, sample: ResourceSample) {
        self.record(now, Input::Resources(sample));
    }

    /// The alerts firing at `now`, and those that resolved since the last
    /// evaluation (each resolved alert is returned once).
    pub fn evaluate(&mut self, now: SystemTime) -> Vec<Alert> {
        let mut out = Vec::new();
        for (rule, state) in &mut self.rules {
            state.evaluate(rule, now, &mut out);
        }
        out
    }

    /// What the fleet source said at the worker's last look: the counts
    /// fleet rules compare when this instance leads, or that another leads.
    pub fn record_fleet(&mut self, now: SystemTime, look: &FleetLook) {
        match look {
            FleetLook::Leading(counts) => self.record(now, Input::FleetCounts(counts)),
            FleetLook::Following => self.record(now, Input::FleetFollowing),
        }
    }

    /// The longest window of the fleet rules, if there are any.
    pub fn fleet_window(&self) -> Option<std::time::Duration> {
        self.rules
            .iter()
            .filter_map(|(rule, _)| match &rule.condition {
                monitor_rules::Condition::FleetErrors { window, .. } => Some(*window),
                _ => None,
            })
            .max()
    }

    /// Gives `input` to every rule; each takes it only if its condition is
    /// about it.
    fn record(&mut self, at: SystemTime, input: Input<'_>) {
        for (rule, state) in &mut self.rules {
            state.record(rule, at, &input, &mut self.limit);
        }
    }
}
