//! The SQLite store behind the [`Store`] trait: one connection shared by
//! clones of the handle, each call run on tokio's blocking pool so async
//! callers (the pipeline, an HTTP server) are never blocked by the file.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::FleetCount;

use monitor_runtime::{Batch, GroupKey, GroupStatus, SinkErrorKind, async_trait};

use super::store::SqliteStore;
use crate::store::FunctionStats;
use crate::store::{
    AlertChange, AlertQuery, AuditArchive, AuditCount, AuditQuery, AuditRetention, Breakdown, BucketCount, Buckets,
    ChainReport, EventQuery, GroupChange, GroupHistoryEntry, GroupQuery, RetentionPlan, RetentionPolicy,
    RetentionReport, StatusChanges, Store, StoreError, StoredAlert, StoredAudit, StoredEvent, StoredGroup,
    StoredNotification, TopGroup,
};

/// A [`SqliteStore`] that implements [`Store`]: cheap to clone, one
/// connection behind a lock, calls run off the async threads.
///
/// ```
/// use std::sync::Arc;
/// use monitor_sinks::sqlite::SqliteStore;
/// use monitor_sinks::store::Store;
///
/// let dir = tempfile::tempdir().unwrap();
/// let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("monitor.db")).unwrap().shared());
/// assert!(store.describe().starts_with("SQLite file"));
/// ```
#[derive(Clone, Debug)]
pub struct SharedSqliteStore {
    inner: Arc<Mutex<SqliteStore>>,
    description: Arc<str>,
}

impl SqliteStore {
    /// This store as a [`SharedSqliteStore`], for code written against the
    /// [`Store`] trait.
    pub fn shared(self) -> SharedSqliteStore {
        let description = format!("SQLite file {}", self.path().display()).into();
        SharedSqliteStore { inner: Arc::new(Mutex::new(self)), description }
    }
}

impl SharedSqliteStore {
    /// The store itself, for its synchronous methods. A panic while another
    /// caller held it does not make it unusable: SQLite rolled back
    /// whatever transaction was open.
    pub fn lock(&self) -> MutexGuard<'_, SqliteStore> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `call` on the store on tokio's blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut SqliteStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            call(&mut store)
        })
        .await
        .map_err(|error| StoreError {
            kind: SinkErrorKind::Other,
            message: format!("the SQLite call did not finish: {error}"),
        })?
    }
}

#[async_trait]
impl Store for SharedSqliteStore {
    fn describe(&self) -> String {
        self.description.to_string()
    }

    async fn write_batch(&self, batch: &Batch) -> Result<(), StoreError> {
        let batch = batch.clone();
        self.run(move |store| store.write_batch(&batch)).await
    }

    async fn groups(&self, query: &GroupQuery) -> Result<Vec<StoredGroup>, StoreError> {
        let query = query.clone();
        self.run(move |store| store.groups(&query)).await
    }

    async fn group(&self, key: GroupKey) -> Result<Option<StoredGroup>, StoreError> {
        self.run(move |store| store.group(key)).await
    }

    async fn events_matching(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        let query = query.clone();
        self.run(move |store| store.events_matching(&query)).await
    }

    async fn occurrence_counts(
        &self,
        buckets: &Buckets,
        by: Breakdown,
        groups: &GroupQuery,
    ) -> Result<Vec<BucketCount>, StoreError> {
        let (buckets, groups) = (*buckets, groups.clone());
        self.run(move |store| store.occurrence_counts(&buckets, by, &groups)).await
    }

    async fn new_group_counts(&self, buckets: &Buckets, groups: &GroupQuery) -> Result<Vec<BucketCount>, StoreError> {
        let (buckets, groups) = (*buckets, groups.clone());
        self.run(move |store| store.new_group_counts(&buckets, &groups)).await
    }

