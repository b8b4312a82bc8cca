//! Retention in PostgreSQL: the plan, and the removal of events one
//! statement of at most [`CHUNK_ROWS`] rows at a time (each its own
//! transaction), so that writers are never held up by more than one chunk.
//!
//! The size rule measures the bytes of the live event rows,
//! `sum(pg_column_size(events.*))`, not the table's files: those do not
//! shrink when rows are deleted (autovacuum makes their space reusable; only
//! `VACUUM FULL` gives it back), so measuring them would remove more at
//! every run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use monitor_runtime::{GroupKey, SinkErrorKind};

use super::count_retention::remove_counts;
use super::options::PostgresOptions;
use super::sink::PostgresSink;
use super::store::PostgresStore;
use crate::store::retention::{CHUNK_ROWS, EventRules};
use crate::store::schedule::{self, RetentionTask, Runner};
use crate::store::{
    EventCounts, RetentionPlan, RetentionPolicy, RetentionReport, RetentionSchedule, RetentionStatus, StoreError,
    parse_key,
};

/// The bytes an event row takes: its stored size, TOASTed values included.
const ROW_BYTES: &str = "pg_column_size(events.*)::bigint";

impl PostgresStore {
    /// The bytes of the live event rows.
    async fn events_bytes(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let sql = format!("SELECT coalesce(sum({ROW_BYTES}), 0)::bigint FROM events");
        let row = client.query_one(&sql, &[]).await.map_err(self.fail("measuring the events"))?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    /// The age rules of `policy` at `now`, its pattern rules matched
    /// against the stored groups' templates.
    async fn event_rules(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<Option<EventRules>, StoreError> {
        let mut groups: Vec<(GroupKey, String)> = Vec::new();
        if !policy.patterns.is_empty() {
            let client = self.client().await?;
            let rows = client
                .query("SELECT group_key, template FROM groups", &[])
                .await
                .map_err(self.fail("reading group templates"))?;
            groups = rows.iter().map(|row| (parse_key(row.get(0)), row.get(1))).collect();
        }
        Ok(EventRules::new(policy, now, &groups))
    }

    /// What applying `policy` at `now` would remove; changes nothing.
    pub(crate) async fn plan_retention(
        &self,
        policy: &RetentionPolicy,
        now: SystemTime,
    ) -> Result<RetentionPlan, StoreError> {
        policy.validate().map_err(|error| refuse(self, &error))?;
        let rules = self.event_rules(policy, now).await?;
        let mut plan = RetentionPlan::default();
        let mut aged_bytes = 0u64;
        let client = self.client().await?;
        if let Some(rules) = &rules {
            let sql = format!(
                "SELECT reason, count(*), coalesce(sum(bytes), 0)::bigint FROM
                 (SELECT ({})::bigint AS reason, {ROW_BYTES} AS bytes FROM events WHERE {}) AS aged GROUP BY reason",
                rules.reason,
                rules.filter()
            );
            for row in client.query(&sql, &[]).await.map_err(self.fail("planning retention"))? {
                plan.events.add(row.get(0), row.get::<_, i64>(1).max(0) as u64);
                aged_bytes += row.get::<_, i64>(2).max(0) as u64;
            }
        }
        if let Some(max) = policy.max_size {
            let size = self.events_bytes().await?;
            plan.size_bytes = Some(size);
            let excess = size.saturating_sub(max).saturating_sub(aged_bytes);
            if excess > 0 {
                let kept = rules.as_ref().map(|rules| format!("NOT ({})", rules.filter())).unwrap_or("true".to_owned());
                let sql = format!(
                    "SELECT count(*) FROM (SELECT (sum(bytes) OVER (ORDER BY severity_rank, id ROWS UNBOUNDED PRECEDING)
                        - bytes)::bigint AS before FROM (SELECT id, severity_rank, {ROW_BYTES} AS bytes FROM events WHERE {kept})
                        AS kept) AS ranked
                     WHERE before < $1"
                );
                let row = client
                    .query_one(&sql, &[&(excess.min(i64::MAX as u64) as i64)])
                    .await
                    .map_err(self.fail("planning retention"))?;
                plan.events.size = row.get::<_, i64>(0).max(0) as u64;
            }
        }
        if let Some(cutoffs) = self.count_cutoffs(policy, now).await? {
            plan.counts = self.count_rows_to_remove(&cutoffs).await?;
        }
        if let Some(audit) = &policy.audit {
            (plan.audit_rows, plan.audit_up_to) = self.audit_archive_plan(audit, now).await?;
        }
        Ok(plan)
    }

