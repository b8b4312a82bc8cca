//! `memory > N every P` and `cpu > N% every P`: the process's own
//! resources, checked against a limit once a period.

use std::time::{Duration, SystemTime};

use monitor_rules::{Condition, Rule};

use super::state::{ConditionState, Input};
use crate::alerting::alert::{Alert, Labels};
use crate::alerting::label_sets::LabelLimit;

/// When the next check is due, and what the last checks found.
pub(super) struct Resource {
    next_check: SystemTime,
    firing: Option<Alert>,
    /// Resolved by a check, waiting for the next evaluation to be told.
    resolved: Option<Alert>,
    /// A CPU rule's previous check: when, and the process's CPU time then.
    cpu_before: Option<(SystemTime, Duration)>,
}

impl Resource {
    /// A rule whose first check is due at once: a process that starts over
    /// its memory limit says so; a CPU rule's first check only takes the
    /// CPU time its first verdict, one period later, is measured from.
    pub(super) fn new(now: SystemTime) -> Self {
        Resource { next_check: now, firing: None, resolved: None, cpu_before: None }
    }
}

impl ConditionState for Resource {
    fn record(&mut self, rule: &Rule, now: SystemTime, input: &Input<'_>, _limit: &mut LabelLimit) {
        let Input::Resources(sample) = input else { return };
        if self.next_check > now {
            return;
        }
        // The reading, its limit and how each reads, as `(value, limit)` text.
        let (value, threshold, every, shown) = match &rule.condition {
            Condition::Memory { above_bytes, every } => {
                let Some(bytes) = sample.resident_bytes else { return };
                (bytes as f64, *above_bytes as f64, *every, ("resident memory", mib(bytes), mib(*above_bytes)))
            }
            Condition::Cpu { above_percent, every } => {
                let Some(cpu_now) = sample.cpu_time else { return };
                let Some(percent) = cpu_average(self.cpu_before.replace((now, cpu_now)), now, cpu_now) else {
                    self.next_check = now + *every;
                    return;
                };
                let shown = ("CPU", format!("{percent:.0}% of one core"), format!("{above_percent}%"));
                (percent, *above_percent, *every, shown)
            }
            _ => return,
        };
        self.next_check = now + every;
        let (what, reading, limit) = shown;
        if value > threshold {
            let alert = self.firing.get_or_insert_with(|| Alert::firing(rule, Labels::new(), now, threshold));
            alert.value = value;
            alert.summary = format!("{what} {reading} (more than {limit})");
        } else if let Some(alert) = self.firing.take() {
            let mut back = alert.resolved(now);
            back.value = value;
            back.summary = format!("{what} back to {reading} (at most {limit})");
            self.resolved = Some(back);
        }
    }

    fn evaluate(&mut self, _rule: &Rule, _now: SystemTime, out: &mut Vec<Alert>) {
        out.extend(self.firing.iter().cloned());
        out.extend(self.resolved.take());
    }

    fn take_firing(&mut self) -> Vec<Alert> {
        self.firing.take().into_iter().collect()
    }

    fn resources_due(&self, now: SystemTime) -> bool {
        self.next_check <= now
    }
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
