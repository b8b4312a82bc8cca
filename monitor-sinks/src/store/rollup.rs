//! Hourly totals kept beside the rows they count, so a chart over days
//! reads a few hundred rows instead of every minute or every record.
//!
//! Both stores keep two, written in the transaction that writes what they
//! count:
//! - `hourly_occurrences (hour_ms, severity, kind, count)`: the per-minute
//!   group counts (`group_counts`) summed per hour, severity and kind;
//! - `hourly_audit (hour_ms, process, status, count)`: audit records per
//!   hour, process and compliance status. Archiving old records does not
//!   take them out: the chart counts what was recorded, until retention
//!   removes totals older than its counts age (see
//!   [`count_retention`](super::count_retention)).
//!
//! A chart reads whole hours from a rollup and the partial hours at either
//! end of its range from the rows themselves ([`HourSplit`]), so its counts
//! are the same as counting the rows, for any range.

use monitor_runtime::GroupSnapshot;
use std::collections::BTreeMap;

use super::aggregate::Buckets;
use super::search::sql::{Filter, Param};
use super::{StoreError, millis, minute_of};

/// An hour in milliseconds.
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// The start of the hour `ms` falls in.
fn hour_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(HOUR_MS)
}

/// A chart's range cut for an hourly rollup: `[since, first_hour)` and
/// `[end_hour, until)` (the edges) are read from the rows, the whole hours
/// `[first_hour, end_hour)` from the rollup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HourSplit {
    since: i64,
    first_hour: i64,
    end_hour: i64,
    until: i64,
}

impl HourSplit {
    /// The split of `buckets`, or `None` when a rollup cannot answer: a
    /// bucket that is not a whole number of hours would cut an hour's
    /// total in two, and a range without a whole hour has nothing to read
    /// from it.
    pub(crate) fn of(buckets: &Buckets) -> Result<Option<Self>, StoreError> {
        let width = buckets.width_ms()?;
        let (since, until) = (millis(buckets.since), millis(buckets.until));
        let first_hour = hour_of(since.saturating_add(HOUR_MS - 1));
        let end_hour = hour_of(until);
        let whole_hours = width % HOUR_MS == 0 && first_hour < end_hour;
        Ok(whole_hours.then_some(HourSplit { since, first_hour, end_hour, until }))
    }

    /// `column` in each partial hour at either end of the range, bound in
    /// `filter`: none when the range starts and ends on the hour.
    pub(crate) fn edges(&self, filter: &mut Filter, column: &str) -> Vec<String> {
        [(self.since, self.first_hour), (self.end_hour, self.until)]
            .into_iter()
            .filter(|(from, to)| from < to)
            .map(|(from, to)| range(filter, column, from, to))
            .collect()
    }

    /// `column` (an hour's start) in the whole hours, bound in `filter`.
    pub(crate) fn middle(&self, filter: &mut Filter, column: &str) -> String {
        range(filter, column, self.first_hour, self.end_hour)
    }
}

fn range(filter: &mut Filter, column: &str, from: i64, to: i64) -> String {
    let (from, to) = (filter.bind(Param::Int(from)), filter.bind(Param::Int(to)));
    format!("{column} >= {from} AND {column} < {to}")
}

/// A batch's new occurrences per hour, severity and kind, in key order
/// (so two writers upserting the same rows lock them in the same order),
/// each hour the one its per-minute count goes to.
pub(crate) fn hourly_occurrences(groups: &[GroupSnapshot]) -> Vec<(i64, &'static str, &'static str, i64)> {
    let mut totals: BTreeMap<(i64, &'static str, &'static str), i64> = BTreeMap::new();
    for group in groups.iter().filter(|group| group.new_occurrences > 0) {
        let hour = hour_of(minute_of(group.last_seen));
        let count = i64::try_from(group.new_occurrences).unwrap_or(i64::MAX);
        let total = totals.entry((hour, group.severity.as_str(), group.kind.as_str())).or_default();
        *total = total.saturating_add(count);
    }
    totals.into_iter().map(|((hour, severity, kind), count)| (hour, severity, kind, count)).collect()
}

/// Adds the audit rows from sequence number `$1` / `?1` on to the hourly
/// audit totals (the same SQL in both stores but for the placeholder).
pub(crate) fn audit_rollup_sql(placeholder: &str) -> String {
    format!(
        "INSERT INTO hourly_audit (hour_ms, process, status, count)
         SELECT timestamp_ms - (timestamp_ms % {HOUR_MS}), process, status, count(*)
         FROM audit_log WHERE seq >= {placeholder}
         GROUP BY timestamp_ms - (timestamp_ms % {HOUR_MS}), process, status
         ON CONFLICT (hour_ms, process, status) DO UPDATE SET count = hourly_audit.count + excluded.count"
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;
    use crate::store::search::sql::Dialect;

    fn at(ms: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    }

    #[test]
    fn whole_hours_come_from_the_rollup_and_partial_ones_from_the_rows() {
        let buckets = Buckets::daily(at(10 * HOUR_MS + 1), at(40 * HOUR_MS + 5));
        let split = HourSplit::of(&buckets).unwrap().unwrap();
        assert_eq!(
            split,
            HourSplit {
                since: 10 * HOUR_MS + 1,
                first_hour: 11 * HOUR_MS,
                end_hour: 40 * HOUR_MS,
                until: 40 * HOUR_MS + 5
            }
        );
        let mut filter = Filter::new(Dialect::Sqlite);
        assert_eq!(split.middle(&mut filter, "hour_ms"), "hour_ms >= ?1 AND hour_ms < ?2");
        assert_eq!(filter.params(), [Param::Int(11 * HOUR_MS), Param::Int(40 * HOUR_MS)]);
        assert_eq!(split.edges(&mut filter, "t"), ["t >= ?3 AND t < ?4", "t >= ?5 AND t < ?6"]);
    }

    #[test]
    fn a_range_on_hour_boundaries_reads_no_row_at_the_ends() {
        let split = HourSplit::of(&Buckets::hourly(at(2 * HOUR_MS), at(5 * HOUR_MS))).unwrap().unwrap();
        assert!(split.edges(&mut Filter::new(Dialect::Sqlite), "t").is_empty());
    }

    #[test]
    fn buckets_that_cut_hours_or_ranges_without_a_whole_hour_read_the_rows() {
        let quarter = Buckets { width: Duration::from_secs(900), ..Buckets::hourly(at(0), at(10 * HOUR_MS)) };
        assert_eq!(HourSplit::of(&quarter).unwrap(), None);
        let short = Buckets::hourly(at(HOUR_MS + 1), at(2 * HOUR_MS + 5));
        assert_eq!(HourSplit::of(&short).unwrap(), None);
    }

    #[test]
    fn an_hour_is_counted_where_its_minutes_are() {
        assert_eq!(hour_of(3 * HOUR_MS + 59 * 60_000 + 59_999), 3 * HOUR_MS);
        assert_eq!(hour_of(-1), -HOUR_MS);
    }
}
