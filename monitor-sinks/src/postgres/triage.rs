//! Triage in PostgreSQL: bulk and single changes with their history and
//! audit records in one transaction, the history, and the status changes
//! other instances pick up.
//!
//! Every time here is the server's clock: a status change is stamped with
//! it, and [`StatusChanges::cursor`] is read from it, so instances whose
//! clocks disagree still see every change.

use std::sync::Arc;
use std::time::SystemTime;

use monitor_runtime::{GroupKey, GroupStatus};
use tokio_postgres::Client;

use super::error::classify;
use super::queries::Bound;
use super::store::{AUDIT_LOCK, PostgresStore, SERVER_NOW_MS, lock};
use crate::store::search::sql::{Dialect, group_filter, group_order};
use crate::store::{
    GroupChange, GroupHistoryEntry, GroupQuery, StatusChanges, StoreError, TriageField, from_millis, parse_key,
    triage_audit,
};
use crate::store::{REGRESSION_ENTRY, StoredGroup, in_key_order, millis};

/// How far back of a cursor [`status_changes_on`] looks again: a change
/// stamped before the previous call whose transaction committed after it
/// is still picked up. Seeing a change twice does no harm.
const STATUS_CURSOR_OVERLAP_MS: i64 = 30_000;

/// Every group whose status is not open, on `client`.
pub(crate) async fn not_open(client: &Client, database: &str) -> Result<Vec<(GroupKey, GroupStatus)>, StoreError> {
    let rows = client
        .query("SELECT group_key, status FROM groups WHERE status <> 'open'", &[])
        .await
        .map_err(|error| classify(database, "reading group statuses", &error))?;
    Ok(rows
        .iter()
        .filter_map(|row| GroupStatus::parse(row.get(1)).map(|status| (parse_key(row.get(0)), status)))
        .collect())
}

/// Groups whose status changed since `cursor` (`None`: every group not
/// open), on `client`, with the server's clock as the next cursor.
pub(crate) async fn status_changes_on(
    client: &Client,
    database: &str,
    cursor: Option<i64>,
) -> Result<StatusChanges, StoreError> {
    let fail = |error: tokio_postgres::Error| classify(database, "reading status changes", &error);
    // The clock first: a change stamped after it is found by the next call.
    let now: i64 = client.query_one(&format!("SELECT {SERVER_NOW_MS}"), &[]).await.map_err(fail)?.get(0);
    let changes = match cursor {
        None => not_open(client, database).await?,
        Some(cursor) => client
            .query(
                "SELECT group_key, status FROM groups WHERE status_changed_ms >= $1",
                &[&(cursor - STATUS_CURSOR_OVERLAP_MS)],
            )
            .await
            .map_err(fail)?
            .iter()
            .map(|row| (parse_key(row.get(0)), GroupStatus::parse(row.get(1)).unwrap_or(GroupStatus::Open)))
            .collect(),
    };
    Ok(StatusChanges { changes, cursor: now })
}

