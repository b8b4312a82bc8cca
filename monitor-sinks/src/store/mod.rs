//! The one storage interface: what the pipeline writes, what operators
//! query, and the triage and alert changes they make, whichever database
//! keeps it. Two stores implement [`Store`]: the embedded SQLite file
//! (feature `sqlite`, the default: [`SharedSqliteStore`](crate::sqlite::SharedSqliteStore))
//! and PostgreSQL for a fleet of instances reporting to one place (feature
//! `postgres`). Both pass one conformance suite.
//!
//! Every operator action (a triage change, an acknowledgement, a
//! resolution) is written to the audit log in the same transaction as the
//! change, under process [`OPERATOR_PROCESS`] with the operator as actor.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use std::sync::Arc;
//! use monitor_runtime::GroupStatus;
//! use monitor_sinks::store::{GroupChange, GroupQuery, Store};
//! use monitor_sinks::sqlite::SqliteStore;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("monitor.db")).unwrap().shared());
//! assert!(store.groups(&GroupQuery::default()).await.unwrap().is_empty());
//! // Resolving every group of a module: none stored yet.
//! let query = GroupQuery { module: Some("payments::sepa".into()), ..GroupQuery::all() };
//! let change = GroupChange::by("alice").status(GroupStatus::Resolved);
//! assert_eq!(store.change_groups(&query, &change).await.unwrap(), 0);
//! # });
//! # }
//! ```

pub(crate) mod aggregate;
mod audit;
mod audit_archive;
pub(crate) mod calls;
mod chain_report;
pub(crate) mod count_retention;
mod fleet;
mod incidents;
mod notifications;
mod open;
mod records;
pub(crate) mod retention;
pub(crate) mod rollup;
pub(crate) mod schedule;
pub(crate) mod search;
mod summary;
mod time;
mod triage;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::FleetCount;
use monitor_runtime::{Batch, GroupKey, GroupStatus, async_trait};

pub use aggregate::{AuditCount, Breakdown, BucketCount, Buckets, TopGroup};
pub use audit::{AuditQuery, GENESIS_HASH, StoredAudit};
pub use audit_archive::AuditArchive;
pub use calls::FunctionStats;
pub use chain_report::{BrokenLink, ChainCheck, ChainReport, CheckpointStatus};
pub use count_retention::CountRows;
pub use fleet::StoreFleet;
pub use incidents::{AlertChange, AlertQuery, AlertStats, AlertStatus, StoredAlert, acknowledged_alerts};
pub use notifications::StoredNotification;
pub use open::{OpenOptions, open, open_with};
pub use records::{GroupQuery, StoreError, StoredEvent, StoredGroup};
pub(crate) use records::{backtrace_frames, backtrace_text};
pub use retention::{
    AuditRetention, DEFAULT_COUNTS_MAX_AGE, EventCounts, PatternRule, RetentionPlan, RetentionPolicy,
    RetentionPolicyError, RetentionReport,
};
pub use schedule::{RetentionRun, RetentionSchedule, RetentionStatus};
pub use search::{EventFilter, EventQuery, GroupSort, Page};
pub use summary::summary_report;
pub use triage::{GroupChange, GroupHistoryEntry, MAX_NOTE_BYTES, OPERATOR_PROCESS, REGRESSION_ACTOR, TriageField};

pub(crate) use aggregate::{AggregateRow, Aggregation, top_of};
pub(crate) use incidents::{Latest, Plan, events_of, plan, severity_rank, stats_of};
pub(crate) use notifications::{details_json, state_name};
pub(crate) use time::{from_millis, millis, minute_of, parse_key, to_json};
pub(crate) use triage::{REGRESSION_ENTRY, in_key_order, operator_audit, triage_audit};

/// Group statuses that changed in a store since a cursor, for instances to
/// pick up what an operator (or another instance) changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusChanges {
    /// Each changed group with its status now.
    pub changes: Vec<(GroupKey, GroupStatus)>,
    /// Give it to the next call: the store's own clock, in milliseconds, so
    /// hosts whose clocks differ miss nothing.
    pub cursor: i64,
}

