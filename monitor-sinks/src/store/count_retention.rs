//! Retention of the time-series counts: the tables charts are read from,
//! which would otherwise grow by a row per active group (and function)
//! every minute, forever.
//!
//! - `group_counts`: occurrences per group and minute (occurrence charts,
//!   top groups, fleet rules);
//! - `call_counts`: calls per function, minute and instance (function
//!   statistics);
//! - `hourly_occurrences`: occurrences per hour, severity and kind (charts
//!   over days);
//! - `hourly_audit`: audit records per hour, process and status (the audit
//!   summary).
//!
//! Removing them changes no group: a group's total, first and last seen
//! are in its own row. Both stores remove the same rows with the same SQL,
//! [`CHUNK_ROWS`](super::retention::CHUNK_ROWS) at a time, each chunk its own transaction.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::millis;
use super::retention::RetentionPolicy;
use super::rollup::HOUR_MS;
use super::search::sql::Dialect;

/// A UTC day in milliseconds.
const DAY_MS: i64 = 24 * HOUR_MS;

/// Rows of the count tables, per table: what a plan says would go, or
/// what a run removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CountRows {
    /// Occurrences per group and minute (`group_counts`).
    pub group_counts: u64,
    /// Calls per function, minute and instance (`call_counts`).
    pub call_counts: u64,
    /// Occurrences per hour, severity and kind (`hourly_occurrences`).
    pub hourly_occurrences: u64,
    /// Audit records per hour, process and status (`hourly_audit`).
    pub hourly_audit: u64,
}

impl CountRows {
    /// Every row counted.
    pub fn total(&self) -> u64 {
        self.group_counts + self.call_counts + self.hourly_occurrences + self.hourly_audit
    }

    /// The count of `table`'s rows.
    pub(crate) fn of_mut(&mut self, table: CountTable) -> &mut u64 {
        match table {
            CountTable::GroupCounts => &mut self.group_counts,
            CountTable::CallCounts => &mut self.call_counts,
            CountTable::HourlyOccurrences => &mut self.hourly_occurrences,
            CountTable::HourlyAudit => &mut self.hourly_audit,
        }
    }
}

impl RetentionPolicy {
    /// How long the time-series counts are kept, in effect:
    /// [`counts_max_age`](RetentionPolicy::counts_max_age), but never less
    /// than the longest age limit the policy gives events, so that a chart
    /// over the time of any event still stored is whole. `None`: kept
    /// forever.
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_runtime::Severity;
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// const DAY: u64 = 86_400;
    /// let policy = RetentionPolicy::default();
    /// assert_eq!(policy.counts_age(), Some(Duration::from_secs(400 * DAY)));
    /// let critical = policy.keep_severity(Severity::Critical, Duration::from_secs(730 * DAY));
    /// assert_eq!(critical.counts_age(), Some(Duration::from_secs(730 * DAY)), "as long as critical events");
    /// assert_eq!(RetentionPolicy::none().counts_age(), None);
    /// ```
    pub fn counts_age(&self) -> Option<Duration> {
        let longest_event_age = self
            .max_age
            .into_iter()
            .chain(self.severity.values().copied())
            .chain(self.kind.values().copied())
            .chain(self.patterns.iter().map(|rule| rule.older_than))
            .max()
            .unwrap_or(Duration::ZERO);
        self.counts_max_age.map(|age| age.max(longest_event_age))
    }
}

/// One of the count tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CountTable {
    GroupCounts,
    CallCounts,
    HourlyOccurrences,
    HourlyAudit,
}

impl CountTable {
    /// Every count table, in the order a run prunes them.
    pub(crate) const ALL: [CountTable; 4] =
        [CountTable::GroupCounts, CountTable::CallCounts, CountTable::HourlyOccurrences, CountTable::HourlyAudit];

    fn name(self) -> &'static str {
        match self {
            CountTable::GroupCounts => "group_counts",
            CountTable::CallCounts => "call_counts",
            CountTable::HourlyOccurrences => "hourly_occurrences",
            CountTable::HourlyAudit => "hourly_audit",
        }
    }

    /// The columns that tell one row from another (the primary key; some
    /// of these tables have no row id).
    fn key(self) -> &'static str {
        match self {
            CountTable::GroupCounts => "group_key, minute_ms",
            CountTable::CallCounts => "id",
            CountTable::HourlyOccurrences => "hour_ms, severity, kind",
            CountTable::HourlyAudit => "hour_ms, process, status",
        }
    }

    /// The column of the minute or hour a row counts (indexed in each).
    fn time(self) -> &'static str {
        match self {
            CountTable::GroupCounts | CountTable::CallCounts => "minute_ms",
            CountTable::HourlyOccurrences | CountTable::HourlyAudit => "hour_ms",
        }
    }

    /// Counts the rows before the time bound to the first parameter.
    pub(crate) fn count_sql(self, dialect: Dialect) -> String {
        let (before, _) = placeholders(dialect);
        format!("SELECT count(*) FROM {} WHERE {} < {before}", self.name(), self.time())
    }

    /// Deletes up to a chunk of the rows before the time bound to the
    /// first parameter (the chunk's size,
    /// [`CHUNK_ROWS`](super::retention::CHUNK_ROWS), the second).
    pub(crate) fn delete_chunk_sql(self, dialect: Dialect) -> String {
        let (before, limit) = placeholders(dialect);
        let (table, key, time) = (self.name(), self.key(), self.time());
        format!(
            "DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} WHERE {time} < {before} LIMIT {limit})"
        )
    }
}