impl PostgresStore {
    /// Applies a triage change to every group `query` matches (see
    /// [`Store::change_groups`](crate::store::Store::change_groups)). The
    /// groups are locked in key order before they are read, so a
    /// concurrent change or batch waits instead of being overwritten.
    pub(crate) async fn apply_change(&self, query: &GroupQuery, change: &GroupChange) -> Result<u64, StoreError> {
        change.validate()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(self.fail("starting a transaction"))?;
        lock(&tx, AUDIT_LOCK, self).await?;
        let now_ms: i64 =
            tx.query_one(&format!("SELECT {SERVER_NOW_MS}"), &[]).await.map_err(self.fail("reading the clock"))?.get(0);
        let now = from_millis(now_ms);
        let filter = group_filter(query, Dialect::Postgres)?;
        // Chosen as `groups` would list them, then locked in key order.
        let select = format!(
            "SELECT group_key, status, assignee FROM groups WHERE group_key IN (
                SELECT group_key FROM groups {} {} LIMIT {})
             ORDER BY group_key FOR UPDATE",
            filter.where_clause(),
            group_order(query),
            query.sql_limit()
        );
        let bound = Bound::of(&filter);
        let targets = tx.query(&select, &bound.params()).await.map_err(self.fail("selecting groups to change"))?;
        let update = tx
            .prepare(
                "UPDATE groups SET status = $2, assignee = $3,
                    status_changed_ms = CASE WHEN status <> $2 THEN $4 ELSE status_changed_ms END
                 WHERE group_key = $1",
            )
            .await
            .map_err(self.fail("preparing the triage update"))?;
        let history = tx
            .prepare(
                "INSERT INTO group_history (group_key, at_ms, actor, field, from_value, to_value)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .await
            .map_err(self.fail("preparing the history insert"))?;
        let mut audits = Vec::new();
        for row in &targets {
            let key: &str = row.get(0);
            let status = GroupStatus::parse(row.get(1)).unwrap_or(GroupStatus::Open);
            let assignee: Option<String> = row.get(2);
            let entries = change.entries(status, assignee.as_deref());
            if entries.is_empty() {
                continue;
            }
            let new_status = change.status.unwrap_or(status);
            let new_assignee = change.assignee.clone().unwrap_or(assignee);
            tx.execute(&update, &[&key, &new_status.as_str(), &new_assignee, &now_ms])
                .await
                .map_err(self.fail("changing a group"))?;
            for entry in &entries {
                tx.execute(&history, &[&key, &now_ms, &change.by, &entry.field.as_str(), &entry.from, &entry.to])
                    .await
                    .map_err(self.fail("writing the triage history"))?;
            }
            audits.push(Arc::new(triage_audit(parse_key(key), &change.by, &entries, now)));
        }
        let head = super::audit::append(&tx, self, &audits).await?;
        tx.commit().await.map_err(self.fail("committing the triage change"))?;
        self.audit_chain().after_commit(head, "postgres");
        Ok(audits.len() as u64)
    }

    /// A group's triage history, oldest first.
    pub(crate) async fn read_history(&self, key: GroupKey) -> Result<Vec<GroupHistoryEntry>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id, at_ms, actor, field, from_value, to_value FROM group_history
                 WHERE group_key = $1 ORDER BY id",
                &[&key.to_string()],
            )
            .await
            .map_err(self.fail("reading a group's history"))?;
        Ok(rows
            .iter()
            .map(|row| GroupHistoryEntry {
                id: row.get(0),
                group: key,
                at: from_millis(row.get(1)),
                by: row.get(2),
                field: TriageField::parse(row.get(3)).unwrap_or(TriageField::Note),
                from: row.get(4),
                to: row.get(5),
            })
            .collect())
    }

    /// Groups that regressed in `[since, until)`, most recent first.
    pub(crate) async fn read_regressions(
        &self,
        since: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<StoredGroup>, StoreError> {
        let rows = {
            let client = self.client().await?;
            let sql = format!(
                "SELECT group_key FROM group_history WHERE {REGRESSION_ENTRY} AND at_ms >= $1 AND at_ms < $2
                 GROUP BY group_key ORDER BY max(at_ms) DESC, group_key LIMIT $3"
            );
            let limit = limit.min(i64::MAX as usize) as i64;
            client
                .query(&sql, &[&millis(since), &millis(until), &limit])
                .await
                .map_err(self.fail("reading regressions"))?
        };
        let keys: Vec<GroupKey> = rows.iter().map(|row| parse_key(row.get(0))).collect();
        let groups = self.read_groups(&GroupQuery { keys: Some(keys.clone()), ..GroupQuery::all() }).await?;
        Ok(in_key_order(groups, &keys))
    }

    /// Groups whose status changed since `cursor`.
    pub(crate) async fn read_status_changes(&self, cursor: Option<i64>) -> Result<StatusChanges, StoreError> {
        let client = self.client().await?;
        status_changes_on(&client, self.database(), cursor).await
    }
}
