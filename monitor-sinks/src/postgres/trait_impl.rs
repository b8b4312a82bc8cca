//! [`PostgresStore`] behind the [`Store`] trait: each method is one of the
//! store's own async calls.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::FleetCount;
use monitor_runtime::{Batch, GroupKey, GroupStatus, async_trait};

use super::incidents::Action;
use super::store::PostgresStore;
use crate::store::FunctionStats;
use crate::store::aggregate;
use crate::store::search::sql::Dialect;
use crate::store::{AggregateRow, top_of};
use crate::store::{
    AlertChange, AlertQuery, AuditArchive, AuditCount, AuditQuery, AuditRetention, Breakdown, BucketCount, Buckets,
    ChainReport, EventQuery, GroupChange, GroupHistoryEntry, GroupQuery, RetentionPlan, RetentionPolicy,
    RetentionReport, StatusChanges, Store, StoreError, StoredAlert, StoredAudit, StoredEvent, StoredGroup,
    StoredNotification, TopGroup,
};

#[async_trait]
impl Store for PostgresStore {
    fn describe(&self) -> String {
        self.database().to_owned()
    }

    async fn write_batch(&self, batch: &Batch) -> Result<(), StoreError> {
        self.write(batch).await
    }

    async fn groups(&self, query: &GroupQuery) -> Result<Vec<StoredGroup>, StoreError> {
        self.read_groups(query).await
    }

    async fn group(&self, key: GroupKey) -> Result<Option<StoredGroup>, StoreError> {
        self.read_group(key).await
    }

    async fn events_matching(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        self.search_events(query).await
    }

    async fn occurrence_counts(
        &self,
        buckets: &Buckets,
        by: Breakdown,
        groups: &GroupQuery,
    ) -> Result<Vec<BucketCount>, StoreError> {
        let rows = self.aggregate(&aggregate::occurrences(buckets, by, groups, Dialect::Postgres)?).await?;
        Ok(rows.into_iter().map(AggregateRow::bucket_count).collect())
    }

    async fn new_group_counts(&self, buckets: &Buckets, groups: &GroupQuery) -> Result<Vec<BucketCount>, StoreError> {
        let rows = self.aggregate(&aggregate::new_groups(buckets, groups, Dialect::Postgres)?).await?;
        Ok(rows.into_iter().map(AggregateRow::bucket_count).collect())
    }

    async fn top_groups(
        &self,
        since: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<TopGroup>, StoreError> {
        let rows = self.read_top_groups(since, until, limit).await?;
        let keys = rows.iter().filter_map(|row| row.first.parse().ok()).collect();
        let groups = self.read_groups(&GroupQuery { keys: Some(keys), ..GroupQuery::all() }).await?;
        Ok(top_of(rows, groups))
    }

    async fn function_stats(
        &self,
        buckets: &Buckets,
        module: Option<&str>,
        function: Option<&str>,
    ) -> Result<Vec<FunctionStats>, StoreError> {
        self.read_function_stats(buckets, module, function).await
    }

    async fn audit_counts(&self, buckets: &Buckets) -> Result<Vec<AuditCount>, StoreError> {
        let rows = self.aggregate(&aggregate::audit_counts(buckets, Dialect::Postgres)?).await?;
        Ok(rows.into_iter().map(AggregateRow::audit_count).collect())
    }

    async fn events_of_group(&self, key: GroupKey, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.read_events(Some(key), limit).await
    }

    async fn recent_events(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.read_events(None, limit).await
    }

    async fn event_count(&self) -> Result<u64, StoreError> {
        self.count_events().await
    }

    async fn audit_records(&self, query: &AuditQuery) -> Result<Vec<StoredAudit>, StoreError> {
        self.read_audit_records(query).await
    }

    async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        self.walk_audit_chain(None).await
    }

    async fn retention_plan(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<RetentionPlan, StoreError> {
        self.plan_retention(policy, now).await
    }

    async fn apply_retention(&self, policy: &RetentionPolicy, now: SystemTime) -> Result<RetentionReport, StoreError> {
        super::retention::apply_checked(self, policy, now).await
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
        self.read_audit_archives().await
    }

    async fn verify_audit_chain_with_archives(&self, archives: &[PathBuf]) -> Result<ChainReport, StoreError> {
        self.walk_audit_chain(Some(archives)).await
    }

    async fn notifications(&self, rule: Option<&str>, limit: usize) -> Result<Vec<StoredNotification>, StoreError> {
        self.read_notifications(rule, limit).await
    }

    async fn group_statuses(&self) -> Result<Vec<(GroupKey, GroupStatus)>, StoreError> {
        self.read_group_statuses().await
    }

    async fn status_changes(&self, cursor: Option<i64>) -> Result<StatusChanges, StoreError> {
        self.read_status_changes(cursor).await
    }

    async fn change_groups(&self, query: &GroupQuery, change: &GroupChange) -> Result<u64, StoreError> {
        self.apply_change(query, change).await
    }

    async fn group_history(&self, key: GroupKey) -> Result<Vec<GroupHistoryEntry>, StoreError> {
        self.read_history(key).await
    }

    async fn regressions(
        &self,
        since: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<StoredGroup>, StoreError> {
        self.read_regressions(since, until, limit).await
    }

    async fn alerts(&self, query: &AlertQuery) -> Result<Vec<StoredAlert>, StoreError> {
        self.read_alerts(query).await
    }

    async fn alert(&self, id: i64) -> Result<Option<StoredAlert>, StoreError> {
        self.read_alert(id).await
    }

    async fn acknowledge_alert(&self, id: i64, by: &str, comment: Option<&str>) -> Result<AlertChange, StoreError> {
        self.change_alert(id, by, comment, Action::Acknowledge).await
    }

    async fn resolve_alert(&self, id: i64, by: &str, comment: Option<&str>) -> Result<AlertChange, StoreError> {
        self.change_alert(id, by, comment, Action::Resolve).await
    }

    async fn fleet_counts(&self, since: SystemTime) -> Result<Vec<FleetCount>, StoreError> {
        self.read_fleet_counts(since).await
    }

    /// The lease does not apply: the lead is an advisory lock that ends
    /// with the leader's connection (see the `fleet` module).
    async fn lead(&self, holder: &str, _lease: Duration) -> Result<bool, StoreError> {
        self.take_lead(holder).await
    }

    async fn leader(&self) -> Result<Option<String>, StoreError> {
        self.read_leader().await
    }
}
