//! Aggregations for charts, the same in both stores: occurrences per time
//! bucket by severity or kind, new groups per bucket, the top groups of a
//! window, and audit records per process and compliance status.
//!
//! Occurrences come from the per-minute counts every instance adds up
//! (`group_counts`), not from stored events: they count every occurrence,
//! including those deduplicated away before storage.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use monitor_runtime::SinkErrorKind;

use super::rollup::HourSplit;
use super::search::sql::{Dialect, Filter, Param, group_filter};
use super::{GroupQuery, StoreError, StoredGroup, from_millis};

/// A time range cut into buckets of equal length.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use monitor_sinks::store::Buckets;
///
/// let now = SystemTime::now();
/// let last_day = Buckets::hourly(now - Duration::from_secs(86_400), now);
/// assert_eq!(last_day.width, Duration::from_secs(3600));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buckets {
    /// Start of the range (inclusive).
    pub since: SystemTime,
    /// End of the range (exclusive).
    pub until: SystemTime,
    /// Length of a bucket: a whole number of minutes, at least one.
    /// Buckets start at multiples of it since the Unix epoch (UTC), so a
    /// day bucket is a UTC day.
    pub width: Duration,
}

impl Buckets {
    /// Hour-long buckets over `[since, until)`.
    pub fn hourly(since: SystemTime, until: SystemTime) -> Self {
        Buckets { since, until, width: Duration::from_secs(3600) }
    }

    /// Day-long (UTC) buckets over `[since, until)`.
    pub fn daily(since: SystemTime, until: SystemTime) -> Self {
        Buckets { since, until, width: Duration::from_secs(86_400) }
    }

    /// The width in milliseconds, checked.
    pub(crate) fn width_ms(&self) -> Result<i64, StoreError> {
        let ms = self.width.as_millis();
        if ms < 60_000 || !ms.is_multiple_of(60_000) || ms > i64::MAX as u128 {
            return Err(StoreError {
                kind: SinkErrorKind::Rejected,
                message: format!(
                    "a bucket of {:?} cannot be counted: counts are kept per minute, so give a whole number of minutes (1m, 1h, 1d)",
                    self.width
                ),
            });
        }
        Ok(ms as i64)
    }
}

/// What occurrence counts are broken down by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Breakdown {
    /// By the severity of each group.
    #[default]
    Severity,
    /// By the kind of each group's events.
    Kind,
}

impl FromStr for Breakdown {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "severity" => Ok(Breakdown::Severity),
            "kind" => Ok(Breakdown::Kind),
            other => Err(format!("cannot break counts down by {other:?}: use severity or kind")),
        }
    }
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Breakdown::Severity => "severity",
            Breakdown::Kind => "kind",
        })
    }
}

/// A count in one bucket, for one value of the breakdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketCount {
    /// Start of the bucket.
    pub start: SystemTime,
    /// The severity or kind counted (empty where nothing is broken down).
    pub label: String,
    /// How many.
    pub count: u64,
}

/// Audit records in one bucket for one process and compliance status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCount {
    /// Start of the bucket.
    pub start: SystemTime,
    /// The business process.
    pub process: String,
    /// The compliance status (`compliant`, `exception`, `failed`,
    /// `pending_review`).
    pub status: String,
    /// How many records.
    pub count: u64,
}

/// A group and its occurrences in a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopGroup {
    /// The group.
    pub group: StoredGroup,
    /// Its occurrences in the window, across every instance.
    pub count: u64,
}

/// A row of an aggregation as both stores return it.
#[derive(Debug)]
pub(crate) struct AggregateRow {
    pub(crate) bucket: i64,
    pub(crate) first: String,
    pub(crate) second: String,
    pub(crate) count: i64,
}

/// An aggregation's SQL and parameters; its rows are [`AggregateRow`]s.
pub(crate) struct Aggregation {
    pub(crate) sql: String,
    pub(crate) filter: Filter,
}

fn range(filter: &mut Filter, buckets: &Buckets, column: &str) -> Result<String, StoreError> {
    let width = filter.bind(Param::Int(buckets.width_ms()?));
    filter.time_range(column, Some(buckets.since), Some(buckets.until));
    Ok(format!("({column} / {width}) * {width}"))
}

/// The groups a chart counts: the query's filters, never its page.
fn chart_groups(groups: &GroupQuery, dialect: Dialect) -> Result<Filter, StoreError> {
    let query = GroupQuery { after: None, limit: usize::MAX, ..groups.clone() };
    group_filter(&query, dialect)
}

