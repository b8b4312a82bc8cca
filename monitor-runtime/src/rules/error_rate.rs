//! `error_rate(...) > 5% over 15m`: the share of monitored calls that
//! failed, per label set, over a sliding window.

use std::collections::HashMap;
use std::time::SystemTime;

use monitor_rules::{Condition, Rule};

use super::alert::{Alert, Labels};
use super::engine::{new_alert, resolve};
use super::window::SlidingCount;

/// Calls and failed calls (errors and panics) of one label set.
#[derive(Debug)]
pub(super) struct CallOutcomes {
    calls: SlidingCount,
    failed: SlidingCount,
}

impl CallOutcomes {
    pub(super) fn new(window: std::time::Duration) -> Self {
        CallOutcomes { calls: SlidingCount::new(window), failed: SlidingCount::new(window) }
    }

    pub(super) fn add(&mut self, at: SystemTime, calls: u64, failed: u64) {
        self.calls.add(at, calls);
        if failed > 0 {
            self.failed.add(at, failed);
        }
    }

    fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.failed.is_empty()
    }
}

/// Fires for each label set whose failed share is above the rule's
/// percentage over at least the rule's minimum of calls, and resolves those
/// that came back under it or fell below that minimum (no call at all
/// included).
pub(super) fn evaluate(
    rule: &Rule,
    windows: &mut HashMap<Labels, CallOutcomes>,
    firing: &mut HashMap<Labels, Alert>,
    now: SystemTime,
    out: &mut Vec<Alert>,
) {
    let Condition::ErrorRate { above_percent, window, min_calls, .. } = &rule.condition else { return };
    for (labels, outcomes) in windows.iter_mut() {
        let calls = outcomes.calls.total(now);
        let failed = outcomes.failed.total(now);
        // Failures are counted when the call ends, like calls, so `failed`
        // never exceeds `calls`; the min is for safety, not for arithmetic.
        let percent = if calls == 0 { 0.0 } else { failed.min(calls) as f64 * 100.0 / calls as f64 };
        let place =
            labels.get("function").or_else(|| labels.get("module")).map_or(String::new(), |p| format!(" of {p}"));
        if calls >= *min_calls && percent > *above_percent {
            let alert =
                firing.entry(labels.clone()).or_insert_with(|| new_alert(rule, labels.clone(), now, *above_percent));
            alert.value = percent;
            alert.summary = format!(
                "{percent:.1}% of calls{place} failed over {} ({failed} of {calls}; more than {above_percent}%)",
                humantime::format_duration(*window)
            );
            alert.details.function = labels.get("function").cloned();
            alert.details.module = labels.get("module").cloned();
            alert.details.occurrences = failed;
            out.push(alert.clone());
        } else if let Some(alert) = firing.remove(labels) {
            let mut resolved = resolve(&alert, now);
            resolved.value = percent;
            resolved.summary = if calls < *min_calls {
                // Too few calls left to judge: the rule's own minimum says the
                // rate means nothing, so the alert no longer stands.
                format!(
                    "only {calls} calls{place} over {}, fewer than the {min_calls} the rule needs ({failed} failed)",
                    humantime::format_duration(*window)
                )
            } else {
                format!("back to {percent:.1}% of calls{place} failed ({failed} of {calls}; at most {above_percent}%)")
            };
            out.push(resolved);
        }
    }
    windows.retain(|labels, outcomes| !outcomes.is_empty() || firing.contains_key(labels));
}
