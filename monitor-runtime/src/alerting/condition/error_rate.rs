//! `error_rate(...) > 5% over 15m`: the share of monitored calls that
//! failed, per label set, over a sliding window.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use monitor_rules::{Condition, Rule};

use super::state::{ConditionState, Input};
use crate::alerting::alert::{Alert, Labels};
use crate::alerting::label_sets::LabelLimit;
use crate::alerting::matching::{call_labels, call_place, matches_call};
use crate::alerting::window::SlidingCount;

/// Calls and failed calls (errors and panics) of one label set.
#[derive(Debug)]
struct CallOutcomes {
    calls: SlidingCount,
    failed: SlidingCount,
}

impl CallOutcomes {
    fn new(window: Duration) -> Self {
        CallOutcomes { calls: SlidingCount::new(window), failed: SlidingCount::new(window) }
    }

    fn add(&mut self, at: SystemTime, calls: u64, failed: u64) {
        self.calls.add(at, calls);
        if failed > 0 {
            self.failed.add(at, failed);
        }
    }

    fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.failed.is_empty()
    }
}

/// Call outcomes per label set, and the alerts they made.
#[derive(Default)]
pub(super) struct ErrorRate {
    windows: HashMap<Labels, CallOutcomes>,
    firing: HashMap<Labels, Alert>,
}

impl ConditionState for ErrorRate {
    fn record(&mut self, rule: &Rule, at: SystemTime, input: &Input<'_>, limit: &mut LabelLimit) {
        let (Input::CallOutcomes { module, function, calls, failed }, Condition::ErrorRate { filters, window, .. }) =
            (input, &rule.condition)
        else {
            return;
        };
        // A report of nothing would only take a label set's place.
        if *calls == 0 && *failed == 0 {
            return;
        }
        if filters.iter().all(|f| matches_call(f, module, function)) {
            let labels = call_labels(&rule.group_by, module, function);
            if let Some(outcomes) = limit.entry(&mut self.windows, labels, || CallOutcomes::new(*window)) {
                outcomes.add(at, *calls, *failed);
            }
        }
    }

    /// Fires for each label set whose failed share is above the rule's
    /// percentage over at least the rule's minimum of calls, and resolves
    /// those that came back under it or fell below that minimum (no call at
    /// all included).
    fn evaluate(&mut self, rule: &Rule, now: SystemTime, out: &mut Vec<Alert>) {
        let Condition::ErrorRate { above_percent, window, min_calls, .. } = &rule.condition else { return };
        for (labels, outcomes) in self.windows.iter_mut() {
            let calls = outcomes.calls.total(now);
            let failed = outcomes.failed.total(now);
            // Failures are counted when the call ends, like calls, so `failed`
            // never exceeds `calls`; the min is for safety, not for arithmetic.
            let percent = if calls == 0 { 0.0 } else { failed.min(calls) as f64 * 100.0 / calls as f64 };
            let place = call_place(labels);
            if calls >= *min_calls && percent > *above_percent {
                let make = || Alert::firing(rule, labels.clone(), now, *above_percent);
                let alert = self.firing.entry(labels.clone()).or_insert_with(make);
                alert.value = percent;
                alert.summary = format!(
                    "{percent:.1}% of calls{place} failed over {} ({failed} of {calls}; more than {above_percent}%)",
                    humantime::format_duration(*window)
                );
                alert.details.function = labels.get("function").cloned();
                alert.details.module = labels.get("module").cloned();
                alert.details.occurrences = failed;
                out.push(alert.clone());
            } else if let Some(alert) = self.firing.remove(labels) {
                let mut resolved = alert.resolved(now);
                resolved.value = percent;
                resolved.summary = if calls < *min_calls {
                    // Too few calls left to judge: the rule's own minimum says the
                    // rate means nothing, so the alert no longer stands.
                    format!(
                        "only {calls} calls{place} over {}, fewer than the {min_calls} the rule needs ({failed} failed)",
                        humantime::format_duration(*window)
                    )
                } else {
                    format!(
                        "back to {percent:.1}% of calls{place} failed ({failed} of {calls}; at most {above_percent}%)"
                    )
                };
                out.push(resolved);
            }
        }
        self.windows.retain(|labels, outcomes| !outcomes.is_empty() || self.firing.contains_key(labels));
    }

    fn take_firing(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.firing).into_values().collect()
    }
}