    async fn top_groups(
        &self,
        since: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<TopGroup>, StoreError> {
        self.run(move |store| store.top_groups(since, until, limit)).await
    }

    async fn audit_counts(&self, buckets: &Buckets) -> Result<Vec<AuditCount>, StoreError> {
        let buckets = *buckets;
        self.run(move |store| store.audit_counts(&buckets)).await
    }

    async fn function_stats(
        &self,
        buckets: &Buckets,
        module: Option<&str>,
        function: Option<&str>,
    ) -> Result<Vec<FunctionStats>, StoreError> {
        let (buckets, module, function) = (*buckets, module.map(str::to_owned), function.map(str::to_owned));
        self.run(move |store| store.function_stats(&buckets, module.as_deref(), function.as_deref())).await
    }

    async fn events_of_group(&self, key: GroupKey, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.run(move |store| store.events_of_group(key, limit)).await
    }

    async fn recent_events(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.run(move |store| store.recent_events(limit)).await
    }

    async fn event_count(&self) -> Result<u64, StoreError> {
        self.run(|store| store.event_count()).await
    }

    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<StoredAudit>, StoreError> {
        let query = query.clone();
        self.run(move |store| store.audit_records(&query)).await
    }

    async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        self.run(|store| store.verify_audit_chain()).await
    }

    async fn retention_plan(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<RetentionPlan, StoreError> {
        let policy = policy.clone();
        self.run(move |store| store.retention_plan(&policy, now)).await
    }

    async fn apply_retention(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<RetentionReport, StoreError> {
        super::retention::apply_off_thread(self, policy, now).await
    }

    async fn archive_audit(
        &self,
        retention: &AuditRetention,
        now: SystemTime,
    ) -> Result<Vec<AuditArchive>, StoreError> {
        let policy = RetentionPolicy { audit: Some(retention.clone()), ..RetentionPolicy::none() };
        Ok(self.apply_retention(&policy, now).await?.archives)
    }

    async fn audit_archives(&self) -> Result<Vec<AuditArchive>, StoreError> {
        self.run(|store| store.audit_archives()).await
    }

    async fn verify_audit_chain_with_archives(&self, archives: &[PathBuf]) -> Result<ChainReport, StoreError> {
        let archives = archives.to_vec();
        self.run(move |store| store.verify_audit_chain_with_archives(&archives)).await
    }

    async fn notifications(&self, rule: Option<&str>, limit: usize) -> Result<Vec<StoredNotification>, StoreError> {
        let rule = rule.map(str::to_owned);
        self.run(move |store| store.notifications(rule.as_deref(), limit)).await
    }

    async fn group_statuses(&self) -> Result<Vec<(GroupKey, GroupStatus)>, StoreError> {
        self.run(|store| store.group_statuses()).await
    }

    async fn status_changes(&self, cursor: Option<i64>) -> Result<StatusChanges, StoreError> {
        self.run(move |store| store.status_changes(cursor)).await
    }

    async fn change_groups(&self, query: &GroupQuery, change: &GroupChange) -> Result<u64, StoreError> {
        let (query, change) = (query.clone(), change.clone());
        self.run(move |store| store.change_groups(&query, &change)).await
    }

    async fn group_history(&self, key: GroupKey) -> Result<Vec<GroupHistoryEntry>, StoreError> {
        self.run(move |store| store.group_history(key)).await
    }

    async fn regressions(
        &self,
        since: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<StoredGroup>, StoreError> {
        self.run(move |store| store.regressions(since, until, limit)).await
    }

    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<StoredAlert>, StoreError> {
        let query = query.clone();
        self.run(move |store| store.alerts(&query)).await
    }

    async fn alert(&self, id: i64) -> Result<Option<StoredAlert>, StoreError> {
        self.run(move |store| store.alert(id)).await
    }

    async fn acknowledge_alert(&self, id: i64, by: &str, comment: Option<&str>) -> Result<AlertChange, StoreError> {
        let (by, comment) = (by.to_owned(), comment.map(str::to_owned));
        self.run(move |store| store.acknowledge_alert(id, &by, comment.as_deref())).await
    }

    async fn fleet_counts(&self, since: SystemTime) -> Result<Vec<FleetCount>, StoreError> {
        self.run(move |store| store.fleet_counts(since)).await
    }

    async fn lead(&self, holder: &str, lease: Duration) -> Result<bool, StoreError> {
        let holder = holder.to_owned();
        self.run(move |store| store.lead(&holder, lease)).await
    }

    async fn leader(&self) -> Result<Option<String>, StoreError> {
        self.run(|store| store.leader()).await
    }

    async fn resolve_alert(&self, id: i64, by: &str, comment: Option<&str>) -> Result<AlertChange, StoreError> {
        let (by, comment) = (by.to_owned(), comment.map(str::to_owned));
        self.run(move |store| store.resolve_alert(id, &by, comment.as_deref())).await
    }
}
