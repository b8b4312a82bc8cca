//! What the rules engine takes in and gives out.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use monitor_rules::Rule;

use crate::event::{EventKind, GroupKey};
use monitor_rules::Severity;

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
    /// The rule's `repeat_interval`: a store counts an alert that resolves
    /// and fires again within it as the same incident.
    pub repeat_interval: Duration,
    /// What it is about, for the people who read it.
    pub details: AlertDetails,
}

impl Alert {
    /// A firing alert of `rule` for `labels`, starting at `now`, compared
    /// with `threshold`; its condition fills in the value, summary and
    /// details, which change while it fires.
    pub(super) fn firing(rule: &Rule, labels: Labels, now: SystemTime, threshold: f64) -> Alert {
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
            repeat_interval: rule.repeat_interval,
            details: AlertDetails::default(),
        }
    }

    /// This alert, resolved at `now`; it keeps what it said while firing
    /// unless its condition says otherwise.
    pub(super) fn resolved(&self, now: SystemTime) -> Alert {
        Alert { state: AlertState::Resolved, ends_at: Some(now), ..self.clone() }
    }
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
    /// The frames of the event's stack backtrace, innermost first (see
    /// [`Backtrace`](crate::Backtrace)); empty when the event has none.
    pub backtrace: Vec<String>,
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
    /// What alerts about this occurrence show, if the caller has it.
    pub details: Option<&'a Arc<AlertDetails>>,
}

/// The process's resources at one moment, for memory and CPU rules.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ResourceSample {
    /// Resident memory, when the platform tells it.
    pub resident_bytes: Option<u64>,
    /// CPU time the process has used since it started, when the platform
    /// tells it. Each CPU rule takes the difference between two of its own
    /// checks, so its percentage is the average over its own period.
    pub cpu_time: Option<std::time::Duration>,
}
