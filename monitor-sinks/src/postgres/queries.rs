//! Reading groups and events back: the queries behind
//! [`Store::groups`](crate::store::Store::groups) and its kin.

use std::time::Duration;

use monitor_runtime::{EventKind, GroupKey, GroupStatus, Location, Severity};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::store::PostgresStore;
use crate::store::calls::{CallRow, call_rows_query, function_stats_of};
use crate::store::search::sql::{Dialect, Filter, Param, event_filter, group_filter, group_order};
use crate::store::{
    AggregateRow, Aggregation, EventQuery, GroupQuery, StoreError, StoredEvent, StoredGroup, parse_key,
};
use crate::store::{Buckets, FunctionStats};

pub(crate) const GROUP_COLUMNS: &str = "group_key, template, module, function, file, line, error_type, severity,
    status, count, first_seen_ms, last_seen_ms, merged_into, assignee";

/// The values of a search filter, as tokio-postgres takes them.
pub(crate) struct Bound(Vec<Box<dyn ToSql + Sync + Send>>);

impl Bound {
    pub(crate) fn of(filter: &Filter) -> Self {
        Bound(
            filter
                .params()
                .iter()
                .map(|param| -> Box<dyn ToSql + Sync + Send> {
                    match param {
                        Param::Int(value) => Box::new(*value),
                        Param::Text(text) => Box::new(text.clone()),
                    }
                })
                .collect(),
        )
    }

    pub(crate) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|param| param.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

fn stored_group(row: &Row) -> StoredGroup {
    StoredGroup {
        key: parse_key(row.get(0)),
        template: row.get(1),
        location: Location {
            module: row.get::<_, String>(2).into(),
            function: row.get::<_, String>(3).into(),
            file: row.get::<_, String>(4).into(),
            line: row.get::<_, i64>(5).clamp(0, u32::MAX as i64) as u32,
        },
        error_type: row.get(6),
        severity: row.get::<_, &str>(7).parse().unwrap_or(Severity::Error),
        status: GroupStatus::parse(row.get(8)).unwrap_or(GroupStatus::Open),
        count: row.get::<_, i64>(9).max(0) as u64,
        first_seen: crate::store::from_millis(row.get(10)),
        last_seen: crate::store::from_millis(row.get(11)),
        merged_into: row.get::<_, Option<&str>>(12).map(parse_key),
        assignee: row.get(13),
    }
}

const EVENT_COLUMNS: &str = "id, timestamp_ms, kind, severity, group_key, template, module, function, file, line,
    error_type, message, chain, context, args, duration_us, occurrences, backtrace";

fn stored_event(row: &Row) -> StoredEvent {
    StoredEvent {
        id: row.get(0),
        timestamp: crate::store::from_millis(row.get(1)),
        kind: EventKind::parse(row.get(2)).unwrap_or(EventKind::Error),
        severity: row.get::<_, &str>(3).parse().unwrap_or(Severity::Error),
        group_key: parse_key(row.get(4)),
        template: row.get(5),
        location: Location {
            module: row.get::<_, String>(6).into(),
            function: row.get::<_, String>(7).into(),
            file: row.get::<_, String>(8).into(),
            line: row.get::<_, i64>(9).clamp(0, u32::MAX as i64) as u32,
        },
        error_type: row.get(10),
        message: row.get(11),
        chain: serde_json::from_str(row.get(12)).unwrap_or_default(),
        context: serde_json::from_str(row.get(13)).unwrap_or_default(),
        args: serde_json::from_str(row.get(14)).unwrap_or_default(),
        duration: row.get::<_, Option<i64>>(15).map(|us| Duration::from_micros(us.max(0) as u64)),
        occurrences: row.get::<_, i64>(16).max(0) as u64,
        backtrace: crate::store::backtrace_frames(row.get(17)),
    }
}

impl PostgresStore {
    /// Groups matching `query`, in its order, from its cursor on.
    pub(crate) async fn read_groups(&self, query: &GroupQuery) -> Result<Vec<StoredGroup>, StoreError> {
        let filter = group_filter(query, Dialect::Postgres)?;
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM groups {} {} LIMIT {}",
            filter.where_clause(),
            group_order(query),
            query.sql_limit()
        );
        let bound = Bound::of(&filter);
        let client = self.client().await?;
        let rows = client.query(&sql, &bound.params()).await.map_err(self.fail("querying groups"))?;
        Ok(rows.iter().map(stored_group).collect())
    }

