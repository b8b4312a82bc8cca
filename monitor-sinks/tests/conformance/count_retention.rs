//! Retention of the time-series counts (per group and minute, per function
//! and minute, hourly totals): old rows go, recent ones stay, groups keep
//! their totals, and charts over the kept window answer as before.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_runtime::audit::{AuditRecord, ComplianceStatus};
use monitor_runtime::{CallCounts, Severity};
use monitor_sinks::store::{AuditRetention, Breakdown, Buckets, CountRows, GroupQuery, RetentionPolicy, Store};

use super::{Group, TestDatabase, at, audit, batch, key};

const DAY: u64 = 86_400;
const HOUR: u64 = 3_600;
/// `at(MIDNIGHT)` starts a UTC day: counts go whole days at a time.
const MIDNIGHT: u64 = 16 * HOUR;

/// The start of day `n` after the test's first midnight, plus `secs`.
fn day(n: u64, secs: u64) -> SystemTime {
    at(MIDNIGHT + n * DAY + secs)
}

/// Counts kept 10 days and nothing else removed; applied on day 20, it
/// removes what counts the days before day 10.
fn ten_days_of_counts() -> RetentionPolicy {
    let policy = RetentionPolicy::none().counts_max_age(Some(Duration::from_secs(10 * DAY)));
    policy.validate().unwrap();
    policy
}

fn calls(function: &'static str, minute: SystemTime, calls: u64) -> CallCounts {
    let mut counts = CallCounts::new("billing::cards", function, minute);
    counts.calls = calls;
    counts.total_duration = Duration::from_micros(calls * 100);
    counts.duration_buckets[10] = calls;
    counts
}

/// Occurrences per day and severity over `[since, until)`, from the hourly
/// totals (whole days) and from the per-minute counts (quarter hours).
async fn occurrences(
    store: &Arc<dyn Store>,
    since: SystemTime,
    until: SystemTime,
) -> (Vec<(SystemTime, String, u64)>, Vec<(SystemTime, String, u64)>) {
    let daily = Buckets::daily(since, until);
    let quarters = Buckets { width: Duration::from_secs(900), ..daily };
    let read = |buckets: Buckets| async move {
        let counts = store.occurrence_counts(&buckets, Breakdown::Severity, &GroupQuery::default()).await.unwrap();
        counts.into_iter().map(|count| (count.start, count.label, count.count)).collect::<Vec<_>>()
    };
    (read(daily).await, read(quarters).await)
}

async fn function_calls(store: &Arc<dyn Store>, since: SystemTime, until: SystemTime) -> Vec<(SystemTime, u64)> {
    let stats = store.function_stats(&Buckets::daily(since, until), None, None).await.unwrap();
    stats.iter().map(|stats| (stats.start, stats.calls)).collect()
}

async fn top_groups(store: &Arc<dyn Store>, since: SystemTime, until: SystemTime) -> Vec<(u64, u64)> {
    let top = store.top_groups(since, until, 10).await.unwrap();
    top.iter().map(|entry| (entry.group.key.0 - key(0).0, entry.count)).collect()
}

