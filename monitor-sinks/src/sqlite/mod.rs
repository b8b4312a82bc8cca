//! The embedded default store: one SQLite file, no server.

mod alerts;
mod audit;
mod schema;
mod store;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use monitor_runtime::{Batch, Sink, SinkError, SinkErrorKind, async_trait};

pub use alerts::StoredNotification;
pub use audit::{AuditQuery, BrokenLink, ChainReport, GENESIS_HASH, StoredAudit};
pub use store::{GroupQuery, MAX_BUSY_TIMEOUT, SqliteOptions, SqliteStore, StoreError, StoredEvent, StoredGroup};

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
    store: Option<Arc<Mutex<SqliteStore>>>,
}

impl SqliteSink {
    /// A sink writing to the file at `path` (created if missing).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SqliteSink { path: path.into(), options: SqliteOptions::default(), store: None }
    }

    /// How long a write waits for a lock held by another connection. Longer
    /// than [`MAX_BUSY_TIMEOUT`] (about 24.8 days, the most SQLite can
    /// express) is clamped to it.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.options.busy_timeout = timeout;
        self
    }

    /// Caps the file's size; batches that would grow it further are counted
    /// as `sqlite:storage_full` drops.
    pub fn max_size_bytes(mut self, bytes: u64) -> Self {
        self.options.max_size_bytes = Some(bytes);
        self
    }
}

#[async_trait]
impl Sink for SqliteSink {
    fn name(&self) -> &str {
        "sqlite"
    }

    fn start(&mut self) -> Result<(), SinkError> {
        let store = SqliteStore::open_with(&self.path, &self.options)?;
        self.store = Some(Arc::new(Mutex::new(store)));
        Ok(())
    }

    async fn write(&self, batch: &Batch) -> Result<(), SinkError> {
        let Some(store) = self.store.clone() else {
            return Err(SinkError::new(SinkErrorKind::Unavailable, "the SQLite sink was not started"));
        };
        let batch = batch.clone();
        // SQLite calls block; they run on tokio's blocking pool so the worker
        // and the other sinks go on meanwhile.
        tokio::task::spawn_blocking(move || {
            let mut store = store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            store.write_batch(&batch)
        })
        .await
        .map_err(|error| SinkError::new(SinkErrorKind::Other, format!("the SQLite writer task failed: {error}")))?
        .map_err(SinkError::from)
    }
}