    /// Events matching `query`, newest first, from its cursor on.
    pub(crate) async fn search_events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        let filter = event_filter(query, Dialect::Postgres)?;
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events {} ORDER BY id DESC LIMIT {}",
            filter.where_clause(),
            query.limit.min(i64::MAX as usize)
        );
        let bound = Bound::of(&filter);
        let client = self.client().await?;
        let rows = client.query(&sql, &bound.params()).await.map_err(self.fail("searching events"))?;
        Ok(rows.iter().map(stored_event).collect())
    }

    /// One group.
    pub(crate) async fn read_group(&self, key: GroupKey) -> Result<Option<StoredGroup>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(&format!("SELECT {GROUP_COLUMNS} FROM groups WHERE group_key = $1"), &[&key.to_string()])
            .await
            .map_err(self.fail("reading a group"))?;
        Ok(row.as_ref().map(stored_group))
    }

    /// The latest `limit` events of a group (`None`: of every group), newest first.
    pub(crate) async fn read_events(
        &self,
        key: Option<GroupKey>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE ($1::text IS NULL OR group_key = $1) ORDER BY id DESC LIMIT $2"
        );
        let client = self.client().await?;
        let key = key.map(|key| key.to_string());
        let rows = client
            .query(&sql, &[&key, &(limit.min(i64::MAX as usize) as i64)])
            .await
            .map_err(self.fail("querying events"))?;
        Ok(rows.iter().map(stored_event).collect())
    }

    /// How many events are stored.
    pub(crate) async fn count_events(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let row = client.query_one("SELECT count(*) FROM events", &[]).await.map_err(self.fail("counting events"))?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    /// Every group whose status is not open.
    pub(crate) async fn read_group_statuses(&self) -> Result<Vec<(GroupKey, GroupStatus)>, StoreError> {
        let client = self.client().await?;
        super::triage::not_open(&client, self.database()).await
    }
}

impl PostgresStore {
    /// Runs an aggregation of [`crate::store::aggregate`].
    pub(crate) async fn aggregate(&self, aggregation: &Aggregation) -> Result<Vec<AggregateRow>, StoreError> {
        let bound = Bound::of(&aggregation.filter);
        let client = self.client().await?;
        let rows = client.query(&aggregation.sql, &bound.params()).await.map_err(self.fail("aggregating"))?;
        Ok(rows
            .iter()
            .map(|row| AggregateRow { bucket: row.get(0), first: row.get(1), second: row.get(2), count: row.get(3) })
            .collect())
    }
}

impl PostgresStore {
    /// Calls per function and bucket (see
    /// [`Store::function_stats`](crate::store::Store::function_stats)).
    pub(crate) async fn read_function_stats(
        &self,
        buckets: &Buckets,
        module: Option<&str>,
        function: Option<&str>,
    ) -> Result<Vec<FunctionStats>, StoreError> {
        let (sql, filter) = call_rows_query(buckets, module, function, Dialect::Postgres)?;
        let bound = Bound::of(&filter);
        let client = self.client().await?;
        let rows = client.query(&sql, &bound.params()).await.map_err(self.fail("reading call counts"))?;
        let rows = rows
            .iter()
            .map(|row| CallRow {
                minute_ms: row.get(0),
                module: row.get(1),
                function: row.get(2),
                calls: row.get(3),
                errors: row.get(4),
                panics: row.get(5),
                slow_calls: row.get(6),
                total_us: row.get(7),
                buckets: row.get(8),
            })
            .collect();
        function_stats_of(rows, buckets)
    }
}
