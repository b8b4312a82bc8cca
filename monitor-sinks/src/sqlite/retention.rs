//! Retention in SQLite: the plan, the removal of events in transactions of
//! at most [`CHUNK_ROWS`] rows (the store's lock is taken per chunk, so the
//! writer waits for one chunk at most), and making room when a batch meets
//! the size cap.
//!
//! Deleted rows free their pages into the file's freelist, which new rows
//! reuse: the file does not shrink (no `auto_vacuum`), it stops growing.
//! `VACUUM`, run by hand while nothing writes, gives the space back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use monitor_runtime::{Batch, GroupKey, SinkErrorKind};
use rusqlite::params;

use super::SqliteSink;
use super::count_retention::remove_counts;
use super::search::forget_words;
use super::shared::SharedSqliteStore;
use super::store::{SqliteStore, parse_key};
use crate::store::retention::{CHUNK_ROWS, EventRules};
use crate::store::schedule::{self, RetentionTask, Runner};
use crate::store::{
    EventCounts, RetentionPlan, RetentionPolicy, RetentionReport, RetentionSchedule, RetentionStatus, StoreError,
};

/// The bytes an event row takes, estimated: its text columns plus a fixed
/// part for the numbers, the record header and its index entries. It
/// underestimates a little (page headers, free space in pages), so a run
/// removes no more than needed and the next run removes the rest.
const ROW_BYTES: &str = "(length(CAST(template AS BLOB)) + length(CAST(message AS BLOB))
    + length(CAST(chain AS BLOB)) + length(CAST(context AS BLOB)) + length(CAST(args AS BLOB))
    + length(CAST(module AS BLOB)) + length(CAST(function AS BLOB)) + length(CAST(file AS BLOB))
    + coalesce(length(CAST(error_type AS BLOB)), 0) + 100)";

impl SqliteStore {
    /// Writes a batch in one transaction: every event, and each group's new
    /// occurrences added to its stored total.
    ///
    /// When the file has reached its size cap ([`SqliteOptions::max_size_bytes`](super::SqliteOptions::max_size_bytes)),
    /// the oldest events of the lowest severity are removed, 1,000 at a
    /// time, and the batch is tried again: nothing new is refused while old
    /// events can make room. Only when no event is left to remove does the
    /// batch fail as `storage_full`. Groups and audit rows are never removed.
    pub fn write_batch(&mut self, batch: &Batch) -> Result<(), StoreError> {
        loop {
            match self.write_batch_once(batch) {
                Err(error) if error.kind == SinkErrorKind::Full && self.make_room()? > 0 => continue,
                done => return done,
            }
        }
    }

    /// Removes up to [`CHUNK_ROWS`] events, lowest severity and oldest
    /// first, in a transaction of its own; returns how many went.
    fn make_room(&mut self) -> Result<u64, StoreError> {
        const ROOM_ROWS: i64 = CHUNK_ROWS;
        let chosen = "SELECT id FROM events ORDER BY severity_rank, id LIMIT ?1";
        // Removing rows writes too: the full-text index records a removed
        // row's words as tombstones until it merges its segments. At the
        // cap there is no page for them, so the removal itself runs without
        // the cap; the cap then holds again from the file's size after it
        // (freed pages are reused before the file grows).
        let cap = self.cap_pages();
        if cap.is_some() {
            self.set_page_cap(i64::from(u32::MAX >> 1))?;
        }
        let removed = self
            .transaction()
            .and_then(|(tx, _)| {
                forget_words(&tx, chosen, params![ROOM_ROWS])?;
                let removed = tx.execute(&format!("DELETE FROM events WHERE id IN ({chosen})"), params![ROOM_ROWS])?;
                // A bounded merge of the index's segments (256 pages of
                // work) drops the removed rows' words, freeing their pages.
                // Negative: merge whatever segments there are, not only a
                // level that has gathered enough of them, or at the cap
                // the tombstones can outlive every event they remove.
                tx.execute("INSERT INTO events_fts (events_fts, rank) VALUES ('merge', -256)", [])?;
                tx.commit()?;
                Ok(removed)
            })
            .map_err(|e| self.error("making room", &e));
        if let Some(cap) = cap {
            self.set_page_cap(cap)?;
        }
        Ok(removed? as u64)
    }

