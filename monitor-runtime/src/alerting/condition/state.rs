//! What every condition kind is fed, and what it answers: the seam between
//! the engine, which knows the rules, and the kinds, which each know one
//! condition.

use std::time::SystemTime;

use monitor_rules::Rule;

use crate::alerting::alert::{Alert, Occurrence, ResourceSample};
use crate::alerting::fleet::FleetCount;
use crate::alerting::label_sets::LabelLimit;
use crate::audit::AuditRecord;
use crate::histogram::DURATION_BUCKETS;

/// One thing that happened, as the engine was told it. Every rule sees
/// every input; each kind takes the inputs its condition is about and
/// ignores the rest.
pub(in crate::alerting) enum Input<'a> {
    /// `n` occurrences of one group.
    Occurrences { occurrence: &'a Occurrence<'a>, n: u64 },
    /// One audit record.
    Audit(&'a AuditRecord),
    /// Call durations of one function, as counts per duration bucket.
    Calls { module: &'a str, function: &'a str, buckets: &'a [u64; DURATION_BUCKETS] },
    /// Calls of one function that finished, and how many of them failed.
    CallOutcomes { module: &'a str, function: &'a str, calls: u64, failed: u64 },
    /// A group seen for the first time, or (`regression`) seen again
    /// after it was resolved.
    Group { occurrence: &'a Occurrence<'a>, regression: bool },
    /// A heartbeat, by name.
    Heartbeat(&'a str),
    /// The process's resources now.
    Resources(ResourceSample),
    /// This instance leads the fleet: what every instance counted, per
    /// group and minute, over the longest fleet window.
    FleetCounts(&'a [FleetCount]),
    /// Another instance leads the fleet.
    FleetFollowing,
}

/// The state one rule keeps for its condition. Each kind is given its own
/// rule with every call (rather than keeping a copy) so that the engine
/// stays the one owner of rules and can compare them on reload.
pub(super) trait ConditionState {
    /// Takes `input` at `at`, if the rule's condition is about it; a new
    /// label set is tracked only if `limit` allows it.
    fn record(&mut self, rule: &Rule, at: SystemTime, input: &Input<'_>, limit: &mut LabelLimit);

    /// Adds to `out` the alerts firing at `now` and those that resolved
    /// since the previous evaluation (each of those once).
    fn evaluate(&mut self, rule: &Rule, now: SystemTime, out: &mut Vec<Alert>);

    /// Takes the alerts firing now, leaving none: the rule is going away.
    fn take_firing(&mut self) -> Vec<Alert>;

    /// Whether the condition wants a resource sample at `now`.
    fn resources_due(&self, _now: SystemTime) -> bool {
        false
    }
}
