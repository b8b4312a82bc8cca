//! Retention of the time-series counts in SQLite (see
//! [`count_retention`](crate::store::count_retention)): counted for a plan,
//! removed a chunk per transaction, the store's lock taken per chunk so
//! the writer waits for one chunk at most.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use rusqlite::params;

use super::shared::SharedSqliteStore;
use super::store::SqliteStore;
use crate::store::count_retention::{CountCutoffs, CountTable, OLDEST_AUDIT_SQL};
use crate::store::retention::CHUNK_ROWS;
use crate::store::search::sql::Dialect;
use crate::store::{CountRows, RetentionPolicy, StoreError};

impl SqliteStore {
    /// Up to when each count table loses its rows under `policy` at `now`;
    /// `None` when the policy keeps counts forever.
    pub(super) fn count_cutoffs(
        &self,
        policy: &RetentionPolicy,
        now: SystemTime,
    ) -> Result<Option<CountCutoffs>, StoreError> {
        if policy.counts_age().is_none() {
            return Ok(None);
        }
        let oldest_audit: Option<i64> = self
            .connection()
            .query_row(OLDEST_AUDIT_SQL, [], |row| row.get(0))
            .map_err(|e| self.error("reading the oldest audit row", &e))?;
        Ok(CountCutoffs::new(policy, now, oldest_audit))
    }

    /// The count rows `cutoffs` would remove, per table; changes nothing.
    pub(super) fn count_rows_to_remove(&self, cutoffs: &CountCutoffs) -> Result<CountRows, StoreError> {
        let mut rows = CountRows::default();
        for table in CountTable::ALL {
            let Some(before) = cutoffs.before_ms(table) else { continue };
            let count: i64 = self
                .connection()
                .query_row(&table.count_sql(Dialect::Sqlite), params![before], |row| row.get(0))
                .map_err(|e| self.error("planning the removal of old counts", &e))?;
            *rows.of_mut(table) = count.max(0) as u64;
        }
        Ok(rows)
    }

    /// Removes up to [`CHUNK_ROWS`] of `table`'s rows before `before_ms`,
    /// in a transaction of its own; returns how many went.
    fn remove_count_chunk(&mut self, table: CountTable, before_ms: i64) -> Result<u64, StoreError> {
        let path = self.path().to_owned();
        let fail = |e: rusqlite::Error| super::store::classify(&path, "removing old counts", &e);
        let (tx, _) = self.transaction().map_err(fail)?;
        let removed =
            tx.execute(&table.delete_chunk_sql(Dialect::Sqlite), params![before_ms, CHUNK_ROWS]).map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(removed as u64)
    }
}

/// Removes what `cutoffs` select from every count table, a chunk at a
/// time, adding what went to `removed`; returns `false` when `stop` was set
/// before the end.
pub(super) fn remove_counts(
    store: &SharedSqliteStore,
    cutoffs: &CountCutoffs,
    removed: &mut CountRows,
    stop: &AtomicBool,
) -> Result<bool, StoreError> {
    for table in CountTable::ALL {
        let Some(before) = cutoffs.before_ms(table) else { continue };
        loop {
            let rows = store.lock().remove_count_chunk(table, before)?;
            *removed.of_mut(table) += rows;
            if stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            // A short chunk was the last: no need to ask again.
            if rows < CHUNK_ROWS as u64 {
                break;
            }
        }
    }
    Ok(true)
}