    fn set_page_cap(&self, pages: i64) -> Result<(), StoreError> {
        self.connection()
            .pragma_update(None, "max_page_count", pages)
            .map_err(|e| self.error("setting the size cap", &e))
    }

    /// The file's size in use: its pages less those on the freelist (free
    /// pages that new rows reuse).
    fn used_bytes(&self) -> Result<u64, StoreError> {
        let pragma = |name: &str| -> Result<i64, StoreError> {
            self.connection()
                .query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
                .map_err(|e| self.error("measuring the file", &e))
        };
        let pages = pragma("page_count")? - pragma("freelist_count")?;
        Ok((pages.max(0) * pragma("page_size")?).max(0) as u64)
    }

    /// The age rules of `policy` at `now`, its pattern rules matched
    /// against the stored groups' templates.
    fn event_rules(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<Option<EventRules>, StoreError> {
        let fail = |e: rusqlite::Error| self.error("reading group templates", &e);
        let mut groups: Vec<(GroupKey, String)> = Vec::new();
        if !policy.patterns.is_empty() {
            let mut statement = self.connection().prepare("SELECT group_key, template FROM groups").map_err(fail)?;
            let rows =
                statement.query_map([], |row| Ok((parse_key(row.get_ref(0)?.as_str()?), row.get(1)?))).map_err(fail)?;
            groups = rows.collect::<Result<_, _>>().map_err(fail)?;
        }
        Ok(EventRules::new(policy, now, &groups))
    }

    /// What applying `policy` at `now` would remove; changes nothing.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use monitor_sinks::sqlite::SqliteStore;
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = SqliteStore::open(dir.path().join("monitor.db")).unwrap();
    /// let plan = store.retention_plan(&RetentionPolicy::default(), SystemTime::now()).unwrap();
    /// assert_eq!(plan.events.total(), 0);
    /// ```
    pub fn retention_plan(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<RetentionPlan, StoreError> {
        let fail = |e: rusqlite::Error| self.error("planning retention", &e);
        let rules = self.event_rules(policy, now)?;
        let mut plan = RetentionPlan::default();
        let mut aged_bytes = 0u64;
        if let Some(rules) = &rules {
            let sql = format!(
                "SELECT reason, count(*), coalesce(sum(bytes), 0) FROM
                 (SELECT {} AS reason, {ROW_BYTES} AS bytes FROM events WHERE {}) GROUP BY reason",
                rules.reason,
                rules.filter()
            );
            let mut statement = self.connection().prepare(&sql).map_err(fail)?;
            let mut rows = statement.query([]).map_err(fail)?;
            while let Some(row) = rows.next().map_err(fail)? {
                plan.events.add(row.get(0).map_err(fail)?, row.get::<_, i64>(1).map_err(fail)? as u64);
                aged_bytes += row.get::<_, i64>(2).map_err(fail)?.max(0) as u64;
            }
        }
        if let Some(max) = policy.max_size {
            let size = self.used_bytes()?;
            plan.size_bytes = Some(size);
            let excess = size.saturating_sub(max).saturating_sub(aged_bytes);
            if excess > 0 {
                let kept = rules.as_ref().map(|rules| format!("NOT ({})", rules.filter())).unwrap_or("1".to_owned());
                let sql = format!(
                    "SELECT count(*) FROM (SELECT sum(bytes) OVER (ORDER BY severity_rank, id ROWS UNBOUNDED PRECEDING)
                        - bytes AS before FROM (SELECT id, severity_rank, {ROW_BYTES} AS bytes FROM events WHERE {kept}))
                     WHERE before < ?1"
                );
                let count: i64 =
                    self.connection().query_row(&sql, params![excess as i64], |row| row.get(0)).map_err(fail)?;
                plan.events.size = count as u64;
            }
        }
        if let Some(cutoffs) = self.count_cutoffs(policy, now)? {
            plan.counts = self.count_rows_to_remove(&cutoffs)?;
        }
        if let Some(audit) = &policy.audit {
            (plan.audit_rows, plan.audit_up_to) = self.audit_archive_plan(audit, now)?;
        }
        Ok(plan)
    }

    /// Removes the next chunk of events the rules select, after id
    /// `after`: the last id removed and the bytes removed, or `None` when
    /// none is left.
    fn remove_aged_chunk(
        &mut self,
        rules: &EventRules,
        after: i64,
        counts: &mut EventCounts,
    ) -> Result<Option<(i64, u64)>, StoreError> {
        let path = self.path().to_owned();
        let fail = |e: rusqlite::Error| super::store::classify(&path, "removing old events", &e);
        let chosen = format!("SELECT id FROM events WHERE id > ?1 AND {} ORDER BY id LIMIT ?2", rules.filter());
        let sql = format!("DELETE FROM events WHERE id IN ({chosen}) RETURNING id, {}, {ROW_BYTES}", rules.reason);
        let (tx, _) = self.transaction().map_err(fail)?;
        forget_words(&tx, &chosen, params![after, CHUNK_ROWS]).map_err(fail)?;
        let (mut last, mut bytes) = (None, 0u64);
        {
            let mut statement = tx.prepare_cached(&sql).map_err(fail)?;
            let mut rows = statement.query(params![after, CHUNK_ROWS]).map_err(fail)?;
            while let Some(row) = rows.next().map_err(fail)? {
                let id: i64 = row.get(0).map_err(fail)?;
                counts.add(row.get(1).map_err(fail)?, 1);
                bytes += row.get::<_, i64>(2).map_err(fail)?.max(0) as u64;
                last = Some(last.map_or(id, |last: i64| last.max(id)));
            }
        }
        tx.commit().map_err(fail)?;
        Ok(last.map(|last| (last, bytes)))
    }

    /// Removes up to a chunk of the lowest-severity, oldest events, as many
    /// as cover `excess` bytes; returns (rows, bytes) removed.
    fn remove_for_size_chunk(&mut self, excess: u64) -> Result<(u64, u64), StoreError> {
        let path = self.path().to_owned();
        let fail = |e: rusqlite::Error| super::store::classify(&path, "removing events for size", &e);
        let (tx, _) = self.transaction().map_err(fail)?;
        let mut chosen = Vec::new();
        let mut bytes = 0u64;
        {
            let sql = format!("SELECT id, {ROW_BYTES} FROM events ORDER BY severity_rank, id LIMIT ?1");
            let mut statement = tx.prepare_cached(&sql).map_err(fail)?;
            let mut rows = statement.query(params![CHUNK_ROWS]).map_err(fail)?;
            while bytes < excess
                && let Some(row) = rows.next().map_err(fail)?
            {
                chosen.push(row.get::<_, i64>(0).map_err(fail)?);
                bytes += row.get::<_, i64>(1).map_err(fail)?.max(0) as u64;
            }
        }
        let ids = crate::store::to_json(&chosen);
        let listed = "SELECT value FROM json_each(?1)";
        forget_words(&tx, listed, params![ids]).map_err(fail)?;
        tx.execute(&format!("DELETE FROM events WHERE id IN ({listed})"), params![ids]).map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok((chosen.len() as u64, bytes))
    }
}

/// Applies `policy` at `now` to `store`, taking its lock once per chunk;
/// stops between chunks once `stop` is set.
pub(crate) fn apply(
    store: &SharedSqliteStore,
    policy: &RetentionPolicy,
    now: SystemTime,
    stop: &AtomicBool,
) -> Result<RetentionReport, StoreError> {
    let mut report = RetentionReport::default();
    let size = match policy.max_size {
        Some(_) => Some(store.lock().used_bytes()?),
        None => None,
    };
    report.size_bytes = size;
    let rules = store.lock().event_rules(policy, now)?;
    let mut aged_bytes = 0u64;
    if let Some(rules) = &rules {
        let mut after = i64::MIN;
        while let Some((last, bytes)) = store.lock().remove_aged_chunk(rules, after, &mut report.events)? {
            (after, aged_bytes) = (last, aged_bytes + bytes);
            if stop.load(Ordering::Relaxed) {
                report.interrupted = true;
                return Ok(report);
            }
        }
    }
    if let (Some(max), Some(size)) = (policy.max_size, size) {
        let mut excess = size.saturating_sub(max).saturating_sub(aged_bytes);
        while excess > 0 {
            let (rows, bytes) = store.lock().remove_for_size_chunk(excess)?;
            if rows == 0 {
                break;
            }
            report.events.size += rows;
            excess = excess.saturating_sub(bytes);
            if stop.load(Ordering::Relaxed) {
                report.interrupted = true;
                return Ok(report);
            }
        }
    }
    // Before archiving: hourly audit totals go only for hours before the
    // oldest audit row, as it is when the run starts (what the plan saw).
    // A statement of its own: the lock is let go before each chunk takes it.
    let cutoffs = store.lock().count_cutoffs(policy, now)?;
    if let Some(cutoffs) = &cutoffs
        && !remove_counts(store, cutoffs, &mut report.counts, stop)?
    {
        report.interrupted = true;
        return Ok(report);
    }
    if let Some(audit) = &policy.audit {
        while !stop.load(Ordering::Relaxed) {
            match store.lock().archive_segment(audit, now)? {
                Some(archive) => report.archives.push(archive),
                None => break,
            }
        }
    }
    Ok(report)
}

/// [`apply`] on tokio's blocking pool, for the [`Store`](crate::store::Store) trait.
pub(crate) async fn apply_off_thread(
    store: &SharedSqliteStore,
    policy: &RetentionPolicy,
    now: SystemTime,
) -> Result<RetentionReport, StoreError> {
    policy.validate().map_err(|error| StoreError { kind: SinkErrorKind::Other, message: error.to_string() })?;
    let (store, policy) = (store.clone(), policy.clone());
    tokio::task::spawn_blocking(move || apply(&store, &policy, now, &AtomicBool::new(false))).await.map_err(
        |error| StoreError {
            kind: SinkErrorKind::Other,
            message: format!("the SQLite retention run did not finish: {error}"),
        },
    )?
}

/// A sink's scheduled retention: the schedule asked for, the status shared
/// with whoever holds it, and the running task once started.
#[derive(Debug, Default)]
pub(super) struct SinkRetention {
    schedule: Option<RetentionSchedule>,
    status: RetentionStatus,
    task: Option<RetentionTask>,
}

impl SinkRetention {
    /// Starts the schedule, if any, on a thread of its own.
    pub(super) fn start(&mut self, store: &SharedSqliteStore) -> Result<(), StoreError> {
        let Some(schedule) = self.schedule.clone() else { return Ok(()) };
        schedule.policy.validate().map_err(|error| StoreError {
            kind: SinkErrorKind::Other,
            message: format!("SQLite file `{}`: {error}", store.lock().path().display()),
        })?;
        let store = store.clone();
        let run: Runner = Box::new(move |policy, now, stop| apply(&store, policy, now, stop));
        self.task = Some(schedule::spawn("sqlite", schedule, self.status.clone(), run)?);
        Ok(())
    }
}

impl SqliteSink {
    /// Applies `policy` on a schedule: hourly by default (see
    /// [`retention_interval`](Self::retention_interval)), the first run a
    /// minute after `install()`, on a thread of the sink's own, removing
    /// events in transactions of at most 1,000 rows. Without it, nothing
    /// is ever removed: an upgrade deletes no one's data.
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_runtime::Severity;
    /// use monitor_sinks::sqlite::SqliteSink;
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// let policy = RetentionPolicy::default().keep_severity(Severity::Critical, Duration::from_secs(365 * 86_400));
    /// let sink = SqliteSink::new("monitor.db").retention(policy);
    /// let status = sink.retention_status(); // what the last run did, once it ran
    /// assert!(status.last_run().is_none());
    /// ```
    pub fn retention(mut self, policy: RetentionPolicy) -> Self {
        let schedule = match self.retention.schedule.take() {
            Some(schedule) => RetentionSchedule { policy, ..schedule },
            None => RetentionSchedule::new(policy),
        };
        self.retention.schedule = Some(schedule);
        self
    }

    /// How often the retention policy runs (default hourly; the first run
    /// a minute after start, or after `interval` if that is sooner).
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_sinks::sqlite::SqliteSink;
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// let sink = SqliteSink::new("monitor.db").retention(RetentionPolicy::default()).retention_interval(Duration::from_secs(600));
    /// ```
    pub fn retention_interval(mut self, interval: Duration) -> Self {
        let schedule =
            self.retention.schedule.take().unwrap_or_else(|| RetentionSchedule::new(RetentionPolicy::none()));
        self.retention.schedule = Some(schedule.every(interval));
        self
    }

    /// What the scheduled retention did last: take it before the sink is
    /// installed, read it any time after.
    pub fn retention_status(&self) -> RetentionStatus {
        self.retention.status.clone()
    }
}
