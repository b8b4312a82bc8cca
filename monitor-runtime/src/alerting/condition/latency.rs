//! `latency(...) pNN > D over W`: a percentile of call durations per label
//! set over a sliding window.

use std::collections::HashMap;
use std::time::SystemTime;

use monitor_rules::{Condition, Rule};

use super::state::{ConditionState, Input};
use crate::alerting::alert::{Alert, Labels};
use crate::alerting::label_sets::LabelLimit;
use crate::alerting::matching::{call_labels, call_place, matches_call};
use crate::alerting::window::SlidingHistogram;

/// Duration histograms per label set, and the alerts they made.
#[derive(Default)]
pub(super) struct Latency {
    windows: HashMap<Labels, SlidingHistogram>,
    firing: HashMap<Labels, Alert>,
}

impl ConditionState for Latency {
    fn record(&mut self, rule: &Rule, at: SystemTime, input: &Input<'_>, limit: &mut LabelLimit) {
        let (Input::Calls { module, function, buckets }, Condition::Latency { filters, window, .. }) =
            (input, &rule.condition)
        else {
            return;
        };
        if filters.iter().all(|f| matches_call(f, module, function)) {
            let labels = call_labels(&rule.group_by, module, function);
            if let Some(histogram) = limit.entry(&mut self.windows, labels, || SlidingHistogram::new(*window)) {
                histogram.add(at, buckets);
            }
        }
    }

    fn evaluate(&mut self, rule: &Rule, now: SystemTime, out: &mut Vec<Alert>) {
        let Condition::Latency { percentile, above, window, .. } = &rule.condition else { return };
        for (labels, histogram) in self.windows.iter_mut() {
            match histogram.percentile(now, *percentile) {
                Some((calls, value)) if value > *above => {
                    let make = || Alert::firing(rule, labels.clone(), now, 0.0);
                    let alert = self.firing.entry(labels.clone()).or_insert_with(make);
                    alert.threshold = above.as_secs_f64();
                    alert.value = value.as_secs_f64();
                    alert.summary = format!(
                        "p{percentile}{} was {:.3?} over {} ({calls} calls; more than {:?})",
                        call_place(labels),
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
                    if let Some(alert) = self.firing.remove(labels) {
                        let mut resolved = alert.resolved(now);
                        resolved.value = estimate.map_or(0.0, |(_, value)| value.as_secs_f64());
                        resolved.summary =
                            format!("p{percentile} back under {above:?}; it fired at {:.3}s", alert.value);
                        out.push(resolved);
                    }
                }
            }
        }
        self.windows.retain(|labels, histogram| !histogram.is_empty() || self.firing.contains_key(labels));
    }

    fn take_firing(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.firing).into_values().collect()
    }
}