    /// Removes the next chunk of events the rules select, after id
    /// `after`: the last id removed and the bytes removed, or `None` when
    /// none is left.
    async fn remove_aged_chunk(
        &self,
        rules: &EventRules,
        after: i64,
        counts: &mut EventCounts,
    ) -> Result<Option<(i64, u64)>, StoreError> {
        let sql = format!(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id > $1 AND {} ORDER BY id LIMIT $2)
             RETURNING id, ({})::bigint, {ROW_BYTES}",
            rules.filter(),
            rules.reason
        );
        let client = self.client().await?;
        let rows = client.query(&sql, &[&after, &CHUNK_ROWS]).await.map_err(self.fail("removing old events"))?;
        let (mut last, mut bytes) = (None, 0u64);
        for row in &rows {
            let id: i64 = row.get(0);
            counts.add(row.get(1), 1);
            bytes += row.get::<_, i64>(2).max(0) as u64;
            last = Some(last.map_or(id, |last: i64| last.max(id)));
        }
        Ok(last.map(|last| (last, bytes)))
    }

    /// Removes up to a chunk of the lowest-severity, oldest events, as many
    /// as cover `excess` bytes; returns (rows, bytes) removed.
    async fn remove_for_size_chunk(&self, excess: u64) -> Result<(u64, u64), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(self.fail("removing events for size"))?;
        let sql = format!("SELECT id, {ROW_BYTES} FROM events ORDER BY severity_rank, id LIMIT $1 FOR UPDATE");
        let rows = tx.query(&sql, &[&CHUNK_ROWS]).await.map_err(self.fail("removing events for size"))?;
        let (mut chosen, mut bytes) = (Vec::new(), 0u64);
        for row in &rows {
            if bytes >= excess {
                break;
            }
            chosen.push(row.get::<_, i64>(0));
            bytes += row.get::<_, i64>(1).max(0) as u64;
        }
        tx.execute("DELETE FROM events WHERE id = ANY($1)", &[&chosen])
            .await
            .map_err(self.fail("removing events for size"))?;
        tx.commit().await.map_err(self.fail("removing events for size"))?;
        Ok((chosen.len() as u64, bytes))
    }
}

fn refuse(store: &PostgresStore, error: &dyn std::fmt::Display) -> StoreError {
    StoreError { kind: SinkErrorKind::Other, message: format!("{}: {error}", store.database()) }
}

/// Applies `policy` at `now`, after checking it.
pub(crate) async fn apply_checked(
    store: &PostgresStore,
    policy: &RetentionPolicy,
    now: SystemTime,
) -> Result<RetentionReport, StoreError> {
    policy.validate().map_err(|error| refuse(store, &error))?;
    apply(store, policy, now, &AtomicBool::new(false)).await
}

