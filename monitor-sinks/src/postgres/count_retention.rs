//! Retention of the time-series counts in PostgreSQL (see
//! [`count_retention`](crate::store::count_retention)): counted for a plan,
//! removed one statement of at most [`CHUNK_ROWS`] rows at a time, each its
//! own transaction, so writers adding to the same tables wait for one
//! chunk at most.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use super::store::PostgresStore;
use crate::store::count_retention::{CountCutoffs, CountTable, OLDEST_AUDIT_SQL};
use crate::store::retention::CHUNK_ROWS;
use crate::store::search::sql::Dialect;
use crate::store::{CountRows, RetentionPolicy, StoreError};

impl PostgresStore {
    /// Up to when each count table loses its rows under `policy` at `now`;
    /// `None` when the policy keeps counts forever.
    pub(super) async fn count_cutoffs(
        &self,
        policy: &RetentionPolicy,
        now: SystemTime,
    ) -> Result<Option<CountCutoffs>, StoreError> {
        if policy.counts_age().is_none() {
            return Ok(None);
        }
        let client = self.client().await?;
        let row = client.query_one(OLDEST_AUDIT_SQL, &[]).await.map_err(self.fail("reading the oldest audit row"))?;
        Ok(CountCutoffs::new(policy, now, row.get(0)))
    }

    /// The count rows `cutoffs` would remove, per table; changes nothing.
    pub(super) async fn count_rows_to_remove(&self, cutoffs: &CountCutoffs) -> Result<CountRows, StoreError> {
        let client = self.client().await?;
        let mut rows = CountRows::default();
        for table in CountTable::ALL {
            let Some(before) = cutoffs.before_ms(table) else { continue };
            let row = client
                .query_one(&table.count_sql(Dialect::Postgres), &[&before])
                .await
                .map_err(self.fail("planning the removal of old counts"))?;
            *rows.of_mut(table) = row.get::<_, i64>(0).max(0) as u64;
        }
        Ok(rows)
    }

    /// Removes up to [`CHUNK_ROWS`] of the per-group hourly totals
    /// (`group_hours`) before `before_ms`; returns how many went.
    async fn remove_group_hours_chunk(&self, before_ms: i64) -> Result<u64, StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM group_hours WHERE (group_key, hour_ms) IN
                    (SELECT group_key, hour_ms FROM group_hours WHERE hour_ms < $1 LIMIT $2)",
                &[&before_ms, &CHUNK_ROWS],
            )
            .await
            .map_err(self.fail("removing old counts"))
    }

    /// Removes up to [`CHUNK_ROWS`] of `table`'s rows before `before_ms`;
    /// returns how many went.
    async fn remove_count_chunk(&self, table: CountTable, before_ms: i64) -> Result<u64, StoreError> {
        let client = self.client().await?;
        client
            .execute(&table.delete_chunk_sql(Dialect::Postgres), &[&before_ms, &CHUNK_ROWS])
            .await
            .map_err(self.fail("removing old counts"))
    }
}

/// Removes what `cutoffs` select from every count table, a chunk at a
/// time, adding what went to `removed`; returns `false` when `stop` was set
/// before the end.
pub(super) async fn remove_counts(
    store: &PostgresStore,
    cutoffs: &CountCutoffs,
    removed: &mut CountRows,
    stop: &AtomicBool,
) -> Result<bool, StoreError> {
    // PostgreSQL's per-group hourly totals go with the minutes they total
    // (cut at the start of a day, so at a whole hour). They are not counted
    // apart: they are a faster way to read `group_counts`, and go when it
    // goes.
    if let Some(before) = cutoffs.before_ms(CountTable::GroupCounts) {
        while store.remove_group_hours_chunk(before).await? == CHUNK_ROWS as u64 {
            if stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
        }
    }
    for table in CountTable::ALL {
        let Some(before) = cutoffs.before_ms(table) else { continue };
        loop {
            let rows = store.remove_count_chunk(table, before).await?;
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
