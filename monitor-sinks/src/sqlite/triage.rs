//! Triage in SQLite: bulk and single changes with their history and audit
//! records in one transaction, the history, and the status changes other
//! instances pick up.

use std::sync::Arc;
use std::time::SystemTime;

use monitor_runtime::{GroupKey, GroupStatus};
use rusqlite::params;

use super::store::{SqliteStore, from_millis, millis, parse_key};
use crate::store::search::sql::{Dialect, group_filter, group_order};
use crate::store::{
    GroupChange, GroupHistoryEntry, GroupQuery, REGRESSION_ENTRY, StatusChanges, StoreError, StoredGroup, TriageField,
    in_key_order, triage_audit,
};

/// How far back of a cursor [`SqliteStore::status_changes`] looks again: a
/// change whose transaction began before the previous call and committed
/// after it is still picked up. Seeing a change twice does no harm.
pub(crate) const STATUS_CURSOR_OVERLAP_MS: i64 = 30_000;

impl SqliteStore {
    /// Applies a triage change to every group `query` matches (up to its
    /// limit): see [`Store::change_groups`](crate::store::Store::change_groups).
    ///
    /// ```
    /// use monitor_runtime::{GroupKey, GroupStatus};
    /// use monitor_sinks::sqlite::SqliteStore;
    /// use monitor_sinks::store::{GroupChange, GroupQuery};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut store = SqliteStore::open(dir.path().join("monitor.db")).unwrap();
    /// let change = GroupChange::by("alice").status(GroupStatus::Ignored);
    /// assert_eq!(store.change_groups(&GroupQuery::all(), &change).unwrap(), 0, "no groups yet");
    /// ```
    pub fn change_groups(&mut self, query: &GroupQuery, change: &GroupChange) -> Result<u64, StoreError> {
        change.validate()?;
        let path = self.path().to_path_buf();
        let fail = |doing: &'static str| {
            let path = path.clone();
            move |e: rusqlite::Error| super::store::classify(&path, doing, &e)
        };
        let now = SystemTime::now();
        let now_ms = millis(now);
        let (tx, chain) = self.transaction().map_err(fail("starting a transaction"))?;
        let targets: Vec<(String, String, Option<String>)> = {
            let filter = group_filter(query, Dialect::Sqlite)?;
            let sql = format!(
                "SELECT group_key, status, assignee FROM groups {} {} LIMIT {}",
                filter.where_clause(),
                group_order(query),
                query.sql_limit()
            );
            let mut select = tx.prepare(&sql).map_err(fail("preparing the triage query"))?;
            let rows = select
                .query_map(rusqlite::params_from_iter(filter.params()), |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .map_err(fail("selecting groups to change"))?;
            rows.collect::<Result<_, _>>().map_err(fail("reading groups to change"))?
        };
        let mut audits = Vec::new();
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE groups SET status = ?2, assignee = ?3,
                        status_changed_ms = CASE WHEN status != ?2 THEN ?4 ELSE status_changed_ms END
                     WHERE group_key = ?1",
                )
                .map_err(fail("preparing the triage update"))?;
            let mut history = tx
                .prepare_cached(
                    "INSERT INTO group_history (group_key, at_ms, actor, field, from_value, to_value)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(fail("preparing the history insert"))?;
            for (key, status, assignee) in targets {
                let status = GroupStatus::parse(&status).unwrap_or(GroupStatus::Open);
                let entries = change.entries(status, assignee.as_deref());
                if entries.is_empty() {
                    continue;
                }
                let new_status = change.status.unwrap_or(status);
                let new_assignee = change.assignee.clone().unwrap_or(assignee);
                update
                    .execute(params![key, new_status.as_str(), new_assignee, now_ms])
                    .map_err(fail("changing a group"))?;
                for entry in &entries {
                    history
                        .execute(params![key, now_ms, change.by, entry.field.as_str(), entry.from, entry.to])
                        .map_err(fail("writing the triage history"))?;
                }
                audits.push(Arc::new(triage_audit(parse_key(&key), &change.by, &entries, now)));
            }
        }
        let head = super::audit::append(&tx, chain, &audits).map_err(|error| error.in_file(&path))?;
        tx.commit().map_err(fail("committing the triage change"))?;
        self.audit_chain().after_commit(head, "sqlite");
        Ok(audits.len() as u64)
    }

    /// Applies a triage change to one group; false when no such group is
    /// stored or the change left it as it was.
    pub fn change_group(&mut self, key: GroupKey, change: &GroupChange) -> Result<bool, StoreError> {
        let query = GroupQuery { keys: Some(vec![key]), ..GroupQuery::all() };
        Ok(self.change_groups(&query, change)? > 0)
    }

    /// A group's triage history, oldest first.
    pub fn group_history(&self, key: GroupKey) -> Result<Vec<GroupHistoryEntry>, StoreError> {
        let read = || -> rusqlite::Result<Vec<GroupHistoryEntry>> {
            let mut statement = self.connection().prepare_cached(
                "SELECT id, at_ms, actor, field, from_value, to_value FROM group_history
                 WHERE group_key = ?1 ORDER BY id",
            )?;
            let rows = statement.query_map(params![key.to_string()], |row| {
                Ok(GroupHistoryEntry {
                    id: row.get(0)?,
                    group: key,
                    at: from_millis(row.get(1)?),
                    by: row.get(2)?,
                    field: TriageField::parse(row.get_ref(3)?.as_str()?).unwrap_or(TriageField::Note),
                    from: row.get(4)?,
                    to: row.get(5)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(|e| self.error("reading a group's history", &e))
    }

    /// Groups that regressed in `[since, until)` (see
    /// [`Store::regressions`](crate::store::Store::regressions)).
    pub fn regressions(
        &self,
        since: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<StoredGroup>, StoreError> {
        let read = || -> rusqlite::Result<Vec<GroupKey>> {
            let mut statement = self.connection().prepare_cached(&format!(
                "SELECT group_key FROM group_history WHERE {REGRESSION_ENTRY} AND at_ms >= ?1 AND at_ms < ?2
                 GROUP BY group_key ORDER BY max(at_ms) DESC, group_key LIMIT ?3"
            ))?;
            let rows = statement
                .query_map(params![millis(since), millis(until), limit.min(i64::MAX as usize) as i64], |row| {
                    Ok(parse_key(row.get_ref(0)?.as_str()?))
                })?;
            rows.collect()
        };
        let keys = read().map_err(|e| self.error("reading regressions", &e))?;
        Ok(in_key_order(self.groups(&GroupQuery { keys: Some(keys.clone()), ..GroupQuery::all() })?, &keys))
    }

    /// Groups whose status changed since `cursor` (see
    /// [`Store::status_changes`](crate::store::Store::status_changes)).
    pub fn status_changes(&self, cursor: Option<i64>) -> Result<StatusChanges, StoreError> {
        let now = millis(SystemTime::now());
        let changes = match cursor {
            None => self.group_statuses()?,
            Some(cursor) => {
                let read = || -> rusqlite::Result<Vec<(GroupKey, GroupStatus)>> {
                    let mut statement = self
                        .connection()
                        .prepare_cached("SELECT group_key, status FROM groups WHERE status_changed_ms >= ?1")?;
                    let rows = statement.query_map(params![cursor - STATUS_CURSOR_OVERLAP_MS], |row| {
                        let status = GroupStatus::parse(row.get_ref(1)?.as_str()?).unwrap_or(GroupStatus::Open);
                        Ok((parse_key(row.get_ref(0)?.as_str()?), status))
                    })?;
                    rows.collect()
                };
                read().map_err(|e| self.error("reading status changes", &e))?
            }
        };
        Ok(StatusChanges { changes, cursor: now })
    }
}