/// Applies `policy` at `now`, one chunk at a time; stops between chunks once
/// `stop` is set.
async fn apply(
    store: &PostgresStore,
    policy: &RetentionPolicy,
    now: SystemTime,
    stop: &AtomicBool,
) -> Result<RetentionReport, StoreError> {
    let mut report = RetentionReport::default();
    let size = match policy.max_size {
        Some(_) => Some(store.events_bytes().await?),
        None => None,
    };
    report.size_bytes = size;
    let rules = store.event_rules(policy, now).await?;
    let mut aged_bytes = 0u64;
    if let Some(rules) = &rules {
        let mut after = i64::MIN;
        while let Some((last, bytes)) = store.remove_aged_chunk(rules, after, &mut report.events).await? {
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
            let (rows, bytes) = store.remove_for_size_chunk(excess).await?;
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
    if let Some(cutoffs) = store.count_cutoffs(policy, now).await?
        && !remove_counts(store, &cutoffs, &mut report.counts, stop).await?
    {
        report.interrupted = true;
        return Ok(report);
    }
    if let Some(audit) = &policy.audit {
        while !stop.load(Ordering::Relaxed) {
            match store.archive_segment(audit, now).await? {
                Some(archive) => report.archives.push(archive),
                None => break,
            }
        }
    }
    Ok(report)
}

/// A sink's scheduled retention: the schedule asked for, the status shared
/// with whoever holds it, and the running task once started.
#[derive(Debug, Default)]
pub(super) struct SinkRetention {
    pub(super) schedule: Option<RetentionSchedule>,
    pub(super) status: RetentionStatus,
    task: Option<RetentionTask>,
}

impl SinkRetention {
    /// Starts the schedule, if any, on a thread of its own with a runtime
    /// and a connection of its own: the monitor's worker never waits for a
    /// run, nor a run for the worker.
    pub(super) fn start(&mut self, options: &PostgresOptions) -> Result<(), StoreError> {
        let Some(schedule) = self.schedule.clone() else { return Ok(()) };
        let database = options.describe()?;
        schedule
            .policy
            .validate()
            .map_err(|error| StoreError { kind: SinkErrorKind::Other, message: format!("{database}: {error}") })?;
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|error| StoreError {
                kind: SinkErrorKind::Other,
                message: format!("{database}: starting the retention runtime failed: {error}"),
            })?;
        let options = options.clone().pool_size(1);
        let mut store: Option<PostgresStore> = None;
        let run: Runner = Box::new(move |policy, now, stop| {
            runtime.block_on(async {
                if store.is_none() {
                    store = Some(PostgresStore::connect(&options).await?);
                }
                match &store {
                    Some(store) => apply(store, policy, now, stop).await,
                    None => Ok(RetentionReport::default()),
                }
            })
        });
        self.task = Some(schedule::spawn("postgres", schedule, self.status.clone(), run)?);
        Ok(())
    }
}

impl PostgresSink {
    /// Applies `policy` on a schedule: hourly by default (see
    /// [`retention_interval`](Self::retention_interval)), the first run a
    /// minute after `install()`, on a thread and a connection of the sink's
    /// own, removing events in statements of at most 1,000 rows. Without
    /// it, nothing is ever removed: an upgrade deletes no one's data. With
    /// many instances on one database, give it to one of them (or to all:
    /// runs then overlap harmlessly, each removing what is left).
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresSink;
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor").retention(RetentionPolicy::default());
    /// assert!(sink.retention_status().last_run().is_none());
    /// ```
    pub fn retention(mut self, policy: RetentionPolicy) -> Self {
        let retention = &mut self.retention;
        retention.schedule = Some(match retention.schedule.take() {
            Some(schedule) => RetentionSchedule { policy, ..schedule },
            None => RetentionSchedule::new(policy),
        });
        self
    }

    /// How often the retention policy runs (default hourly; the first run
    /// a minute after start, or after `interval` if that is sooner).
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_sinks::postgres::PostgresSink;
    /// use monitor_sinks::store::RetentionPolicy;
    ///
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor")
    ///     .retention(RetentionPolicy::default())
    ///     .retention_interval(Duration::from_secs(600));
    /// ```
    pub fn retention_interval(mut self, interval: std::time::Duration) -> Self {
        let retention = &mut self.retention;
        let schedule = retention.schedule.take().unwrap_or_else(|| RetentionSchedule::new(RetentionPolicy::none()));
        retention.schedule = Some(schedule.every(interval));
        self
    }

    /// What the scheduled retention did last: take it before the sink is
    /// installed, read it any time after.
    pub fn retention_status(&self) -> RetentionStatus {
        self.retention.status.clone()
    }
}