/// What every store does. Methods are async: the PostgreSQL store talks to
/// its server without blocking, and the SQLite store runs its calls on
/// tokio's blocking pool.
///
/// All of it runs in one conformance suite against both stores.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Which store this is, for people: `SQLite file monitor.db`,
    /// `PostgreSQL database monitor on 127.0.0.1:5432`.
    fn describe(&self) -> String;

    /// Writes a batch in one transaction: every event, each group's new
    /// occurrences added to its stored totals (never overwritten, so many
    /// instances add up), audit records appended to the chain, and
    /// notifications kept with the incidents they fire or resolve.
    async fn write_batch(&self, batch: &Batch) -> Result<(), StoreError>;

    /// Groups matching `query`, in its order (most recently seen first by
    /// default), from its cursor on, at most its limit.
    async fn groups(&self, query: &GroupQuery) -> Result<Vec<StoredGroup>, StoreError>;

    /// One page of the groups matching `query`, with the cursor of the
    /// next (see [`Page`]).
    async fn group_page(&self, query: &GroupQuery) -> Result<Page<StoredGroup>, StoreError> {
        let mut one_more = query.clone();
        one_more.limit = query.limit.saturating_add(1);
        let groups = self.groups(&one_more).await?;
        Ok(Page::cut(groups, query.limit, |group| search::group_cursor(query.sort, group)))
    }

    /// Events matching `query`, newest first, from its cursor on, at most
    /// its limit.
    async fn events_matching(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError>;

    /// Occurrences per bucket of time, broken down by severity or kind, of
    /// the groups `groups` selects (its page and limit aside), counted by
    /// every instance: a chart of errors over time.
    async fn occurrence_counts(
        &self,
        buckets: &Buckets,
        by: Breakdown,
        groups: &GroupQuery,
    ) -> Result<Vec<BucketCount>, StoreError>;

    /// New groups (kinds of error never seen before) per bucket of time.
    async fn new_group_counts(&self, buckets: &Buckets, groups: &GroupQuery) -> Result<Vec<BucketCount>, StoreError>;

    /// The `limit` groups with the most occurrences in `[since, until)`,
    /// most first.
    async fn top_groups(&self, since: SystemTime, until: SystemTime, limit: usize)
    -> Result<Vec<TopGroup>, StoreError>;

    /// Audit records per bucket of time, process and compliance status.
    async fn audit_counts(&self, buckets: &Buckets) -> Result<Vec<AuditCount>, StoreError>;

    /// Per function and bucket of time, across every instance: calls, error
    /// rate and latency percentiles, of the functions `module` and
    /// `function` select (globs, as [`GroupQuery`] takes them; `None`:
    /// every one).
    async fn function_stats(
        &self,
        buckets: &Buckets,
        module: Option<&str>,
        function: Option<&str>,
    ) -> Result<Vec<FunctionStats>, StoreError>;

    /// One page of the events matching `query`, with the cursor of the next.
    async fn event_page(&self, query: &EventQuery) -> Result<Page<StoredEvent>, StoreError> {
        let mut one_more = query.clone();
        one_more.limit = query.limit.saturating_add(1);
        let events = self.events_matching(&one_more).await?;
        Ok(Page::cut(events, query.limit, search::event_cursor))
    }

    /// One group.
    async fn group(&self, key: GroupKey) -> Result<Option<StoredGroup>, StoreError>;

    /// The latest `limit` events of a group, newest first.
    async fn events_of_group(&self, key: GroupKey, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// The latest `limit` events, newest first.
    async fn recent_events(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// How many events are stored.
    async fn event_count(&self) -> Result<u64, StoreError>;

    /// Audit rows matching `query`, oldest first.
    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<StoredAudit>, StoreError>;

    /// Walks the whole audit chain (see [`ChainReport`]).
    async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError>;

    /// What applying `policy` at `now` would remove (events per reason, rows
    /// of the time-series counts per table, audit rows it would archive),
    /// changing nothing. See `docs/storage.md`.
    async fn retention_plan(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<RetentionPlan, StoreError>;

    /// Applies `policy` at `now`: removes events, then time-series counts
    /// older than [`RetentionPolicy::counts_age`], in transactions of at most
    /// 1,000 rows, then archives audit rows when the policy says so; returns
    /// what went, per reason and table. Groups and their totals stay.
    async fn apply_retention(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<RetentionReport, StoreError>;

    /// Archives audit rows older than `retention.older_than` at `now`, whole
    /// segments oldest first, each to a file then a checkpoint row, its rows
    /// removed with the checkpoint (see `docs/audit.md`). Never the last row.
    async fn archive_audit(&self, retention: &AuditRetention, now: SystemTime)
    -> Result<Vec<AuditArchive>, StoreError>;

    /// The archived segments, oldest first.
    async fn audit_archives(&self) -> Result<Vec<AuditArchive>, StoreError>;

    /// Walks the archive files at `archives` (any order) and then the rows
    /// the store holds, as one chain: each file must match its checkpoint
    /// row (SHA-256, rows) and every row its link.
    async fn verify_audit_chain_with_archives(&self, archives: &[PathBuf]) -> Result<ChainReport, StoreError>;

    /// Stored notifications, oldest first; only those of `rule` when given.
    async fn notifications(&self, rule: Option<&str>, limit: usize) -> Result<Vec<StoredNotification>, StoreError>;

    /// Every group whose status is not open: what an instance loads when
    /// it starts.
    async fn group_statuses(&self) -> Result<Vec<(GroupKey, GroupStatus)>, StoreError>;

    /// Groups whose status changed since `cursor` (a previous call's
    /// [`StatusChanges::cursor`]; `None`: every group not open).
    async fn status_changes(&self, cursor: Option<i64>) -> Result<StatusChanges, StoreError>;

    /// Applies a triage change to every group `query` matches (up to its
    /// limit), each with its history entries and one audit record, in one
    /// transaction; returns how many groups it changed. A group the change
    /// leaves as it was (already resolved, say) gets no entry and is not
    /// counted, unless the change carries a note.
    async fn change_groups(&self, query: &GroupQuery, change: &GroupChange) -> Result<u64, StoreError>;

    /// Applies a triage change to one group; false when no such group is
    /// stored or the change left it as it was.
    async fn change_group(&self, key: GroupKey, change: &GroupChange) -> Result<bool, StoreError> {
        let query = GroupQuery { keys: Some(vec![key]), ..GroupQuery::all() };
        Ok(self.change_groups(&query, change).await? > 0)
    }

    /// A group's triage history, oldest first.
    async fn group_history(&self, key: GroupKey) -> Result<Vec<GroupHistoryEntry>, StoreError>;

    /// Groups resolved before and seen again in `[since, until)` (their
    /// history has an entry by [`REGRESSION_ACTOR`] then), most recent
    /// regression first, at most `limit`.
    async fn regressions(
        &self,
        since: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<StoredGroup>, StoreError>;

    /// Incidents matching `query`, newest first.
    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<StoredAlert>, StoreError>;

    /// One incident.
    async fn alert(&self, id: i64) -> Result<Option<StoredAlert>, StoreError>;

    /// `by` acknowledges an active incident, with an optional comment.
    async fn acknowledge_alert(&self, id: i64, by: &str, comment: Option<&str>) -> Result<AlertChange, StoreError>;

    /// `by` resolves an incident that is still active or acknowledged.
    async fn resolve_alert(&self, id: i64, by: &str, comment: Option<&str>) -> Result<AlertChange, StoreError>;

    /// Per group and minute, what every instance counted since `since`:
    /// what fleet rules compare.
    async fn fleet_counts(&self, since: SystemTime) -> Result<Vec<FleetCount>, StoreError>;

    /// Takes or keeps the lead of the fleet for `holder` (one id per
    /// instance): true when it leads now. Only one holder leads at a time;
    /// when the leader's process dies, another takes over within `lease`
    /// (or at once, where the store sees the connection close).
    async fn lead(&self, holder: &str, lease: Duration) -> Result<bool, StoreError>;

    /// The holder that leads the fleet now, if any.
    async fn leader(&self) -> Result<Option<String>, StoreError>;

    /// Per rule, the incidents that started in `[since, until)`: how many,
    /// and their mean times to acknowledge and to resolve.
    async fn alert_stats(&self, since: SystemTime, until: SystemTime) -> Result<Vec<AlertStats>, StoreError> {
        let query = AlertQuery { since: Some(since), before: Some(until), limit: usize::MAX, ..AlertQuery::default() };
        Ok(stats_of(&self.alerts(&query).await?))
    }
}

/// Checks an operator's name before an alert change.
pub(crate) fn check_operator(by: &str) -> Result<(), StoreError> {
    if by.trim().is_empty() {
        return Err(StoreError {
            kind: monitor_runtime::SinkErrorKind::Other,
            message: "an alert change needs the name of who makes it".to_owned(),
        });
    }
    Ok(())
}
