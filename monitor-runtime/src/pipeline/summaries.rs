//! Sending scheduled summaries: the worker looks at the clock on every
//! tick and flush; a summary that is due is read from the summary source
//! and handed to its destinations' notifiers on a task of the worker's
//! runtime, so a slow store never holds the worker up.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_rules::{Severity, Summary};

use crate::alerting::{Alert, AlertDetails, AlertState, Notification};
use crate::stats::DropReason;
use crate::summary::{SummaryReport, SummarySource};

use super::Shared;
use super::sinks::report_sink_error;

/// How long the instance that sends a summary keeps the lead without asking
/// again, where the store cannot tell that its process died.
const LEASE: Duration = Duration::from_secs(60);

/// Each summary in force and when it is next due.
#[derive(Default)]
pub(super) struct SummaryPlan {
    entries: Vec<(Summary, SystemTime)>,
}

impl SummaryPlan {
    /// The plan of `summaries` at `now`: each is next due at its first time
    /// after `now`, unless `current` has it unchanged (a reload), when it
    /// keeps its time.
    pub(super) fn new(summaries: &[Summary], now: SystemTime, current: Option<&SummaryPlan>) -> SummaryPlan {
        let entries = summaries
            .iter()
            .filter_map(|summary| {
                let kept =
                    current.and_then(|plan| plan.entries.iter().find(|(old, _)| old == summary)).map(|(_, next)| *next);
                Some((summary.clone(), kept.or_else(|| summary.next_after(now))?))
            })
            .collect();
        SummaryPlan { entries }
    }

    /// The summaries due at `now`, each with the period it reports on; each
    /// is then next due at its first time after `now`. A clock that jumped
    /// over several times sends one summary, of the latest period.
    pub(super) fn take_due(&mut self, now: SystemTime) -> Vec<(Summary, SystemTime, SystemTime)> {
        let mut due = Vec::new();
        for (summary, next) in &mut self.entries {
            if *next > now {
                continue;
            }
            let Some(following) = summary.next_after(now) else { continue };
            let until = summary.previous(following).unwrap_or(*next);
            let since = summary.previous(until).unwrap_or(UNIX_EPOCH);
            due.push((summary.clone(), since, until));
            *next = following;
        }
        due
    }
}

/// Reads the report of `summary` for `[since, until)` and hands it to each
/// of its destinations, if this instance leads; failures are said on
/// stderr and counted, as a sink's are.
pub(super) async fn send_summary(
    source: Arc<dyn SummarySource>,
    shared: Arc<Shared>,
    summary: Summary,
    since: SystemTime,
    until: SystemTime,
) {
    match source.lead(LEASE).await {
        Ok(true) => {}
        // Another instance sends it.
        Ok(false) => return,
        Err(error) => {
            report_sink_error("summaries", &error, &format!("taking the lead to send summary `{}`", summary.name));
            return;
        }
    }
    let mut report = match source.report(since, until).await {
        Ok(report) => report,
        Err(error) => {
            report_sink_error("summaries", &error, &format!("reading summary `{}`", summary.name));
            return;
        }
    };
    report.name.clone_from(&summary.name);
    report.schedule = summary.describe();
    report.service.clone_from(&shared.base_context.service);
    report.since = Some(since);
    report.until = Some(until);
    report.period = format!("{} to {} ({})", summary.local_time(since), summary.local_time(until), summary.timezone);
    let report = Arc::new(report);
    let alert = title_alert(&report, until);
    // The same key on every instance and every try: receivers drop duplicates.
    let key = format!("summary-{}-{}", summary.name, until.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs());
    let notifiers = shared.notifiers.load();
    for destination in &summary.notify {
        let Some(notifier) = notifiers.get(destination) else { continue };
        let notification = Notification {
            key: key.clone(),
            destination: destination.clone(),
            alert: alert.clone(),
            summary: Some(report.clone()),
        };
        match notifier.notify(Arc::new(notification)) {
            Ok(()) => shared.alert_counters.count_summary(),
            Err(error) => {
                shared.counters.drop_events(&DropReason::Notification { destination: destination.clone(), error }, 1)
            }
        }
    }
}

/// The one line a destination that shows alerts shows of a summary.
fn title_alert(report: &SummaryReport, until: SystemTime) -> Alert {
    Alert {
        rule: report.name.clone(),
        severity: Severity::Info,
        labels: Default::default(),
        state: AlertState::Firing,
        value: report.total_occurrences() as f64,
        threshold: 0.0,
        // Shown as `[INFO] morning: 42 errors, 3 new groups`.
        summary: report.headline(),
        starts_at: until,
        ends_at: None,
        repeat_interval: Duration::ZERO,
        details: AlertDetails {
            service: report.service.clone(),
            message: Some(report.period.clone()),
            occurrences: report.total_occurrences(),
            ..AlertDetails::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor_rules::Cadence;

    /// 2026-11-23 was a Monday; this is 00:00 UTC that day.
    const MONDAY: u64 = 1_795_392_000;

    fn at(hours: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(MONDAY + hours * 3600)
    }

    #[test]
    fn a_summary_is_due_once_per_period_and_reports_on_the_period_before() {
        let morning = Summary::parse("morning", Cadence::Daily, "08:00", "UTC", vec!["ops".into()]).unwrap();
        let mut plan = SummaryPlan::new(std::slice::from_ref(&morning), at(9), None);
        assert!(plan.take_due(at(23)).is_empty(), "not before Tuesday 08:00");
        let due = plan.take_due(at(32));
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].1, due[0].2), (at(8), at(32)), "Monday 08:00 to Tuesday 08:00");
        assert!(plan.take_due(at(33)).is_empty(), "sent once");
        // A clock that jumps three days sends the latest day only.
        let due = plan.take_due(at(32 + 72 + 1));
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].1, due[0].2), (at(32 + 48), at(32 + 72)));
        // A reload that keeps the summary keeps its time; a changed one starts again.
        let kept = SummaryPlan::new(std::slice::from_ref(&morning), at(110), Some(&plan));
        assert_eq!(kept.entries[0].1, at(32 + 96));
        let later = Summary { at_minute: 9 * 60, ..morning };
        let changed = SummaryPlan::new(&[later], at(110), Some(&plan));
        assert_eq!(changed.entries[0].1, at(24 * 5 + 9));
    }
}
