//! The SQLite store: opening and migrating the file, writing batches in one
//! transaction each, and the queries for later analysis.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use monitor_runtime::{Batch, EventKind, GroupKey, GroupStatus, Location, Severity, SinkErrorKind};
use rusqlite::{Connection, ErrorCode, OpenFlags, params};

use super::audit_chain::{AuditChainOptions, chain_of};
use super::schema;
use crate::chain::state::AuditChain;
use crate::store::search::group_words::WordCache;
use crate::store::search::sql::{Dialect, group_filter, group_order};
use crate::store::{
    GroupQuery, REGRESSION_ACTOR, StoreError, StoredEvent, StoredGroup, backtrace_frames, backtrace_text, severity_rank,
};

/// Settings of a SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// How long a write waits for another connection's lock before giving
    /// up with `storage_locked` (default 5 s). SQLite counts it in whole
    /// milliseconds in an `i32`, so anything longer than
    /// [`MAX_BUSY_TIMEOUT`] (about 24.8 days) waits that long instead.
    pub busy_timeout: Duration,
    /// A cap on the file's size (default: none). A batch that meets it
    /// removes the oldest, lowest-severity events to make room; only when
    /// none is left does it fail with `storage_full`.
    pub max_size_bytes: Option<u64>,
    /// The audit chain's keys and checkpoint (default: no key, unkeyed
    /// links only).
    pub audit: AuditChainOptions,
    /// Only open a monitor database that exists (default: false, create
    /// it): what tools that read a store want, so a mistyped path is an
    /// error instead of a new empty file, and a SQLite file of something
    /// else is refused instead of getting monitor's tables.
    pub existing_only: bool,
}

/// The longest busy timeout SQLite can express: `i32::MAX` milliseconds,
/// about 24.8 days. Longer timeouts (`Duration::MAX` included) are clamped to
/// it, which is as good as "wait for ever" for a lock held by a live process.
pub const MAX_BUSY_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

impl SqliteOptions {
    /// The busy timeout SQLite is given: [`Self::busy_timeout`], clamped to
    /// [`MAX_BUSY_TIMEOUT`] because a longer one cannot be expressed (and
    /// would make the SQLite binding panic rather than fail).
    pub fn effective_busy_timeout(&self) -> Duration {
        self.busy_timeout.min(MAX_BUSY_TIMEOUT)
    }
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
            max_size_bytes: None,
            existing_only: false,
            audit: AuditChainOptions::default(),
        }
    }
}

pub(crate) fn classify(path: &Path, doing: &str, error: &rusqlite::Error) -> StoreError {
    let code = error.sqlite_error_code();
    let (kind, hint) = match code {
        Some(ErrorCode::DiskFull) => (SinkErrorKind::Full, "free disk space or raise the size cap"),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            (SinkErrorKind::Locked, "another connection holds a lock on the file")
        }
        Some(ErrorCode::ReadOnly) => {
            (SinkErrorKind::Unavailable, "the file is read-only; make it writable or choose another path")
        }
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            (SinkErrorKind::Unavailable, "check that the directory exists and is writable")
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            (SinkErrorKind::Unavailable, "the file is not a SQLite database; choose another path")
        }
        _ => (SinkErrorKind::Other, "see the SQLite message"),
    };
    StoreError { kind, message: format!("SQLite file `{}`: {doing} failed: {error} ({hint})", path.display()) }
}

pub(crate) use crate::store::{from_millis, millis, minute_of, parse_key, to_json};