fn placeholders(dialect: Dialect) -> (&'static str, &'static str) {
    match dialect {
        Dialect::Sqlite => ("?1", "?2"),
        Dialect::Postgres => ("$1", "$2"),
    }
}

/// The oldest audit record's time, which hourly audit totals are kept
/// from (the hour it falls in).
pub(crate) const OLDEST_AUDIT_SQL: &str = "SELECT min(timestamp_ms) FROM audit_log";

/// Up to when each count table loses its rows, for one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CountCutoffs {
    /// Counts of minutes and hours before this go: the start of a UTC day,
    /// so that a daily chart never shows a day part-counted.
    counts_before_ms: i64,
    /// Hourly audit totals before this go: no later than the hour of the
    /// oldest audit record still stored. `None` with no audit record.
    audit_before_ms: Option<i64>,
}

impl CountCutoffs {
    /// The cutoffs of `policy` at `now`, or `None` when it keeps counts
    /// forever. `oldest_audit_ms` is the time of the oldest audit record
    /// in the store ([`OLDEST_AUDIT_SQL`]).
    pub(crate) fn new(policy: &RetentionPolicy, now: SystemTime, oldest_audit_ms: Option<i64>) -> Option<Self> {
        let age = policy.counts_age()?;
        let cutoff = millis(now.checked_sub(age).unwrap_or(UNIX_EPOCH));
        let counts_before_ms = cutoff - cutoff.rem_euclid(DAY_MS);
        // Audit records are archived, never deleted unseen: the totals of
        // the hours still holding one stay, so the summary of the records
        // in the store stays whole, whatever the age.
        let audit_before_ms = oldest_audit_ms.map(|oldest| counts_before_ms.min(oldest - oldest.rem_euclid(HOUR_MS)));
        Some(CountCutoffs { counts_before_ms, audit_before_ms })
    }

    /// Before when `table` loses its rows, or `None` when it keeps them.
    pub(crate) fn before_ms(&self, table: CountTable) -> Option<i64> {
        match table {
            CountTable::HourlyAudit => self.audit_before_ms,
            _ => Some(self.counts_before_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn at_ms(ms: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    }

    #[test]
    fn counts_go_whole_utc_days_at_a_time() {
        let policy = RetentionPolicy::none().counts_max_age(Some(Duration::from_secs(10 * DAY)));
        let now = at_ms(100 * DAY_MS + 5 * HOUR_MS + 17);
        let cutoffs = CountCutoffs::new(&policy, now, None).unwrap();
        assert_eq!(cutoffs.before_ms(CountTable::GroupCounts), Some(90 * DAY_MS));
        assert_eq!(cutoffs.before_ms(CountTable::HourlyOccurrences), Some(90 * DAY_MS));
        assert_eq!(cutoffs.before_ms(CountTable::HourlyAudit), None, "no audit record: nothing to go");
    }

    #[test]
    fn hourly_audit_totals_stay_for_the_hour_of_the_oldest_record_and_after() {
        let policy = RetentionPolicy::none().counts_max_age(Some(Duration::from_secs(10 * DAY)));
        let now = at_ms(100 * DAY_MS);
        let oldest = 50 * DAY_MS + 3 * HOUR_MS + 1234;
        let cutoffs = CountCutoffs::new(&policy, now, Some(oldest)).unwrap();
        assert_eq!(cutoffs.before_ms(CountTable::HourlyAudit), Some(50 * DAY_MS + 3 * HOUR_MS));
        let recent = CountCutoffs::new(&policy, now, Some(95 * DAY_MS)).unwrap();
        assert_eq!(recent.before_ms(CountTable::HourlyAudit), Some(90 * DAY_MS), "and the age still applies");
    }

    #[test]
    fn counts_outlive_every_event_age_limit() {
        let policy = RetentionPolicy::default()
            .counts_max_age(Some(Duration::from_secs(7 * DAY)))
            .pattern(super::super::PatternRule::template("x *", Duration::from_secs(90 * DAY)));
        assert_eq!(policy.counts_age(), Some(Duration::from_secs(90 * DAY)));
        assert_eq!(RetentionPolicy::default().counts_max_age(None).counts_age(), None);
        assert!(CountCutoffs::new(&RetentionPolicy::none(), SystemTime::now(), Some(0)).is_none());
    }

    #[test]
    fn a_chunk_is_chosen_by_key_in_either_store() {
        assert_eq!(
            CountTable::GroupCounts.delete_chunk_sql(Dialect::Sqlite),
            "DELETE FROM group_counts WHERE (group_key, minute_ms) IN \
             (SELECT group_key, minute_ms FROM group_counts WHERE minute_ms < ?1 LIMIT ?2)"
        );
        assert_eq!(
            CountTable::HourlyAudit.count_sql(Dialect::Postgres),
            "SELECT count(*) FROM hourly_audit WHERE hour_ms < $1"
        );
    }
}
