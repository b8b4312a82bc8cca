//! `new_group(...)` and `regression(...)`: one alert per event, which
//! resolves by itself once it has been told.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use monitor_rules::{Condition, Rule};

use super::state::{ConditionState, Input};
use crate::alerting::alert::{Alert, Labels};
use crate::alerting::label_sets::LabelLimit;
use crate::alerting::matching::{matches_occurrence, occurrence_labels};

/// An alert per new or regressed group, resolved once it has been
/// reported firing for the longer of the group wait and the group interval.
#[derive(Default)]
pub(super) struct OneOff {
    firing: HashMap<Labels, Alert>,
    /// When each firing alert was first reported.
    reported: HashMap<Labels, SystemTime>,
}

impl ConditionState for OneOff {
    fn record(&mut self, rule: &Rule, at: SystemTime, input: &Input<'_>, limit: &mut LabelLimit) {
        let Input::Group { occurrence, regression } = *input else { return };
        let filters = match (&rule.condition, regression) {
            (Condition::NewGroup { filters }, false) | (Condition::Regression { filters }, true) => filters,
            _ => return,
        };
        if !filters.iter().all(|f| matches_occurrence(f, occurrence)) {
            return;
        }
        let mut labels = occurrence_labels(&rule.group_by, occurrence);
        labels.insert("group".to_owned(), occurrence.group.to_string());
        let what = if regression { "came back after it was resolved" } else { "appeared for the first time" };
        limit.entry(&mut self.firing, labels.clone(), || {
            let mut alert = Alert::firing(rule, labels, at, 0.0);
            alert.value = 1.0;
            alert.summary = format!("{}::{}: `{}` {what}", occurrence.module, occurrence.function, occurrence.template);
            alert.details = occurrence.details.map(|d| (**d).clone()).unwrap_or_default();
            alert
        });
    }

    fn evaluate(&mut self, rule: &Rule, now: SystemTime, out: &mut Vec<Alert>) {
        // Counted from the first report, which the router sees at the same
        // instant: the alert outlives the group wait, so the router always
        // tells it, however late this look.
        let lifetime = rule.group_interval.max(rule.group_wait);
        self.firing.retain(|labels, alert| {
            let since = *self.reported.entry(labels.clone()).or_insert(now);
            if now.duration_since(since).unwrap_or_default() >= lifetime.max(Duration::from_nanos(1)) {
                self.reported.remove(labels);
                let mut resolved = alert.resolved(now);
                resolved.summary = format!(
                    "{} (told once; a one-off alert resolves {} after it fired)",
                    alert.summary,
                    humantime::format_duration(lifetime)
                );
                out.push(resolved);
                false
            } else {
                out.push(alert.clone());
                true
            }
        });
    }

    fn take_firing(&mut self) -> Vec<Alert> {
        std::mem::take(&mut self.firing).into_values().collect()
    }
}
