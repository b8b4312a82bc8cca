//! Event search in the SQLite file: the shared filters
//! ([`crate::store::search`]) bound to rusqlite, free text through the FTS5
//! index `events_fts`.

use rusqlite::ToSql;
use rusqlite::types::ToSqlOutput;

use std::time::SystemTime;

use super::store::SqliteStore;
use crate::store::aggregate::{self, GroupTotals};
use crate::store::calls::{CallRow, call_rows_query, function_stats_of};
use crate::store::search::group_words::add_pairs;
use crate::store::search::sql::{Dialect, Param, event_filter};
use crate::store::search::text::{fts5_query, search_terms};
use crate::store::{
    AggregateRow, Aggregation, AuditCount, Breakdown, BucketCount, Buckets, EventQuery, FunctionStats, GroupQuery,
    StoreError, StoredEvent, TopGroup, millis, top_of,
};

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Int(value) => value.to_sql(),
            Param::Text(text) => text.to_sql(),
        }
    }
}

/// Adds the words of the events from id `first` on to the full-text index.
///
/// The store keeps the index itself, one statement per batch: a trigger
/// adds rows one statement each, and FTS5 writes a segment of its index
/// at the end of every statement, which made the index cost three times
/// the rest of a write.
pub(crate) fn index_words(connection: &rusqlite::Connection, first: i64) -> rusqlite::Result<usize> {
    connection.execute(
        "INSERT INTO events_fts (rowid, message, template) SELECT id, message, template FROM events WHERE id >= ?1",
        [first],
    )
}

/// Adds (word, group key) pairs to the groups' words (see
/// [`group_words`](crate::store::search::group_words)), in the index's order.
pub(crate) fn index_group_words(connection: &rusqlite::Connection, pairs: &[(String, String)]) -> rusqlite::Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let mut insert =
        connection.prepare_cached("INSERT OR IGNORE INTO group_words (word, group_key) VALUES (?1, ?2)")?;
    for (word, key) in pairs {
        insert.execute([word, key])?;
    }
    Ok(())
}

