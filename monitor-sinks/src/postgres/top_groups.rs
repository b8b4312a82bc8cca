//! The groups with the most occurrences in a window, summing only the
//! groups that could be among them.
//!
//! Summing every per-minute row of a day costs PostgreSQL about 30 ms when
//! occurrences spread over 20,000 groups (130,000 rows through one hash
//! aggregate), whatever the key's type. Most of those groups are rare, and a
//! rare group cannot be in the top. A group's all-time count (`groups.count`)
//! is never below what it counted in any window: both grow by the same new
//! occurrences in the same transaction, and retention removes minute rows,
//! never count. So:
//!
//! 1. **Floor.** Take the `limit` groups seen since the window began with
//!    the largest all-time counts, and sum their minutes in the window.
//!    Their smallest sum is a floor: the window's `limit`-th largest total
//!    is at least that.
//! 2. **Candidates.** Only a group whose all-time count reaches the floor
//!    can reach it in the window; the others are strictly below the
//!    `limit`-th total and cannot be in the top, ties included.
//! 3. **Exact sums** of the candidates: their whole hours of the window from
//!    `group_hours`, the minutes at either end from `group_counts`, each
//!    read from a primary key that carries the count.
//!
//! When the floor says little (fewer groups than `limit`, a floor of zero,
//! or more than [`MOST_CANDIDATES`] candidates, as when many old groups
//! were busy once), every minute row of the window is summed as before. The
//! answer is the same either way: the conformance suite checks both.

use std::time::SystemTime;

use super::store::PostgresStore;
use crate::store::aggregate;
use crate::store::rollup::HOUR_MS;
use crate::store::search::sql::Dialect;
use crate::store::{AggregateRow, StoreError, millis};

/// Beyond this many candidates, summing each one's minutes costs more than
/// one pass over the window's rows (about 10 µs a group against 0.2 µs a row).
pub(crate) const MOST_CANDIDATES: i64 = 1_000;

/// A group's occurrences in the window, for the group `g.group_key`:
/// the minutes before the first whole hour (`$1` to `$5`), the whole hours
/// (`$5` to `$6`) and the minutes after them (`$6` to `$2`), each read from a
/// primary key that carries the count.
const WINDOW_TOTAL: &str = "(coalesce((SELECT sum(c.count) FROM group_counts c
        WHERE c.group_key = g.group_key AND c.minute_ms >= $1 AND c.minute_ms < $5), 0)
    + coalesce((SELECT sum(h.count) FROM group_hours h
        WHERE h.group_key = g.group_key AND h.hour_ms >= $5 AND h.hour_ms < $6), 0)
    + coalesce((SELECT sum(c.count) FROM group_counts c
        WHERE c.group_key = g.group_key AND c.minute_ms >= $6 AND c.minute_ms < $2), 0))";

/// Step 1 and the size of step 2, in one round trip: how many seeds there
/// were, their smallest total in the window, and how many candidates that
/// floor lets through (counted up to one past the most).
fn floor_sql() -> String {
    format!(
        "WITH seeds AS (
            SELECT group_key FROM groups WHERE last_seen_ms >= $1 ORDER BY count DESC LIMIT $3
        ), totals AS (
            SELECT {WINDOW_TOTAL} AS total FROM seeds g
        ), floor AS (
            SELECT count(*) AS seeds, CAST(coalesce(min(total), 0) AS BIGINT) AS total FROM totals
        )
        SELECT seeds, total, (SELECT count(*) FROM (
            SELECT 1 FROM groups WHERE count >= floor.total AND last_seen_ms >= $1 LIMIT $4) AS candidates)
        FROM floor"
    )
}

