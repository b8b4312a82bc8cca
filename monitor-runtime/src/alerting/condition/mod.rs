//! What each rule keeps between inputs: one state per condition kind, each
//! in its own file with its own inputs and its own evaluation, and
//! [`State`], which hands every call to the one a rule has.

mod count;
mod error_rate;
mod fleet;
mod heartbeat;
mod latency;
mod one_off;
mod resource;
mod state;

use std::time::SystemTime;

use monitor_rules::{Condition, Rule};

use self::count::Count;
use self::error_rate::ErrorRate;
use self::fleet::Fleet;
use self::heartbeat::Heartbeat;
use self::latency::Latency;
use self::one_off::OneOff;
use self::resource::Resource;
use self::state::ConditionState;
pub(super) use self::state::Input;
use super::alert::Alert;
use super::label_sets::LabelLimit;

/// The state of one rule, of the kind its condition calls for. Opaque, so
/// that the engine can only hand it inputs and ask it for alerts.
pub(super) struct State(Kind);

/// An enum rather than a boxed trait object: no allocation per rule, and
/// the engine keeps the auto traits (`Send`, `Sync`, unwind safety) of
/// what the kinds hold.
enum Kind {
    Count(Count),
    Latency(Latency),
    ErrorRate(ErrorRate),
    OneOff(OneOff),
    // Boxed: with their alerts inline these two would make every state as
    // large as they are.
    Heartbeat(Box<Heartbeat>),
    Resource(Box<Resource>),
    Fleet(Fleet),
}

impl State {
    /// A fresh state for `rule`, started at `now`.
    pub(super) fn for_rule(rule: &Rule, now: SystemTime) -> State {
        State(match &rule.condition {
            Condition::Errors { .. } | Condition::Audit { .. } => Kind::Count(Count::default()),
            Condition::Latency { .. } => Kind::Latency(Latency::default()),
            Condition::ErrorRate { .. } => Kind::ErrorRate(ErrorRate::default()),
            Condition::NewGroup { .. } | Condition::Regression { .. } => Kind::OneOff(OneOff::default()),
            Condition::Absent { .. } => Kind::Heartbeat(Box::new(Heartbeat::new(now))),
            Condition::Memory { .. } | Condition::Cpu { .. } => Kind::Resource(Box::new(Resource::new(now))),
            Condition::FleetErrors { .. } => Kind::Fleet(Fleet::default()),
        })
    }

    /// Takes `input` at `at`, if `rule` is about it.
    pub(super) fn record(&mut self, rule: &Rule, at: SystemTime, input: &Input<'_>, limit: &mut LabelLimit) {
        self.kind_mut().record(rule, at, input, limit);
    }

    /// Adds the alerts of `rule` firing at `now`, and those resolved since
    /// the previous evaluation, to `out`.
    pub(super) fn evaluate(&mut self, rule: &Rule, now: SystemTime, out: &mut Vec<Alert>) {
        self.kind_mut().evaluate(rule, now, out);
    }

    /// Takes the alerts firing now, leaving none.
    pub(super) fn take_firing(&mut self) -> Vec<Alert> {
        self.kind_mut().take_firing()
    }

    /// Whether this rule wants a resource sample at `now`.
    pub(super) fn resources_due(&self, now: SystemTime) -> bool {
        self.kind().resources_due(now)
    }

    fn kind(&self) -> &dyn ConditionState {
        match &self.0 {
            Kind::Count(count) => count,
            Kind::Latency(latency) => latency,
            Kind::ErrorRate(error_rate) => error_rate,
            Kind::OneOff(one_off) => one_off,
            Kind::Heartbeat(heartbeat) => &**heartbeat,
            Kind::Resource(resource) => &**resource,
            Kind::Fleet(fleet) => fleet,
        }
    }

    fn kind_mut(&mut self) -> &mut dyn ConditionState {
        match &mut self.0 {
            Kind::Count(count) => count,
            Kind::Latency(latency) => latency,
            Kind::ErrorRate(error_rate) => error_rate,
            Kind::OneOff(one_off) => one_off,
            Kind::Heartbeat(heartbeat) => &mut **heartbeat,
            Kind::Resource(resource) => &mut **resource,
            Kind::Fleet(fleet) => fleet,
        }
    }
}
