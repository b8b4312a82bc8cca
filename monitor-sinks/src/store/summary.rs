//! A summary's report, read from any store: what every instance wrote in
//! the period, through the same queries the CLI and the API use.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_runtime::summary::{
    SummaryAlerts, SummaryAudit, SummaryFunction, SummaryGroup, SummaryReport, SummarySource,
};
use monitor_runtime::{Severity, SinkError, async_trait};

use super::{Breakdown, Buckets, GroupQuery, GroupSort, Store, StoreError, StoreFleet, StoredGroup};

/// How many of the newest groups are looked at for the period's new ones:
/// the count is exact (from [`Store::new_group_counts`]), the list shows
/// the busiest of these.
const NEW_GROUPS_LOOKED_AT: usize = 500;

#[async_trait]
impl SummarySource for StoreFleet {
    async fn lead(&self, lease: Duration) -> Result<bool, SinkError> {
        Ok(self.store().lead(self.holder(), lease).await?)
    }

    async fn report(&self, since: SystemTime, until: SystemTime) -> Result<SummaryReport, SinkError> {
        Ok(summary_report(self.store(), since, until).await?)
    }
}

/// What `store` holds of `[since, until)`: occurrences by severity, new
/// groups, regressions, the top groups, the slowest functions, alerts with
/// their mean times, and audit records per process.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use std::time::{Duration, SystemTime};
/// use monitor_sinks::sqlite::SqliteStore;
/// use monitor_sinks::store::summary_report;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = tempfile::tempdir().unwrap();
/// let store = SqliteStore::open(dir.path().join("monitor.db")).unwrap().shared();
/// let now = SystemTime::now();
/// let report = summary_report(&store, now - Duration::from_secs(86_400), now).await.unwrap();
/// assert_eq!(report.total_occurrences(), 0);
/// # });
/// # }
/// ```
pub async fn summary_report(
    store: &dyn Store,
    since: SystemTime,
    until: SystemTime,
) -> Result<SummaryReport, StoreError> {
    let whole = one_bucket(since, until);
    let all = GroupQuery::all();
    let mut occurrences: BTreeMap<Severity, u64> = BTreeMap::new();
    for count in store.occurrence_counts(&whole, Breakdown::Severity, &all).await? {
        if let Ok(severity) = count.label.parse::<Severity>() {
            *occurrences.entry(severity).or_default() += count.count;
        }
    }
    let new_groups = store.new_group_counts(&whole, &all).await?.iter().map(|count| count.count).sum();
    let top = store.top_groups(since, until, SummaryReport::LIST).await?;
    let top_groups = top.iter().map(|top| summary_group(&top.group, top.count)).collect();
    let newest = GroupQuery {
        seen_since: Some(since),
        sort: GroupSort::FirstSeen,
        limit: NEW_GROUPS_LOOKED_AT,
        ..GroupQuery::default()
    };
    let mut new_group_list: Vec<SummaryGroup> = store
        .groups(&newest)
        .await?
        .iter()
        .filter(|group| group.merged_into.is_none() && (since..until).contains(&group.first_seen))
        .map(|group| summary_group(group, group.count))
        .collect();
    new_group_list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    new_group_list.truncate(SummaryReport::LIST);
    let regressions = store
        .regressions(since, until, SummaryReport::LIST)
        .await?
        .iter()
        .map(|group| summary_group(group, group.count))
        .collect();
    let mut slowest: Vec<SummaryFunction> = store
        .function_stats(&whole, None, None)
        .await?
        .into_iter()
        .map(|stats| SummaryFunction {
            function: place(&stats.module, &stats.function),
            calls: stats.calls,
            p95: stats.p95,
            error_rate: stats.error_rate,
        })
        .collect();
    slowest.sort_by(|a, b| b.p95.cmp(&a.p95).then_with(|| a.function.cmp(&b.function)));
    slowest.truncate(SummaryReport::LIST);
    let alerts = store
        .alert_stats(since, until)
        .await?
        .into_iter()
        .map(|stats| SummaryAlerts {
            rule: stats.rule,
            incidents: stats.incidents,
            acknowledged: stats.acknowledged,
            resolved: stats.resolved,
            mtta: stats.mtta,
            mttr: stats.mttr,
        })
        .collect();
    let mut audit: BTreeMap<String, SummaryAudit> = BTreeMap::new();
    for count in store.audit_counts(&whole).await? {
        let process = audit
            .entry(count.process.clone())
            .or_insert_with(|| SummaryAudit { process: count.process.clone(), ..SummaryAudit::default() });
        process.records += count.count;
        match count.status.as_str() {
            "compliant" => process.compliant += count.count,
            "exception" => process.exceptions += count.count,
            "failed" => process.failed += count.count,
            "pending_review" => process.pending_review += count.count,
            _ => {}
        }
    }
    Ok(SummaryReport {
        // Most severe first.
        occurrences: occurrences.into_iter().rev().filter(|(_, count)| *count > 0).collect(),
        new_groups,
        new_group_list,
        regressions,
        top_groups,
        slowest,
        alerts,
        audit: audit.into_values().collect(),
        ..SummaryReport::default()
    })
}

/// `[since, until)` as one bucket: buckets start at multiples of their
/// width since the epoch, so a width past `until` puts every minute of the
/// period in the bucket that starts at the epoch. Whole hours, so the
/// hourly totals still serve the middle of the period.
fn one_bucket(since: SystemTime, until: SystemTime) -> Buckets {
    let until_ms = until.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
    let hours = until_ms / 3_600_000 + 2;
    Buckets { since, until, width: Duration::from_secs(hours * 3600) }
}

fn summary_group(group: &StoredGroup, count: u64) -> SummaryGroup {
    SummaryGroup {
        key: group.key,
        severity: group.severity,
        place: place(&group.location.module, &group.location.function),
        template: group.template.clone(),
        count,
    }
}

fn place(module: &str, function: &str) -> String {
    if module.is_empty() { function.to_owned() } else { format!("{module}::{function}") }
}
