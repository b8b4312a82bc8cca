//! What a summary says: counts and short lists for one period, and the
//! same texts for every destination (each renders them in its own format,
//! within its own limits).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use crate::event::GroupKey;
use monitor_rules::Severity;

/// A summary of one period, as a store saw it across every instance.
///
/// ```
/// use monitor_runtime::Severity;
/// use monitor_runtime::summary::{SummaryAudit, SummaryReport};
///
/// let report = SummaryReport {
///     name: "morning".into(),
///     period: "Mon 2026-11-23 08:00 to Tue 2026-11-24 08:00 (Europe/Amsterdam)".into(),
///     occurrences: vec![(Severity::Critical, 2), (Severity::Error, 40)],
///     new_groups: 3,
///     audit: vec![SummaryAudit { process: "sepa_payment_processing".into(), records: 200, compliant: 190, ..Default::default() }],
///     ..SummaryReport::default()
/// };
/// assert_eq!(report.title(), "Summary morning: 42 errors, 3 new groups");
/// let text = report.text();
/// assert!(text.contains("sepa_payment_processing: 200 records, 95.0% compliant"), "{text}");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SummaryReport {
    /// The summary's name.
    pub name: String,
    /// When it goes out, for people: `every day at 08:00 (Europe/Amsterdam)`.
    pub schedule: String,
    /// The reporting service, when the monitor has one.
    pub service: Option<String>,
    /// Start of the period (inclusive).
    pub since: Option<SystemTime>,
    /// End of the period (exclusive): when it was due.
    pub until: Option<SystemTime>,
    /// The period on the summary's local clock, for people.
    pub period: String,
    /// Occurrences in the period by severity, most severe first; only
    /// severities that occurred.
    pub occurrences: Vec<(Severity, u64)>,
    /// Groups first seen in the period.
    pub new_groups: u64,
    /// The first of them (at most [`SummaryReport::LIST`]), most occurrences first.
    pub new_group_list: Vec<SummaryGroup>,
    /// Groups resolved before and seen again in the period.
    pub regressions: Vec<SummaryGroup>,
    /// The groups with the most occurrences in the period.
    pub top_groups: Vec<SummaryGroup>,
    /// The functions with the highest 95th percentile in the period.
    pub slowest: Vec<SummaryFunction>,
    /// Alerts that fired in the period, per rule.
    pub alerts: Vec<SummaryAlerts>,
    /// Audit records of the period, per business process.
    pub audit: Vec<SummaryAudit>,
}

/// One error group in a summary.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryGroup {
    /// The group.
    pub key: GroupKey,
    /// Its severity.
    pub severity: Severity,
    /// `module::function`.
    pub place: String,
    /// Its template.
    pub template: String,
    /// Its occurrences in the period.
    pub count: u64,
}

/// One function's calls in a summary.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryFunction {
    /// `module::function`.
    pub function: String,
    /// Calls that finished in the period.
    pub calls: u64,
    /// 95th percentile duration.
    pub p95: Duration,
    /// Errors and panics per call (0.0–1.0).
    pub error_rate: f64,
}

/// One rule's alerts in a summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SummaryAlerts {
    /// The rule.
    pub rule: String,
    /// Incidents that started in the period.
    pub incidents: u64,
    /// Of those, how many were acknowledged.
    pub acknowledged: u64,
    /// Of those, how many resolved.
    pub resolved: u64,
    /// Mean time to acknowledge.
    pub mtta: Option<Duration>,
    /// Mean time to resolve.
    pub mttr: Option<Duration>,
}

/// One business process's audit records in a summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SummaryAudit {
    /// The process (`sepa_payment_processing`).
    pub process: String,
    /// Records in the period.
    pub records: u64,
    /// Of them, `compliant`.
    pub compliant: u64,
    /// Of them, `exception`.
    pub exceptions: u64,
    /// Of them, `failed`.
    pub failed: u64,
    /// Of them, `pending_review`.
    pub pending_review: u64,
}

impl SummaryAudit {
    /// The compliant share in percent (100 with no records).
    pub fn compliant_percent(&self) -> f64 {
        if self.records == 0 { 100.0 } else { self.compliant as f64 * 100.0 / self.records as f64 }
    }
}

/// A titled part of a summary: its lines, each a sentence or a list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummarySection {
    /// `Errors`, `Top groups`…
    pub heading: &'static str,
    /// One per entry; never empty.
    pub lines: Vec<String>,
}

impl SummaryReport {
    /// How many entries each list holds at most.
    pub const LIST: usize = 5;

    /// Occurrences of every severity together.
    pub fn total_occurrences(&self) -> u64 {
        self.occurrences.iter().map(|(_, count)| count).sum()
    }

    /// Incidents of every rule together.
    pub fn total_incidents(&self) -> u64 {
        self.alerts.iter().map(|rule| rule.incidents).sum()
    }

    /// `Summary morning: 42 errors, 3 new groups, 1 regression, 2 alerts`;
    /// the parts that are zero left out.
    pub fn title(&self) -> String {
        format!("Summary {}: {}", self.name, self.headline())
    }

    /// The title without the summary's name: `42 errors, 3 new groups`.
    pub fn headline(&self) -> String {
        let mut parts = vec![plural(self.total_occurrences(), "error", "errors")];
        if self.new_groups > 0 {
            parts.push(plural(self.new_groups, "new group", "new groups"));
        }
        if !self.regressions.is_empty() {
            parts.push(plural(self.regressions.len() as u64, "regression", "regressions"));
        }
        if self.total_incidents() > 0 {
            parts.push(plural(self.total_incidents(), "alert", "alerts"));
        }
        parts.join(", ")
    }