/// A SQLite database of events and groups: one file, WAL journal, schema
/// migrated on open.
///
/// ```
/// use monitor_sinks::sqlite::{GroupQuery, SqliteStore};
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = SqliteStore::open(dir.path().join("monitor.db")).unwrap();
/// assert!(store.groups(&GroupQuery::default()).unwrap().is_empty());
/// ```
pub struct SqliteStore {
    connection: Connection,
    path: PathBuf,
    audit: AuditChain,
    /// The size cap in pages, when there is one.
    cap_pages: Option<i64>,
    /// The group words this store wrote recently.
    words: WordCache,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &SqliteOptions::default())
    }

    /// Opens with explicit [`SqliteOptions`]. A file that cannot be opened,
    /// is read-only or is not a database is an error saying so.
    pub fn open_with(path: impl AsRef<Path>, options: &SqliteOptions) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if options.existing_only && !path.is_file() {
            return Err(StoreError {
                kind: SinkErrorKind::Unavailable,
                message: format!(
                    "`{}` does not exist: give the path of the SQLite file a service's monitor writes, or a \
                     postgres:// URL",
                    path.display()
                ),
            });
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if !options.existing_only {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let mut connection = Connection::open_with_flags(&path, flags).map_err(|e| classify(&path, "opening", &e))?;
        if options.existing_only {
            refuse_other_databases(&connection, &path)?;
        }
        connection
            .busy_timeout(options.effective_busy_timeout())
            .map_err(|e| classify(&path, "setting the busy timeout", &e))?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(|e| classify(&path, "switching to WAL", &e))?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| classify(&path, "setting synchronous", &e))?;
        schema::migrations().to_latest(&mut connection).map_err(|error| match error {
            rusqlite_migration::Error::RusqliteError { err, .. } => classify(&path, "migrating the schema", &err),
            rusqlite_migration::Error::MigrationDefinition(
                rusqlite_migration::MigrationDefinitionError::DatabaseTooFarAhead,
            ) => StoreError {
                kind: SinkErrorKind::Unavailable,
                message: format!(
                    "SQLite file `{}`: its schema is version {}, newer than the {} this version of monitor knows: a \
                     newer release wrote it; upgrade monitor here too, or use another file",
                    path.display(),
                    schema_version(&connection),
                    schema::migrations_len()
                ),
            },
            other => StoreError {
                kind: SinkErrorKind::Unavailable,
                message: format!("SQLite file `{}`: migrating the schema failed: {other}", path.display()),
            },
        })?;
        let mut cap_pages = None;
        if let Some(max) = options.max_size_bytes {
            let page_size: i64 = connection
                .query_row("PRAGMA page_size", [], |row| row.get(0))
                .map_err(|e| classify(&path, "reading the page size", &e))?;
            let pages = (max as i64 / page_size.max(1)).max(1);
            cap_pages = Some(pages);
            connection
                .pragma_update(None, "max_page_count", pages)
                .map_err(|e| classify(&path, "setting the size cap", &e))?;
        }
        // A read-only file opens fine; find out now rather than on the first batch.
        connection
            .execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
            .map_err(|e| classify(&path, "taking a write lock", &e))?;
        let audit = chain_of(&path, &options.audit);
        Ok(SqliteStore { connection, path, audit, cap_pages, words: WordCache::default() })
    }

    /// The size cap in pages, when there is one.
    pub(crate) fn cap_pages(&self) -> Option<i64> {
        self.cap_pages
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn connection(&self) -> &Connection {
        &self.connection
    }

    pub(crate) fn audit_chain(&self) -> &AuditChain {
        &self.audit
    }

    /// A write transaction, taken IMMEDIATE (the write lock up front, so
    /// two processes sharing the file cannot both read the same last audit
    /// hash), with the audit chain to append in it.
    pub(crate) fn transaction(&mut self) -> rusqlite::Result<(rusqlite::Transaction<'_>, &AuditChain)> {
        let tx = self.connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        Ok((tx, &self.audit))
    }

    pub(crate) fn error(&self, doing: &str, error: &rusqlite::Error) -> StoreError {
        classify(&self.path, doing, error)
    }

    /// Writes a batch in one transaction: every event, and each group's new
    /// occurrences added to its stored total (once: see `write_batch`).
    pub(crate) fn write_batch_once(&mut self, batch: &Batch) -> Result<(), StoreError> {
        let path = self.path.clone();
        let fail = |doing: &'static str| {
            let path = path.clone();
            move |e: rusqlite::Error| classify(&path, doing, &e)
        };
        // IMMEDIATE: take the write lock up front, so two processes sharing the
        // file cannot both read the same last audit hash.
        let new_words = self.words.unseen(&batch.events);
        let tx = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail("starting a transaction"))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (timestamp_ms, kind, severity, severity_rank, group_key, template, module,
                        function, file, line, error_type, message, chain, context, args, duration_us, occurrences,
                        backtrace)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                )
                .map_err(fail("preparing the event insert"))?;
            let mut first_event_id = None;
            for event in &batch.events {
                insert
                    .execute(params![
                        millis(event.timestamp),
                        event.kind.as_str(),
                        event.severity.as_str(),
                        severity_rank(event.severity),
                        event.group_key.to_string(),
                        event.template,
                        event.location.module,
                        event.location.function,
                        event.location.file,
                        event.location.line,
                        event.error_type.as_deref(),
                        event.message,
                        to_json(&event.chain),
                        to_json(&*event.context),
                        to_json(&event.args),
                        event.duration.map(|d| d.as_micros() as i64),
                        event.occurrences as i64,
                        backtrace_text(event),
                    ])
                    .map_err(fail("inserting an event"))?;
                first_event_id.get_or_insert(tx.last_insert_rowid());
            }
            if let Some(first) = first_event_id {
                super::search::index_words(&tx, first).map_err(fail("indexing the events' words"))?;
            }
            super::search::index_group_words(&tx, &new_words).map_err(fail("indexing the groups' words"))?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO groups (group_key, template, module, function, file, line, error_type, severity,
                        severity_rank, status, count, first_seen_ms, last_seen_ms, merged_into, status_changed_ms, kind)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, CASE WHEN ?15 THEN ?16 ELSE 0 END,
                        ?17)
                     ON CONFLICT (group_key) DO UPDATE SET
                        count = count + excluded.count,
                        -- The store is the truth for a status: a snapshot
                        -- changes it only when this process changed it.
                        status = CASE WHEN ?15 THEN excluded.status ELSE status END,
                        status_changed_ms = CASE WHEN ?15 AND status != excluded.status THEN ?16
                                                 ELSE status_changed_ms END,
                        template = excluded.template,
                        first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
                        last_seen_ms = max(last_seen_ms, excluded.last_seen_ms),
                        merged_into = coalesce(excluded.merged_into, merged_into)",
                )
                .map_err(fail("preparing the group upsert"))?;
            let mut count_minute = tx
                .prepare_cached(
                    "INSERT INTO group_counts (group_key, minute_ms, count) VALUES (?1, ?2, ?3)
                     ON CONFLICT (group_key, minute_ms) DO UPDATE SET count = count + excluded.count",
                )
                .map_err(fail("preparing the minute count"))?;
            // A resolved group this process saw again reopens: said in its
            // history, where summaries and operators find regressions.
            let mut regressed = tx
                .prepare_cached(&format!(
                    "INSERT INTO group_history (group_key, at_ms, actor, field, from_value, to_value)
                     SELECT group_key, ?2, '{REGRESSION_ACTOR}', 'status', 'resolved', 'open'
                     FROM groups WHERE group_key = ?1 AND status = 'resolved'"
                ))
                .map_err(fail("preparing the regression history"))?;
            let now_ms = millis(SystemTime::now());
            for group in &batch.groups {
                if group.status_changed && group.status == GroupStatus::Open {
                    regressed
                        .execute(params![group.key.to_string(), millis(group.last_seen)])
                        .map_err(fail("recording a regression"))?;
                }
                upsert
                    .execute(params![
                        group.key.to_string(),
                        group.template,
                        group.location.module,
                        group.location.function,
                        group.location.file,
                        group.location.line,
                        group.error_type.as_deref(),
                        group.severity.as_str(),
                        severity_rank(group.severity),
                        group.status.as_str(),
                        group.new_occurrences as i64,
                        millis(group.first_seen),
                        millis(group.last_seen),
                        group.merged_into.map(|key| key.to_string()),
                        group.status_changed,
                        now_ms,
                        group.kind.as_str(),
                    ])
                    .map_err(fail("updating a group"))?;
                if group.new_occurrences > 0 {
                    count_minute
                        .execute(params![
                            group.key.to_string(),
                            minute_of(group.last_seen),
                            group.new_occurrences as i64
                        ])
                        .map_err(fail("counting a group's minute"))?;
                }
            }
            let mut count_hour = tx
                .prepare_cached(
                    "INSERT INTO hourly_occurrences (hour_ms, severity, kind, count) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (hour_ms, severity, kind) DO UPDATE SET count = count + excluded.count",
                )
                .map_err(fail("preparing the hourly count"))?;
            for (hour, severity, kind, count) in crate::store::rollup::hourly_occurrences(&batch.groups) {
                count_hour.execute(params![hour, severity, kind, count]).map_err(fail("counting an hour"))?;
            }
        }
        if !batch.calls.is_empty() {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO call_counts (minute_ms, module, function, calls, errors, panics, slow_calls, total_us, buckets)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(fail("preparing the call count insert"))?;
            for counts in &batch.calls {
                let row = crate::store::calls::CallRow::of(counts);
                insert
                    .execute(params![
                        row.minute_ms,
                        row.module,
                        row.function,
                        row.calls,
                        row.errors,
                        row.panics,
                        row.slow_calls,
                        row.total_us,
                        row.buckets
                    ])
                    .map_err(fail("storing call counts"))?;
            }
        }
        let audit_head = super::audit::append(&tx, &self.audit, &batch.audits).map_err(|error| error.in_file(&path))?;
        super::alerts::append(&tx, &batch.notifications).map_err(fail("storing alert notifications"))?;
        super::incidents::record(&tx, &batch.notifications).map_err(fail("recording alert incidents"))?;
        tx.commit().map_err(fail("committing"))?;
        self.audit.after_commit(audit_head, "sqlite");
        self.words.remember(&new_words);
        Ok(())
    }

    /// Groups matching `query`, in its order (most recently seen first by
    /// default), from its cursor on.
    pub fn groups(&self, query: &GroupQuery) -> Result<Vec<StoredGroup>, StoreError> {
        let filter = group_filter(query, Dialect::Sqlite)?;
        let sql = format!("{} {} LIMIT {}", filter.where_clause(), group_order(query), query.sql_limit());
        self.query_groups(&sql, rusqlite::params_from_iter(filter.params()))
    }

    /// One stored group.
    pub fn group(&self, key: GroupKey) -> Result<Option<StoredGroup>, StoreError> {
        Ok(self.query_groups("WHERE group_key = ?1", params![key.to_string()])?.pop())
    }

    fn query_groups(&self, filter: &str, params: impl rusqlite::Params) -> Result<Vec<StoredGroup>, StoreError> {
        let sql = format!(
            "SELECT group_key, template, module, function, file, line, error_type, severity, status, count,
                    first_seen_ms, last_seen_ms, merged_into, assignee FROM groups {filter}"
        );
        let mut statement =
            self.connection.prepare_cached(&sql).map_err(|e| classify(&self.path, "preparing the group query", &e))?;
        let rows = statement
            .query_map(params, |row| {
                Ok(StoredGroup {
                    key: parse_key(row.get_ref(0)?.as_str()?),
                    template: row.get(1)?,
                    location: Location {
                        module: row.get::<_, String>(2)?.into(),
                        function: row.get::<_, String>(3)?.into(),
                        file: row.get::<_, String>(4)?.into(),
                        line: row.get(5)?,
                    },
                    error_type: row.get(6)?,
                    severity: row.get_ref(7)?.as_str()?.parse().unwrap_or(Severity::Error),
                    status: GroupStatus::parse(row.get_ref(8)?.as_str()?).unwrap_or(GroupStatus::Open),
                    count: row.get::<_, i64>(9)? as u64,
                    first_seen: from_millis(row.get(10)?),
                    last_seen: from_millis(row.get(11)?),
                    merged_into: row.get_ref(12)?.as_str_or_null()?.map(parse_key),
                    assignee: row.get(13)?,
                })
            })
            .map_err(|e| classify(&self.path, "querying groups", &e))?;
        rows.collect::<Result<_, _>>().map_err(|e| classify(&self.path, "reading groups", &e))
    }

    /// The latest `limit` events of a group, newest first.
    pub fn events_of_group(&self, key: GroupKey, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.query_events("WHERE group_key = ?1 ORDER BY id DESC LIMIT ?2", params![key.to_string(), limit as i64])
    }

    /// The latest `limit` events, newest first.
    pub fn recent_events(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.query_events("ORDER BY id DESC LIMIT ?1", params![limit as i64])
    }

    pub(crate) fn query_events(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let sql = format!(
            "SELECT id, timestamp_ms, kind, severity, group_key, template, module, function, file, line, error_type,
                    message, chain, context, args, duration_us, occurrences, backtrace FROM events {filter}"
        );
        let mut statement =
            self.connection.prepare_cached(&sql).map_err(|e| classify(&self.path, "preparing the event query", &e))?;
        let rows = statement
            .query_map(params, |row| {
                let json = |index: usize| -> rusqlite::Result<String> { row.get(index) };
                Ok(StoredEvent {
                    id: row.get(0)?,
                    timestamp: from_millis(row.get(1)?),
                    kind: EventKind::parse(row.get_ref(2)?.as_str()?).unwrap_or(EventKind::Error),
                    severity: row.get_ref(3)?.as_str()?.parse().unwrap_or(Severity::Error),
                    group_key: parse_key(row.get_ref(4)?.as_str()?),
                    template: row.get(5)?,
                    location: Location {
                        module: row.get::<_, String>(6)?.into(),
                        function: row.get::<_, String>(7)?.into(),
                        file: row.get::<_, String>(8)?.into(),
                        line: row.get(9)?,
                    },
                    error_type: row.get(10)?,
                    message: row.get(11)?,
                    chain: serde_json::from_str(&json(12)?).unwrap_or_default(),
                    context: serde_json::from_str(&json(13)?).unwrap_or_default(),
                    args: serde_json::from_str(&json(14)?).unwrap_or_default(),
                    duration: row.get::<_, Option<i64>>(15)?.map(|us| Duration::from_micros(us.max(0) as u64)),
                    occurrences: row.get::<_, i64>(16)? as u64,
                    backtrace: backtrace_frames(row.get::<_, Option<String>>(17)?.as_deref()),
                })
            })
            .map_err(|e| classify(&self.path, "querying events", &e))?;
        rows.collect::<Result<_, _>>().map_err(|e| classify(&self.path, "reading events", &e))
    }

    /// Number of stored events.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        self.connection
            .query_row("SELECT count(*) FROM events", [], |row| row.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| classify(&self.path, "counting events", &e))
    }

    /// Every stored group whose status is not open, with that status.
    ///
    /// ```
    /// use monitor_runtime::{GroupKey, GroupStatus};
    /// use monitor_sinks::sqlite::SqliteStore;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = SqliteStore::open(dir.path().join("monitor.db")).unwrap();
    /// assert!(store.group_statuses().unwrap().is_empty());
    /// # let _: Vec<(GroupKey, GroupStatus)> = store.group_statuses().unwrap();
    /// ```
    pub fn group_statuses(&self) -> Result<Vec<(GroupKey, GroupStatus)>, StoreError> {
        let read = || -> rusqlite::Result<Vec<(GroupKey, GroupStatus)>> {
            let mut statement =
                self.connection.prepare("SELECT group_key, status FROM groups WHERE status != 'open'")?;
            let rows = statement.query_map([], |row| {
                let key = parse_key(row.get_ref(0)?.as_str()?);
                Ok((key, GroupStatus::parse(row.get_ref(1)?.as_str()?)))
            })?;
            let mut statuses = Vec::new();
            for row in rows {
                if let (key, Some(status)) = row? {
                    statuses.push((key, status));
                }
            }
            Ok(statuses)
        };
        read().map_err(|e| classify(&self.path, "reading group statuses", &e))
    }
}

/// A file with tables but no monitor schema version belongs to something
/// else: migrating it would add monitor's tables to it.
fn refuse_other_databases(connection: &Connection, path: &Path) -> Result<(), StoreError> {
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |row| row.get(0))
        .map_err(|e| classify(path, "reading its tables", &e))?;
    if schema_version(connection) == 0 && tables > 0 {
        return Err(StoreError {
            kind: SinkErrorKind::Unavailable,
            message: format!(
                "SQLite file `{}` is not a monitor store (it has tables, none of them monitor's): check the path",
                path.display()
            ),
        });
    }
    Ok(())
}

fn schema_version(connection: &Connection) -> i64 {
    connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap_or(0)
}
