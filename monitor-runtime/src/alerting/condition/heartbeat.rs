//! `absent(heartbeat = "...") for W`: a heartbeat that stopped.

use std::time::{Duration, SystemTime};

use monitor_rules::{Condition, Rule};

use super::state::{ConditionState, Input};
use crate::alerting::alert::{Alert, Labels};
use crate::alerting::label_sets::LabelLimit;

/// The latest heartbeat, and the alert its absence made.
pub(super) struct Heartbeat {
    last: SystemTime,
    firing: Option<Alert>,
}

impl Heartbeat {
    /// A heartbeat counted as seen at `now`, so that a process is given a
    /// whole period from its start (or the rule's) before it is missed.
    pub(super) fn new(now: SystemTime) -> Self {
        Heartbeat { last: now, firing: None }
    }
}

impl ConditionState for Heartbeat {
    fn record(&mut self, rule: &Rule, at: SystemTime, input: &Input<'_>, _limit: &mut LabelLimit) {
        if let (Input::Heartbeat(name), Condition::Absent { heartbeat, .. }) = (input, &rule.condition)
            && heartbeat == name
        {
            self.last = self.last.max(at);
        }
    }

    fn evaluate(&mut self, rule: &Rule, now: SystemTime, out: &mut Vec<Alert>) {
        let Condition::Absent { heartbeat, period } = &rule.condition else { return };
        let silent = now.duration_since(self.last).unwrap_or_default();
        if silent > *period {
            let labels = Labels::from([("heartbeat".to_owned(), heartbeat.clone())]);
            let alert = self.firing.get_or_insert_with(|| Alert::firing(rule, labels, now, period.as_secs_f64()));
            alert.value = silent.as_secs_f64();
            alert.summary = format!(
                "no heartbeat `{heartbeat}` for {} (allowed: {})",
                humantime::format_duration(whole_seconds(silent)),
                humantime::format_duration(*period)
            );
            out.push(alert.clone());
        } else if let Some(alert) = self.firing.take() {
            out.push(alert.resolved(now));
        }
    }

    fn take_firing(&mut self) -> Vec<Alert> {
        self.firing.take().into_iter().collect()
    }
}

/// Silence is told in whole seconds: the nanoseconds since the last beat
/// say nothing to a reader.
fn whole_seconds(duration: Duration) -> Duration {
    Duration::from_secs(duration.as_secs())
}
