//! `errors(...) > N within W` and `audit(...) > N within W`: how many
//! matching occurrences or audit records each label set had in a sliding
//! window.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use monitor_rules::{Condition, Rule};

use super::state::{ConditionState, Input};
use crate::alerting::alert::{Alert, AlertDetails, Labels};
use crate::alerting::label_sets::LabelLimit;
use crate::alerting::matching::{audit_labels, matches_audit, matches_occurrence, occurrence_labels};
use crate::alerting::window::SlidingCount;

/// Counts per label set, and the alerts they made.
#[derive(Default)]
pub(super) struct Count {
    windows: HashMap<Labels, SlidingCount>,
    firing: HashMap<Labels, Alert>,
    /// The latest occurrence's details per label set, which its alert
    /// shows (audit records have none).
    latest: HashMap<Labels, Arc<AlertDetails>>,
}

impl ConditionState for Count {
    fn record(&mut self, rule: &Rule, at: SystemTime, input: &Input<'_>, limit: &mut LabelLimit) {
        match (input, &rule.condition) {
            (Input::Occurrences { occurrence, n }, Condition::Errors { filters, window, .. }) => {
                if !filters.iter().all(|f| matches_occurrence(f, occurrence)) {
                    return;
                }
                let labels = occurrence_labels(&rule.group_by, occurrence);
                let make = || SlidingCount::new(*window);
                let Some(count) = limit.entry(&mut self.windows, labels.clone(), make) else { return };
                count.add(at, *n);
                if let Some(details) = occurrence.details {
                    self.latest.insert(labels, details.clone());
                }
            }
            (Input::Audit(record), Condition::Audit { filters, window, .. }) => {
                if !filters.iter().all(|f| matches_audit(f, record)) {
                    return;
                }
                let labels = audit_labels(&rule.group_by, record);
                if let Some(count) = limit.entry(&mut self.windows, labels, || SlidingCount::new(*window)) {
                    count.add(at, 1);
                }
            }
            _ => {}
        }
    }

    fn evaluate(&mut self, rule: &Rule, now: SystemTime, out: &mut Vec<Alert>) {
        let (above, window, what) = match &rule.condition {
            Condition::Errors { above, window, .. } => (*above, *window, "errors"),
            Condition::Audit { above, window, .. } => (*above, *window, "audit records"),
            _ => return,
        };
        let window_text = humantime::format_duration(window);
        for (labels, count) in self.windows.iter_mut() {
            let total = count.total(now);
            if total > above {
                let make = || Alert::firing(rule, labels.clone(), now, above as f64);
                let alert = self.firing.entry(labels.clone()).or_insert_with(make);
                alert.value = total as f64;
                alert.summary = format!("{total} {what} within {window_text} (more than {above})");
                if let Some(details) = self.latest.get(labels) {
                    alert.details = (**details).clone();
                }
                alert.details.occurrences = total;
                out.push(alert.clone());
            } else if let Some(alert) = self.firing.remove(labels) {
                let mut resolved = alert.resolved(now);
                resolved.value = total as f64;
                resolved.summary = format!(
                    "back to {total} {what} within {window_text} (at most {above}; last above: {})",
                    alert.value
                );
                out.push(resolved);
            }
        }
        self.windows.retain(|labels, count| !count.is_empty() || self.firing.contains_key(labels));
        self.latest.retain(|labels, _| self.windows.contains_key(labels));
    }

    fn take_firing(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.firing).into_values().collect()
    }
}