/// Step 3: the candidates' exact totals, largest first, ties by key (the
/// order of the full sum). `$3` is the floor, `$4` the limit. `OFFSET 0`
/// keeps the total a subquery of its own: flattened, PostgreSQL would sum
/// each group twice, once for the filter and once for the order.
fn candidates_sql() -> String {
    format!(
        "SELECT CAST(0 AS BIGINT), g.group_key, CAST('' AS TEXT), CAST(t.total AS BIGINT)
        FROM groups g, LATERAL (SELECT {WINDOW_TOTAL} AS total OFFSET 0) AS t
        WHERE g.count >= $3 AND g.last_seen_ms >= $1 AND t.total > 0
        ORDER BY t.total DESC, g.group_key LIMIT $4"
    )
}

/// The whole hours of `[since_ms, until_ms)`, as `(first, end)`; an empty
/// range at `until_ms` when the window holds none, so that the minutes
/// before it cover the whole window.
fn whole_hours(since_ms: i64, until_ms: i64) -> (i64, i64) {
    let first = since_ms + (HOUR_MS - since_ms.rem_euclid(HOUR_MS)) % HOUR_MS;
    let end = until_ms - until_ms.rem_euclid(HOUR_MS);
    if first < end { (first, end) } else { (until_ms, until_ms) }
}

/// What step 1 found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Floor {
    seeds: i64,
    total: i64,
    candidates: i64,
}

impl Floor {
    /// Whether summing the candidates alone is both exact and worth it.
    fn narrows(&self, limit: i64) -> bool {
        self.seeds == limit && self.total > 0 && self.candidates <= MOST_CANDIDATES
    }
}

impl PostgresStore {
    /// The `limit` groups with the most occurrences in `[since, until)`, as
    /// (0, key, '', count) rows, largest first, ties by key.
    pub(crate) async fn read_top_groups(
        &self,
        since: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<AggregateRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (since_ms, until_ms) = (millis(since), millis(until));
        let client = self.client().await?;
        let (hours_from, hours_to) = whole_hours(since_ms, until_ms);
        let row = client
            .query_one(&floor_sql(), &[&since_ms, &until_ms, &limit, &(MOST_CANDIDATES + 1), &hours_from, &hours_to])
            .await
            .map_err(self.fail("finding the busiest groups"))?;
        let floor = Floor { seeds: row.get(0), total: row.get(1), candidates: row.get(2) };
        if !floor.narrows(limit) {
            drop(client);
            return self.aggregate(&aggregate::top_groups(since, until, limit as usize, Dialect::Postgres)?).await;
        }
        let rows = client
            .query(&candidates_sql(), &[&since_ms, &until_ms, &floor.total, &limit, &hours_from, &hours_to])
            .await
            .map_err(self.fail("summing the busiest groups"))?;
        Ok(rows
            .iter()
            .map(|row| AggregateRow { bucket: row.get(0), first: row.get(1), second: row.get(2), count: row.get(3) })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_hours_of_a_window_are_found_and_a_window_without_one_is_all_minutes() {
        let h = HOUR_MS;
        assert_eq!(whole_hours(10 * h + 60_000, 34 * h + 120_000), (11 * h, 34 * h));
        assert_eq!(whole_hours(10 * h, 12 * h), (10 * h, 12 * h), "hours at the edges are whole");
        assert_eq!(whole_hours(10 * h + 1, 11 * h + 5), (11 * h + 5, 11 * h + 5), "no whole hour");
        assert_eq!(whole_hours(10 * h + 1, 10 * h + 5), (10 * h + 5, 10 * h + 5), "within one hour");
    }

    #[test]
    fn the_candidates_are_summed_alone_only_when_the_floor_is_exact_and_narrow() {
        let narrow = Floor { seeds: 10, total: 987, candidates: 201 };
        assert!(narrow.narrows(10));
        assert!(!Floor { seeds: 9, ..narrow }.narrows(10), "fewer groups than asked: the floor is not a floor");
        assert!(!Floor { total: 0, ..narrow }.narrows(10), "a floor of zero lets every group through");
        assert!(!Floor { candidates: MOST_CANDIDATES + 1, ..narrow }.narrows(10));
        assert!(Floor { candidates: MOST_CANDIDATES, ..narrow }.narrows(10));
    }
}