    /// The report's parts in order, each with its lines; parts with nothing
    /// to say are left out, except the errors, which always say how many.
    pub fn sections(&self) -> Vec<SummarySection> {
        let mut sections = Vec::new();
        let mut errors = vec![if self.occurrences.is_empty() {
            "No errors.".to_owned()
        } else {
            let by: Vec<String> =
                self.occurrences.iter().map(|(severity, count)| format!("{count} {}", severity.as_str())).collect();
            format!("{} ({})", plural(self.total_occurrences(), "occurrence", "occurrences"), by.join(", "))
        }];
        if self.new_groups > 0 {
            errors.push(format!("{} first seen.", plural(self.new_groups, "group", "groups")));
        }
        sections.push(SummarySection { heading: "Errors", lines: errors });
        let groups = |list: &[SummaryGroup]| list.iter().map(group_line).collect::<Vec<_>>();
        push(&mut sections, "Top groups", groups(&self.top_groups));
        push(&mut sections, "New groups", groups(&self.new_group_list));
        push(&mut sections, "Regressions", groups(&self.regressions));
        push(
            &mut sections,
            "Slowest functions",
            self.slowest
                .iter()
                .map(|f| {
                    format!(
                        "{}: p95 {}, {} calls, {:.1}% failed",
                        f.function,
                        human(f.p95),
                        f.calls,
                        f.error_rate * 100.0
                    )
                })
                .collect(),
        );
        push(&mut sections, "Alerts", self.alerts.iter().map(alert_line).collect());
        push(
            &mut sections,
            "Audit",
            self.audit
                .iter()
                .map(|p| {
                    let mut line =
                        format!("{}: {} records, {:.1}% compliant", p.process, p.records, p.compliant_percent());
                    for (count, what) in
                        [(p.exceptions, "exceptions"), (p.failed, "failed"), (p.pending_review, "pending review")]
                    {
                        if count > 0 {
                            let _ = write!(line, ", {count} {what}");
                        }
                    }
                    line
                })
                .collect(),
        );
        sections
    }

    /// The whole report as plain text: title, period, then each section.
    pub fn text(&self) -> String {
        let mut text = self.title();
        text.push('\n');
        if !self.period.is_empty() {
            text.push_str(&self.period);
            text.push('\n');
        }
        for section in self.sections() {
            let _ = write!(text, "\n{}\n", section.heading);
            for line in section.lines {
                let _ = writeln!(text, "- {line}");
            }
        }
        text
    }
}

fn push(sections: &mut Vec<SummarySection>, heading: &'static str, lines: Vec<String>) {
    if !lines.is_empty() {
        sections.push(SummarySection { heading, lines });
    }
}

fn group_line(group: &SummaryGroup) -> String {
    format!("{}× [{}] {} at {} ({})", group.count, group.severity.as_str(), group.template, group.place, group.key)
}

fn alert_line(rule: &SummaryAlerts) -> String {
    let mut line = format!(
        "{}: {}, {} acknowledged, {} resolved",
        rule.rule,
        plural(rule.incidents, "incident", "incidents"),
        rule.acknowledged,
        rule.resolved
    );
    if let Some(mtta) = rule.mtta {
        let _ = write!(line, ", MTTA {}", human(mtta));
    }
    if let Some(mttr) = rule.mttr {
        let _ = write!(line, ", MTTR {}", human(mttr));
    }
    line
}

fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `85 µs`, `340 ms`, `2.5 s`, `4 min`, `3 h 5 min`: what people read at a glance.
pub(crate) fn human(duration: Duration) -> String {
    let ms = duration.as_millis();
    match ms {
        0 => format!("{} µs", duration.as_micros()),
        1..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", duration.as_secs_f64()),
        60_000..3_600_000 => format!("{} min", ms / 60_000),
        _ => match (ms / 3_600_000, ms % 3_600_000 / 60_000) {
            (hours, 0) => format!("{hours} h"),
            (hours, minutes) => format!("{hours} h {minutes} min"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(human(Duration::from_micros(85)), "85 µs");
        assert_eq!(human(Duration::from_millis(340)), "340 ms");
        assert_eq!(human(Duration::from_millis(2_500)), "2.5 s");
        assert_eq!(human(Duration::from_secs(240)), "4 min");
        assert_eq!(human(Duration::from_secs(3 * 3600 + 300)), "3 h 5 min");
        assert_eq!(human(Duration::from_secs(7200)), "2 h");
    }

    #[test]
    fn a_quiet_period_says_so_and_lists_nothing() {
        let report = SummaryReport { name: "morning".into(), ..SummaryReport::default() };
        assert_eq!(report.title(), "Summary morning: 0 errors");
        let sections = report.sections();
        assert_eq!(sections.len(), 1);
        assert_eq!(sections[0].lines, ["No errors."]);
    }

    #[test]
    fn alerts_carry_their_mean_times() {
        let report = SummaryReport {
            alerts: vec![SummaryAlerts {
                rule: "payments_failing".into(),
                incidents: 2,
                acknowledged: 2,
                resolved: 1,
                mtta: Some(Duration::from_secs(300)),
                mttr: Some(Duration::from_secs(5400)),
            }],
            ..SummaryReport::default()
        };
        assert!(report.title().ends_with("2 alerts"), "{}", report.title());
        let alerts = report.sections().into_iter().find(|s| s.heading == "Alerts").unwrap();
        assert_eq!(
            alerts.lines,
            ["payments_failing: 2 incidents, 2 acknowledged, 1 resolved, MTTA 5 min, MTTR 1 h 30 min"]
        );
    }
}