/// Occurrences per bucket and severity or kind, of the groups `groups`
/// selects. Without a filter, whole hours come from the hourly totals
/// (see [`rollup`](super::rollup)).
pub(crate) fn occurrences(
    buckets: &Buckets,
    by: Breakdown,
    groups: &GroupQuery,
    dialect: Dialect,
) -> Result<Aggregation, StoreError> {
    let mut filter = chart_groups(groups, dialect)?;
    let label = match by {
        Breakdown::Severity => "severity",
        Breakdown::Kind => "kind",
    };
    if filter.where_clause().is_empty()
        && let Some(split) = HourSplit::of(buckets)?
    {
        let width = filter.bind(Param::Int(buckets.width_ms()?));
        let mut parts: Vec<String> = split
            .edges(&mut filter, "c.minute_ms")
            .into_iter()
            .map(|range| {
                format!(
                    "SELECT (c.minute_ms / {width}) * {width} AS bucket, g.{label} AS label, sum(c.count) AS n
                     FROM group_counts c JOIN groups g ON g.group_key = c.group_key WHERE {range}
                     GROUP BY bucket, label"
                )
            })
            .collect();
        let hours = split.middle(&mut filter, "hour_ms");
        parts.push(format!(
            "SELECT (hour_ms / {width}) * {width} AS bucket, {label} AS label, sum(count) AS n
             FROM hourly_occurrences WHERE {hours} GROUP BY bucket, label"
        ));
        let sql = format!(
            "SELECT bucket, label, CAST('' AS TEXT), CAST(sum(n) AS BIGINT) FROM ({}) AS parts
             GROUP BY bucket, label ORDER BY bucket, label",
            parts.join(" UNION ALL ")
        );
        return Ok(Aggregation { sql, filter });
    }
    let selected = format!("SELECT group_key, severity, kind FROM groups {}", filter.where_clause());
    let mut outer = Filter::continuing(&mut filter);
    let bucket = range(&mut outer, buckets, "c.minute_ms")?;
    // Summed per group and bucket first: the join then meets one row per
    // group and bucket instead of one per group and minute.
    let sql = format!(
        "SELECT c.bucket, g.{label} AS label, CAST('' AS TEXT), CAST(sum(c.n) AS BIGINT)
         FROM (SELECT group_key, {bucket} AS bucket, sum(c.count) AS n FROM group_counts c {}
               GROUP BY group_key, bucket) c
         JOIN ({selected}) g ON g.group_key = c.group_key
         GROUP BY c.bucket, g.{label} ORDER BY c.bucket, label",
        outer.where_clause()
    );
    Ok(Aggregation { sql, filter: outer })
}

/// New groups per bucket (aliases the grouper merged are not new kinds).
pub(crate) fn new_groups(buckets: &Buckets, groups: &GroupQuery, dialect: Dialect) -> Result<Aggregation, StoreError> {
    let mut filter = chart_groups(groups, dialect)?;
    filter.push("merged_into IS NULL".to_owned());
    let bucket = range(&mut filter, buckets, "first_seen_ms")?;
    let sql = format!(
        "SELECT {bucket} AS bucket, CAST('' AS TEXT), CAST('' AS TEXT), CAST(count(*) AS BIGINT)
         FROM groups {} GROUP BY bucket ORDER BY bucket",
        filter.where_clause()
    );
    Ok(Aggregation { sql, filter })
}

/// The groups with the most occurrences in `[since, until)`, as
/// (0, key, '', count) rows, summing every per-minute count of the window:
/// PostgreSQL's way when it cannot narrow the groups to sum (see
/// `postgres::top_groups`). Summing all of them per hour would not help
/// much: most groups have one or two minutes in an hour.
// SQLite sums the rows itself (see `GroupTotals`).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn top_groups(
    since: SystemTime,
    until: SystemTime,
    limit: usize,
    dialect: Dialect,
) -> Result<Aggregation, StoreError> {
    let mut filter = Filter::new(dialect);
    filter.time_range("minute_ms", Some(since), Some(until));
    let sql = format!(
        "SELECT CAST(0 AS BIGINT), group_key, CAST('' AS TEXT), CAST(sum(count) AS BIGINT) AS total
         FROM group_counts {} GROUP BY group_key ORDER BY total DESC, group_key LIMIT {}",
        filter.where_clause(),
        limit.min(i64::MAX as usize)
    );
    Ok(Aggregation { sql, filter })
}

/// Audit records per bucket, process and compliance status: whole hours
/// from the hourly totals when the buckets allow (see
/// [`rollup`](super::rollup)).
pub(crate) fn audit_counts(buckets: &Buckets, dialect: Dialect) -> Result<Aggregation, StoreError> {
    let mut filter = Filter::new(dialect);
    if let Some(split) = HourSplit::of(buckets)? {
        let width = filter.bind(Param::Int(buckets.width_ms()?));
        let mut parts: Vec<String> = split
            .edges(&mut filter, "timestamp_ms")
            .into_iter()
            .map(|range| {
                format!(
                    "SELECT (timestamp_ms / {width}) * {width} AS bucket, process, status, count(*) AS n
                     FROM audit_log WHERE {range} GROUP BY bucket, process, status"
                )
            })
            .collect();
        let hours = split.middle(&mut filter, "hour_ms");
        parts.push(format!(
            "SELECT (hour_ms / {width}) * {width} AS bucket, process, status, sum(count) AS n
             FROM hourly_audit WHERE {hours} GROUP BY bucket, process, status"
        ));
        let sql = format!(
            "SELECT bucket, process, status, CAST(sum(n) AS BIGINT) FROM ({}) AS parts
             GROUP BY bucket, process, status ORDER BY bucket, process, status",
            parts.join(" UNION ALL ")
        );
        return Ok(Aggregation { sql, filter });
    }
    let bucket = range(&mut filter, buckets, "timestamp_ms")?;
    let sql = format!(
        "SELECT {bucket} AS bucket, process, status, CAST(count(*) AS BIGINT)
         FROM audit_log {} GROUP BY bucket, process, status ORDER BY bucket, process, status",
        filter.where_clause()
    );
    Ok(Aggregation { sql, filter })
}