/// Fills the groups' words from the events a file already holds: the
/// migration that adds the table runs it once, a page of events at a time.
pub(crate) fn backfill_group_words(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    const PAGE: i64 = 10_000;
    let mut read =
        connection.prepare("SELECT id, group_key, message, template FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?;
    let mut after = i64::MIN;
    loop {
        let mut pairs = std::collections::BTreeSet::new();
        let mut rows = read.query(rusqlite::params![after, PAGE])?;
        let mut read_any = false;
        while let Some(row) = rows.next()? {
            read_any = true;
            after = row.get(0)?;
            let (key, message, template): (String, String, String) = (row.get(1)?, row.get(2)?, row.get(3)?);
            add_pairs(&mut pairs, &key, [message.as_str(), template.as_str()]);
        }
        if !read_any {
            return Ok(());
        }
        index_group_words(connection, &pairs.into_iter().collect::<Vec<_>>())?;
    }
}

/// Takes the words of the events `ids` (a query of ids, its parameters
/// `params`) out of the full-text index; before the events are deleted, in
/// the same transaction, as an external-content index needs the text it
/// indexed to remove it.
pub(crate) fn forget_words(
    connection: &rusqlite::Connection,
    ids: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    let sql = format!(
        "INSERT INTO events_fts (events_fts, rowid, message, template)
         SELECT 'delete', id, message, template FROM events WHERE id IN ({ids})"
    );
    connection.prepare_cached(&sql)?.execute(params)
}

impl SqliteStore {
    /// Events matching `query`, newest first, from its cursor on.
    ///
    /// ```
    /// use monitor_sinks::sqlite::SqliteStore;
    /// use monitor_sinks::store::{EventFilter, EventQuery};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = SqliteStore::open(dir.path().join("monitor.db")).unwrap();
    /// let query = EventQuery { context: EventFilter { text: Some("timeout".into()), ..EventFilter::default() }, ..EventQuery::default() };
    /// assert!(store.events_matching(&query).unwrap().is_empty());
    /// ```
    pub fn events_matching(&self, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        let mut without_text = query.clone();
        let text = without_text.context.text.take();
        let mut filter = event_filter(&without_text, Dialect::Sqlite)?;
        // With text, the full-text index drives the query, newest match
        // first, and the other filters check each match until the page is
        // full: for a common word that is a few pages of the index, where
        // `id IN (matches)` would first collect every match.
        let (words, order) = match text {
            Some(text) => {
                let query = filter.bind(Param::Text(fts5_query(&search_terms(&text)?)));
                filter.push("events.id = words.word_id".to_owned());
                let words = format!(
                    ", (SELECT rowid AS word_id FROM events_fts WHERE events_fts MATCH {query} ORDER BY rowid DESC) AS words"
                );
                (words, "words.word_id")
            }
            None => (String::new(), "id"),
        };
        let sql = format!(
            "{words} {} ORDER BY {order} DESC LIMIT {}",
            filter.where_clause(),
            query.limit.min(i64::MAX as usize)
        );
        self.query_events(&sql, rusqlite::params_from_iter(filter.params()))
    }
}

impl SqliteStore {
    /// The occurrences of each group in `[since, until)`, from the
    /// per-minute counts (read from the index that covers them).
    fn group_totals(&self, since: SystemTime, until: SystemTime) -> rusqlite::Result<GroupTotals> {
        let mut statement = self.connection().prepare_cached(
            "SELECT group_key, count FROM group_counts INDEXED BY group_counts_by_minute_count
             WHERE minute_ms >= ?1 AND minute_ms < ?2",
        )?;
        let mut rows = statement.query([millis(since), millis(until)])?;
        let mut totals = GroupTotals::default();
        while let Some(row) = rows.next()? {
            let key = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            totals.add(key, row.get(1)?);
        }
        Ok(totals)
    }

    /// Runs an aggregation of [`crate::store::aggregate`].
    pub(crate) fn aggregate(&self, aggregation: &Aggregation) -> Result<Vec<AggregateRow>, StoreError> {
        let read = || -> rusqlite::Result<Vec<AggregateRow>> {
            let mut statement = self.connection().prepare_cached(&aggregation.sql)?;
            let rows = statement.query_map(rusqlite::params_from_iter(aggregation.filter.params()), |row| {
                Ok(AggregateRow { bucket: row.get(0)?, first: row.get(1)?, second: row.get(2)?, count: row.get(3)? })
            })?;
            rows.collect()
        };
        read().map_err(|e| self.error("aggregating", &e))
    }

    /// Occurrences per bucket and severity or kind (see
    /// [`Store::occurrence_counts`](crate::store::Store::occurrence_counts)).
    pub fn occurrence_counts(
        &self,
        buckets: &Buckets,
        by: Breakdown,
        groups: &GroupQuery,
    ) -> Result<Vec<BucketCount>, StoreError> {
        let rows = self.aggregate(&aggregate::occurrences(buckets, by, groups, Dialect::Sqlite)?)?;
        Ok(rows.into_iter().map(AggregateRow::bucket_count).collect())
    }

    /// New groups per bucket (see
    /// [`Store::new_group_counts`](crate::store::Store::new_group_counts)).
    pub fn new_group_counts(&self, buckets: &Buckets, groups: &GroupQuery) -> Result<Vec<BucketCount>, StoreError> {
        let rows = self.aggregate(&aggregate::new_groups(buckets, groups, Dialect::Sqlite)?)?;
        Ok(rows.into_iter().map(AggregateRow::bucket_count).collect())
    }

    /// The groups with the most occurrences in a window (see
    /// [`Store::top_groups`](crate::store::Store::top_groups)).
    pub fn top_groups(&self, since: SystemTime, until: SystemTime, limit: usize) -> Result<Vec<TopGroup>, StoreError> {
        let rows =
            self.group_totals(since, until).map_err(|e| self.error("summing the groups' counts", &e))?.top(limit);
        let keys = rows.iter().filter_map(|row| row.first.parse().ok()).collect();
        let groups = self.groups(&GroupQuery { keys: Some(keys), ..GroupQuery::all() })?;
        Ok(top_of(rows, groups))
    }

    /// Audit records per bucket, process and status (see
    /// [`Store::audit_counts`](crate::store::Store::audit_counts)).
    pub fn audit_counts(&self, buckets: &Buckets) -> Result<Vec<AuditCount>, StoreError> {
        let rows = self.aggregate(&aggregate::audit_counts(buckets, Dialect::Sqlite)?)?;
        Ok(rows.into_iter().map(AggregateRow::audit_count).collect())
    }
}

impl SqliteStore {
    /// Calls per function and bucket (see
    /// [`Store::function_stats`](crate::store::Store::function_stats)).
    pub fn function_stats(
        &self,
        buckets: &Buckets,
        module: Option<&str>,
        function: Option<&str>,
    ) -> Result<Vec<FunctionStats>, StoreError> {
        let (sql, filter) = call_rows_query(buckets, module, function, Dialect::Sqlite)?;
        let read = || -> rusqlite::Result<Vec<CallRow>> {
            let mut statement = self.connection().prepare_cached(&sql)?;
            let rows = statement.query_map(rusqlite::params_from_iter(filter.params()), |row| {
                Ok(CallRow {
                    minute_ms: row.get(0)?,
                    module: row.get(1)?,
                    function: row.get(2)?,
                    calls: row.get(3)?,
                    errors: row.get(4)?,
                    panics: row.get(5)?,
                    slow_calls: row.get(6)?,
                    total_us: row.get(7)?,
                    buckets: row.get(8)?,
                })
            })?;
            rows.collect()
        };
        let rows = read().map_err(|e| self.error("reading call counts", &e))?;
        function_stats_of(rows, buckets)
    }
}