pub async fn retention_of_counts_removes_old_minutes_and_hours_and_keeps_group_totals(
    database: Arc<impl TestDatabase>,
) {
    assert_eq!(day(0, 0).duration_since(UNIX_EPOCH).unwrap().as_secs() % DAY, 0, "day 0 starts a UTC day");
    let store = database.open().await.unwrap();
    let error = |new, last| Group::new(1, "payments", new, day(2, 0), last);
    let critical = |new, last| Group::new(2, "ledger", new, day(3, 0), last).severity(Severity::Critical);
    // Old: days 2 and 3, and the last minute before day 10. Kept: the
    // first minute of day 10, and day 15.
    let writes = [
        (error(4, day(2, 600)), calls("charge", day(2, 600), 50)),
        (critical(5, day(3, 60)), calls("charge", day(10, 0) - Duration::from_secs(60), 5)),
        (error(2, day(10, 0) - Duration::from_secs(60)), calls("charge", day(10, 0), 7)),
        (error(3, day(10, 0)), calls("charge", day(15, 600), 20)),
        (error(6, day(15, 600)), calls("charge", day(15, 600), 1)),
        (critical(7, day(15, 1200)), calls("charge", day(15, 1200), 1)),
    ];
    for (group, calls) in writes {
        let mut batch = batch(vec![], &[group], vec![], vec![]);
        batch.calls = vec![calls];
        store.write_batch(&batch).await.unwrap();
    }
    let now = day(20, 5 * HOUR);
    let (everything, kept) = ((day(0, 0), day(20, 0)), (day(10, 0), day(20, 0)));
    let kept_before = (
        occurrences(&store, kept.0, kept.1).await,
        function_calls(&store, kept.0, kept.1).await,
        top_groups(&store, kept.0, kept.1).await,
    );
    assert_eq!(top_groups(&store, everything.0, everything.1).await, [(1, 15), (2, 12)]);

    let policy = ten_days_of_counts();
    let plan = store.retention_plan(&policy, now).await.unwrap();
    let old = CountRows { group_counts: 3, call_counts: 2, hourly_occurrences: 3, hourly_audit: 0 };
    assert_eq!(plan.counts, old, "the minutes before day 10 and their hours");
    assert_eq!(plan.events.total(), 0);
    assert_eq!(top_groups(&store, everything.0, everything.1).await, [(1, 15), (2, 12)], "a plan changes nothing");
    let report = store.apply_retention(&policy, now).await.unwrap();
    assert_eq!(report.counts, plan.counts, "apply does what the plan said");
    assert!(!report.interrupted);

    let (one, two) = (store.group(key(1)).await.unwrap().unwrap(), store.group(key(2)).await.unwrap().unwrap());
    assert_eq!((one.count, one.first_seen, two.count, two.first_seen), (15, day(2, 0), 12, day(3, 0)), "totals stay");
    // Over every day, only what counts day 10 and after is left, read from
    // the hourly totals and from the minutes alike.
    let (by_day, by_quarter) = occurrences(&store, everything.0, everything.1).await;
    let critical_label = Severity::Critical.as_str().to_owned();
    let error_label = Severity::Error.as_str().to_owned();
    assert_eq!(
        by_day,
        [(day(10, 0), error_label.clone(), 3), (day(15, 0), critical_label.clone(), 7), (day(15, 0), error_label, 6)]
    );
    let summed: u64 = by_quarter.iter().map(|(_, _, count)| count).sum();
    assert_eq!((summed, by_quarter.first().map(|first| first.0)), (16, Some(day(10, 0))), "{by_quarter:?}");
    assert_eq!(function_calls(&store, everything.0, everything.1).await, [(day(10, 0), 7), (day(15, 0), 22)]);
    assert_eq!(top_groups(&store, everything.0, everything.1).await, [(1, 9), (2, 7)]);
    // Over the kept window, the charts answer exactly as before.
    let kept_after = (
        occurrences(&store, kept.0, kept.1).await,
        function_calls(&store, kept.0, kept.1).await,
        top_groups(&store, kept.0, kept.1).await,
    );
    assert_eq!(kept_after, kept_before);
    let again = store.retention_plan(&policy, now).await.unwrap();
    assert_eq!(again.counts.total(), 0, "nothing old is left: {again:?}");
}

/// An audit record of `process` made at `when`.
fn audit_at(when: SystemTime, reference: u64) -> AuditRecord {
    let mut record = audit("sepa_mandate", "create", ComplianceStatus::Compliant, reference);
    record.timestamp = when;
    record
}

async fn audit_total(store: &Arc<dyn Store>, since: SystemTime, until: SystemTime) -> u64 {
    store.audit_counts(&Buckets::daily(since, until)).await.unwrap().iter().map(|count| count.count).sum()
}

pub async fn hourly_audit_totals_go_only_for_hours_before_the_oldest_stored_audit_row(
    database: Arc<impl TestDatabase>,
) {
    let store = database.open().await.unwrap();
    // Hours: day 1 (two records), day 5, day 15.
    let records =
        vec![audit_at(day(1, 60), 1), audit_at(day(1, 120), 2), audit_at(day(5, 0), 3), audit_at(day(15, 0), 4)];
    store.write_batch(&batch(vec![], &[], records, vec![])).await.unwrap();
    let now = day(20, 5 * HOUR);
    let (first, last) = (day(0, 0), day(20, 0));
    let policy = ten_days_of_counts();

    // Older than the counts' age, but their records are still stored.
    let plan = store.retention_plan(&policy, now).await.unwrap();
    assert_eq!(plan.counts.hourly_audit, 0, "{plan:?}");
    assert_eq!(store.apply_retention(&policy, now).await.unwrap().counts, CountRows::default());
    assert_eq!(audit_total(&store, first, last).await, 4);

    // Once archived, the records of days 1 and 5 are no longer stored; the
    // totals of their hours stay until retention removes them.
    let dir = tempfile::tempdir().unwrap();
    let archiving = AuditRetention { older_than: Duration::from_secs(10 * DAY), archive_dir: dir.path().to_owned() };
    let archives = store.archive_audit(&archiving, now).await.unwrap();
    assert_eq!(archives.iter().map(|archive| archive.rows).sum::<u64>(), 3);
    assert_eq!(audit_total(&store, first, last).await, 4, "archiving leaves the hourly totals");
    let plan = store.retention_plan(&policy, now).await.unwrap();
    assert_eq!(plan.counts, CountRows { hourly_audit: 2, ..CountRows::default() }, "the hours of days 1 and 5");
    assert_eq!(store.apply_retention(&policy, now).await.unwrap().counts, plan.counts);
    assert_eq!(audit_total(&store, first, last).await, 1, "what the store holds: the record of day 15");
    assert_eq!(audit_total(&store, day(10, 0), last).await, 1);
}