impl AggregateRow {
    pub(crate) fn bucket_count(self) -> BucketCount {
        BucketCount { start: from_millis(self.bucket), label: self.first, count: self.count.max(0) as u64 }
    }

    pub(crate) fn audit_count(self) -> AuditCount {
        AuditCount {
            start: from_millis(self.bucket),
            process: self.first,
            status: self.second,
            count: self.count.max(0) as u64,
        }
    }
}

/// Per-minute counts summed per group, for the top groups of a window in
/// SQLite: summing the rows in a hash map is several times faster than
/// SQLite's `GROUP BY`, which sorts every row of the window by group first
/// (a day is about 130,000 rows when occurrences spread over many groups).
/// Keys are the groups' hexadecimal numbers, summed as numbers (no string
/// kept per row); a key that is not one is summed as text.
#[derive(Debug, Default)]
pub(crate) struct GroupTotals {
    totals: std::collections::HashMap<u64, i64, foldhash::fast::RandomState>,
    other: std::collections::HashMap<String, i64, foldhash::fast::RandomState>,
}

impl GroupTotals {
    pub(crate) fn add(&mut self, key: &str, count: i64) {
        match u64::from_str_radix(key, 16) {
            Ok(number) if key.len() == 16 => *self.totals.entry(number).or_default() += count,
            _ => match self.other.get_mut(key) {
                Some(total) => *total += count,
                None => {
                    self.other.insert(key.to_owned(), count);
                }
            },
        }
    }

    /// The `limit` largest totals, largest first, ties by key: the order
    /// of [`top_groups`]'s SQL.
    pub(crate) fn top(self, limit: usize) -> Vec<AggregateRow> {
        let mut totals: Vec<(String, i64)> = self.other.into_iter().collect();
        let order = |a: &(String, i64), b: &(String, i64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0));
        // Only the largest numbers become text: at most `limit` of them
        // can be in the top, ties at the edge aside, which the text order
        // below settles among those kept.
        let mut numbers: Vec<(u64, i64)> = self.totals.into_iter().collect();
        let by_number = |a: &(u64, i64), b: &(u64, i64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0));
        if limit < numbers.len() {
            numbers.select_nth_unstable_by(limit, by_number);
            numbers.truncate(limit);
        }
        totals.extend(numbers.into_iter().map(|(key, total)| (format!("{key:016x}"), total)));
        if limit < totals.len() {
            totals.select_nth_unstable_by(limit, order);
            totals.truncate(limit);
        }
        totals.sort_unstable_by(order);
        totals
            .into_iter()
            .map(|(first, count)| AggregateRow { bucket: 0, first, second: String::new(), count })
            .collect()
    }
}

/// The top groups from their rows, with each group read by key.
pub(crate) fn top_of(rows: Vec<AggregateRow>, mut groups: Vec<StoredGroup>) -> Vec<TopGroup> {
    rows.into_iter()
        .filter_map(|row| {
            let at = groups.iter().position(|group| group.key.to_string() == row.first)?;
            Some(TopGroup { group: groups.swap_remove(at), count: row.count.max(0) as u64 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_totals_sum_per_group_and_keep_the_largest_ties_by_key() {
        let mut totals = GroupTotals::default();
        let (a, b, c, d) = ("000000000000000a", "000000000000000b", "000000000000000c", "000000000000000d");
        for (key, count) in [(b, 2), (a, 1), (c, 5), (a, 1), (d, 1), (b, 1), ("made-up", 2)] {
            totals.add(key, count);
        }
        let top: Vec<(String, i64)> = totals.top(4).into_iter().map(|row| (row.first, row.count)).collect();
        assert_eq!(top, [(c.to_owned(), 5), (b.to_owned(), 3), (a.to_owned(), 2), ("made-up".to_owned(), 2)]);
        // Hexadecimal order is the numbers' order: ties settle alike.
        let mut tie = GroupTotals::default();
        for key in [d, a, c, b] {
            tie.add(key, 1);
        }
        assert_eq!(tie.top(2).into_iter().map(|row| row.first).collect::<Vec<_>>(), [a, b]);
        assert_eq!(GroupTotals::default().top(10).len(), 0);
    }
}
