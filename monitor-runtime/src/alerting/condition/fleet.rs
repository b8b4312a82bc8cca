//! `errors(...) > N within W across fleet`: the counts come from a shared
//! store, whole, at each look of the leader; this state only compares them
//! and keeps the alerts they made. When another instance leads, it forgets
//! its alerts without resolving them: the leader carries them on.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use monitor_rules::{Condition, Rule};

use super::state::{ConditionState, Input};
use crate::alerting::alert::{Alert, Labels, Occurrence};
use crate::alerting::fleet::FleetCount;
use crate::alerting::label_sets::LabelLimit;
use crate::alerting::matching::{matches_occurrence, occurrence_labels};

/// Totals per label set at the last look, and the alerts they made.
#[derive(Default)]
pub(super) struct Fleet {
    totals: HashMap<Labels, u64>,
    firing: HashMap<Labels, Alert>,
    /// Whether this instance led at the last look.
    leading: bool,
}

impl Fleet {
    fn take_counts(&mut self, rule: &Rule, at: SystemTime, counts: &[FleetCount], limit: &mut LabelLimit) {
        let Condition::FleetErrors { filters, window, .. } = &rule.condition else { return };
        let since = at.checked_sub(*window).unwrap_or(SystemTime::UNIX_EPOCH);
        let no_tags = BTreeMap::new();
        let mut totals: HashMap<Labels, u64> = HashMap::new();
        for count in counts {
            // A minute that ends inside the window counts whole: the store
            // knows no finer.
            if count.minute + std::time::Duration::from_secs(60) <= since {
                continue;
            }
            let occurrence = Occurrence {
                severity: count.severity,
                kind: count.kind,
                module: &count.module,
                function: &count.function,
                group: count.group,
                tags: &no_tags,
                template: &count.template,
                details: None,
            };
            if !filters.iter().all(|filter| matches_occurrence(filter, &occurrence)) {
                continue;
            }
            let labels = occurrence_labels(&rule.group_by, &occurrence);
            if let Some(total) = limit.entry(&mut totals, labels, || 0) {
                *total += count.count;
            }
        }
        self.totals = totals;
        self.leading = true;
    }
}

impl ConditionState for Fleet {
    fn record(&mut self, rule: &Rule, at: SystemTime, input: &Input<'_>, limit: &mut LabelLimit) {
        match input {
            Input::FleetCounts(counts) => self.take_counts(rule, at, counts, limit),
            Input::FleetFollowing => {
                self.leading = false;
                self.totals.clear();
                self.firing.clear();
            }
            _ => {}
        }
    }

    fn evaluate(&mut self, rule: &Rule, now: SystemTime, out: &mut Vec<Alert>) {
        let Condition::FleetErrors { above, window, .. } = &rule.condition else { return };
        if !self.leading {
            return;
        }
        let window_text = humantime::format_duration(*window);
        for (labels, total) in &self.totals {
            if *total > *above {
                let make = || Alert::firing(rule, labels.clone(), now, *above as f64);
                let alert = self.firing.entry(labels.clone()).or_insert_with(make);
                alert.value = *total as f64;
                alert.summary = format!("{total} errors across the fleet within {window_text} (more than {above})");
                alert.details.occurrences = *total;
                out.push(alert.clone());
            }
        }
        let resolved: Vec<Labels> = self
            .firing
            .keys()
            .filter(|labels| self.totals.get(*labels).is_none_or(|t| *t <= *above))
            .cloned()
            .collect();
        for labels in resolved {
            if let Some(alert) = self.firing.remove(&labels) {
                let total = self.totals.get(&labels).copied().unwrap_or(0);
                let mut resolved = alert.resolved(now);
                resolved.value = total as f64;
                resolved.summary = format!(
                    "back to {total} errors across the fleet within {window_text} (at most {above}; last above: {})",
                    alert.value
                );
                out.push(resolved);
            }
        }
    }

    fn take_firing(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.firing).into_values().collect()
    }
}
