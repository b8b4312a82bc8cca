//! The embedded default store: one SQLite file, no server.
//!
//! The audit log in it is chained with HMAC-SHA256 under keys the store is
//! given and does not keep ([`AuditKey`], [`AuditKeyRing`]: from code, the
//! `MONITOR_AUDIT_KEY` variable as hex, or a key file), each row naming its
//! key's id, and a signed checkpoint of the chain's head is kept in a file
//! outside the database after each batch. So someone who can write the file
//! but lacks the key cannot edit, replace, reorder or delete rows, nor cut
//! the tail, without [`SqliteStore::verify_audit_chain`] naming the first
//! bad row. Without a key the log is written and verified as unkeyed
//! SHA-256 links, as older versions did, and the [`ChainReport`] says that
//! this is all it checked.

mod alerts;
mod audit;
mod audit_archive;
mod audit_chain;
mod audit_verify;
mod count_retention;
mod fleet;
mod incidents;
mod retention;
mod schema;
mod search;
mod shared;
mod store;
mod triage;

use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use monitor_runtime::alerting::{AcknowledgedAlert, FleetSource};
use monitor_runtime::{Batch, GroupKey, GroupStatus, Sink, SinkError, SinkErrorKind, async_trait};
use parking_lot::Mutex;

pub use crate::chain::key::{
    AUDIT_KEY_ENV, AUDIT_KEY_FILE_ENV, AuditKey, AuditKeyError, AuditKeyRing, MIN_AUDIT_KEY_BYTES,
};
// What every store shares, also here under the names this module always had.
use crate::store::Store;
pub use crate::store::{
    AuditQuery, BrokenLink, ChainCheck, ChainReport, CheckpointStatus, GENESIS_HASH, GroupQuery, StoreError,
    StoredAudit, StoredEvent, StoredGroup, StoredNotification,
};
pub use audit_chain::AuditChainOptions;
pub use shared::SharedSqliteStore;
pub use store::{MAX_BUSY_TIMEOUT, SqliteOptions, SqliteStore};

/// The SQLite sink: every event and group counter, written in batched
/// transactions to one WAL-mode file. The file is opened by `install()`, so
/// a path that cannot be used is an install error naming it.
///
/// ```
/// use monitor_runtime::{capture_message, Monitor, Severity};
/// use monitor_sinks::sqlite::{SqliteSink, SqliteStore};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("monitor.db");
/// let guard = Monitor::builder().sink(SqliteSink::new(&path)).install().unwrap();
/// capture_message("stored", Severity::Info);
/// guard.shutdown();
/// assert_eq!(SqliteStore::open(&path).unwrap().event_count().unwrap(), 1);
/// ```
#[derive(Debug)]
pub struct SqliteSink {
    path: PathBuf,
    options: SqliteOptions,
    store: Option<SharedSqliteStore>,
    /// Where the last [`Sink::status_changes`] call left off.
    status_cursor: Mutex<Option<i64>>,
    /// This instance's holder in the store: fleet rules and summaries
    /// share it, so they lead together.
    lead: std::sync::OnceLock<Arc<crate::store::StoreFleet>>,
    /// Scheduled retention: none unless asked for (see `retention.rs`).
    retention: retention::SinkRetention,
}

impl SqliteSink {
    /// A sink writing to the file at `path` (created if missing).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SqliteSink {
            path: path.into(),
            options: SqliteOptions::default(),
            store: None,
            status_cursor: Mutex::new(None),
            lead: std::sync::OnceLock::new(),
            retention: retention::SinkRetention::default(),
        }
    }

    /// How long a write waits for a lock held by another connection. Longer
    /// than [`MAX_BUSY_TIMEOUT`] (about 24.8 days, the most SQLite can
    /// express) is clamped to it.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.options.busy_timeout = timeout;
        self
    }

    /// Caps the file's size. A batch that meets the cap makes room by
    /// removing the oldest events of the lowest severity (never groups nor
    /// audit rows); only when no event is left to remove is it counted as
    /// a `sqlite:storage_full` drop.
    pub fn max_size_bytes(mut self, bytes: u64) -> Self {
        self.options.max_size_bytes = Some(bytes);
        self
    }

    /// Signs the audit chain with HMAC-SHA256: one [`AuditKey`], or an
    /// [`AuditKeyRing`] whose first key signs and whose others verify rows
    /// of keys rotated out. A signed checkpoint of the chain's head is
    /// written after each batch beside the database (see
    /// [`audit_checkpoint`](SqliteSink::audit_checkpoint)).
    ///
    /// ```
    /// use monitor_sinks::sqlite::{AuditKey, SqliteSink};
    ///
    /// let key = AuditKey::from_hex(&"7e".repeat(32)).unwrap(); // in production: AuditKeyRing::from_env()
    /// let sink = SqliteSink::new("monitor.db").audit_keys(key);
    /// ```
    pub fn audit_keys(mut self, keys: impl Into<AuditKeyRing>) -> Self {
        self.options.audit.keys = keys.into();
        self
    }

    /// Keeps the audit chain's signed checkpoint at `path` instead of
    /// beside the database (somewhere those who can write the database
    /// cannot is best).
    pub fn audit_checkpoint(mut self, path: impl Into<PathBuf>) -> Self {
        self.options.audit.checkpoint = Some(path.into());
        self
    }
}

impl SqliteSink {
    /// This instance's holder in the started store.
    fn lead(&self) -> Option<Arc<crate::store::StoreFleet>> {
        let store: Arc<dyn Store> = Arc::new(self.store.clone()?);
        Some(self.lead.get_or_init(|| Arc::new(crate::store::StoreFleet::new(store))).clone())
    }
}

#[async_trait]
impl Sink for SqliteSink {
    fn name(&self) -> &str {
        "sqlite"
    }

    fn start(&mut self) -> Result<(), SinkError> {
        let store = SqliteStore::open_with(&self.path, &self.options)?.shared();
        self.retention.start(&store)?;
        self.store = Some(store);
        Ok(())
    }

    fn stored_statuses(&self) -> Result<Vec<(GroupKey, GroupStatus)>, SinkError> {
        let Some(store) = &self.store else { return Ok(Vec::new()) };
        let changes = store.lock().status_changes(None)?;
        *self.status_cursor.lock() = Some(changes.cursor);
        Ok(changes.changes)
    }

    async fn status_changes(&self) -> Result<Vec<(GroupKey, GroupStatus)>, SinkError> {
        let Some(store) = &self.store else { return Ok(Vec::new()) };
        let cursor = *self.status_cursor.lock();
        let changes = store.status_changes(cursor).await?;
        *self.status_cursor.lock() = Some(changes.cursor);
        Ok(changes.changes)
    }

    fn fleet(&self) -> Option<Arc<dyn FleetSource>> {
        Some(self.lead()?)
    }

    fn summaries(&self) -> Option<Arc<dyn monitor_runtime::summary::SummarySource>> {
        Some(self.lead()?)
    }

    async fn acknowledged_alerts(&self) -> Result<Option<Vec<AcknowledgedAlert>>, SinkError> {
        let Some(store) = &self.store else { return Ok(None) };
        Ok(Some(crate::store::acknowledged_alerts(store).await?))
    }

    async fn write(&self, batch: &Batch) -> Result<(), SinkError> {
        let Some(store) = &self.store else {
            return Err(SinkError::new(SinkErrorKind::Unavailable, "the SQLite sink was not started"));
        };
        // SQLite calls block; they run on tokio's blocking pool so the worker
        // and the other sinks go on meanwhile.
        store.write_batch(batch).await.map_err(SinkError::from)
    }
}
