//! The PostgreSQL sink: what `Monitor::builder().sink(PostgresSink::new(url))`
//! installs.
//!
//! `start` is synchronous and may run inside the user's own tokio runtime,
//! where blocking on a future panics; so it connects and migrates on a
//! short-lived thread with a runtime of its own, and reads the statuses the
//! monitor starts with there too. The pool it leaves behind is empty: its
//! connections are made on first use by the monitor's worker, on the
//! worker's runtime, which drives them for as long as the monitor runs.

use std::sync::Arc;

use monitor_runtime::alerting::{AcknowledgedAlert, FleetSource};
use monitor_runtime::{Batch, GroupKey, GroupStatus, Sink, SinkError, SinkErrorKind, async_trait};
use parking_lot::Mutex;

use super::options::PostgresOptions;
use super::store::{PostgresStore, on_own_runtime};
use crate::chain::key::AuditKeyRing;
use crate::store::{StatusChanges, Store, StoreFleet, acknowledged_alerts};

/// The PostgreSQL sink: every event, group count, audit record and alert
/// notification, written in one transaction per batch to a database that
/// any number of instances share. Connecting and migrating happen in
/// `install()`, so a server that cannot be reached is an install error
/// naming it (or, with `optional_sink`, a disabled sink).
///
/// A batch that fails because the server went away is counted under
/// `postgres:unavailable` and retried as the pipeline retries any sink;
/// the pool drops the dead connection and connects anew, so writing goes
/// on by itself once the server is back.
///
/// ```no_run
/// use monitor_runtime::Monitor;
/// use monitor_sinks::postgres::PostgresSink;
///
/// let guard = Monitor::builder()
///     .service("payments")
///     .sink(PostgresSink::new("postgres://monitor@db.internal/monitor").schema("payments"))
///     .install()?;
/// # drop(guard);
/// # Ok::<(), monitor_runtime::InstallError>(())
/// ```
#[derive(Debug)]
pub struct PostgresSink {
    options: PostgresOptions,
    store: Option<PostgresStore>,
    /// The statuses read while starting, until `stored_statuses` takes them.
    initial: Mutex<Option<StatusChanges>>,
    /// Where the last [`Sink::status_changes`] call left off.
    status_cursor: Mutex<Option<i64>>,
    /// This instance's holder in the store: fleet rules and summaries
    /// share it, so they lead together.
    lead: std::sync::OnceLock<Arc<crate::store::StoreFleet>>,
    /// Scheduled retention: none unless asked for (see `retention.rs`).
    pub(super) retention: super::retention::SinkRetention,
}

impl PostgresSink {
    /// A sink writing to the database at `url`
    /// (`postgres://user[:password]@host[:port]/database`).
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresSink;
    ///
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor");
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_options(PostgresOptions::new(url))
    }

    /// A sink with every setting given.
    ///
    /// ```
    /// use monitor_sinks::postgres::{PostgresOptions, PostgresSink};
    ///
    /// let sink = PostgresSink::with_options(PostgresOptions::new("postgres://monitor@127.0.0.1/monitor").pool_size(2));
    /// ```
    pub fn with_options(options: PostgresOptions) -> Self {
        PostgresSink {
            options,
            store: None,
            initial: Mutex::new(None),
            status_cursor: Mutex::new(None),
            lead: std::sync::OnceLock::new(),
            retention: super::retention::SinkRetention::default(),
        }
    }

    /// Keeps the tables in `schema`, created if missing (see
    /// [`PostgresOptions::schema`]).
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresSink;
    ///
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor").schema("payments");
    /// ```
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.options = self.options.schema(schema);
        self
    }

    /// Keeps at most `size` connections open (default 8).
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresSink;
    ///
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor").pool_size(2);
    /// ```
    pub fn pool_size(mut self, size: usize) -> Self {
        self.options = self.options.pool_size(size);
        self
    }

    /// How long connecting may take before it fails (default 5 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_sinks::postgres::PostgresSink;
    ///
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor").connect_timeout(Duration::from_secs(2));
    /// ```
    pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.options = self.options.connect_timeout(timeout);
        self
    }

    /// How long a write waits for a lock another instance holds before the
    /// batch fails as `postgres:storage_locked` and is tried again
    /// (default 30 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_sinks::postgres::PostgresSink;
    ///
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor").lock_timeout(Duration::from_secs(5));
    /// ```
    pub fn lock_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.options = self.options.lock_timeout(timeout);
        self
    }

    /// Signs the audit chain with HMAC-SHA256: one
    /// [`AuditKey`](super::AuditKey), or an [`AuditKeyRing`] whose first key
    /// signs. Every instance writing to the database needs the same ring.
    ///
    /// ```
    /// use monitor_sinks::postgres::{AuditKey, PostgresSink};
    ///
    /// let key = AuditKey::from_hex(&"7e".repeat(32)).unwrap(); // in production: AuditKeyRing::from_env()
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor").audit_keys(key);
    /// ```
    pub fn audit_keys(mut self, keys: impl Into<AuditKeyRing>) -> Self {
        self.options = self.options.audit_keys(keys);
        self
    }

    /// Keeps the audit chain's signed checkpoint at `path` after each batch
    /// (without it, a keyed chain keeps no checkpoint: removing its last rows
    /// would not be noticed).
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresSink;
    ///
    /// let sink = PostgresSink::new("postgres://monitor@127.0.0.1/monitor").audit_checkpoint("/var/lib/monitor/checkpoint");
    /// ```
    pub fn audit_checkpoint(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.options = self.options.audit_checkpoint(path);
        self
    }
}

impl PostgresSink {
    /// This instance's holder in the started store.
    fn lead(&self) -> Option<Arc<crate::store::StoreFleet>> {
        let store: Arc<dyn Store> = Arc::new(self.store.clone()?);
        Some(self.lead.get_or_init(|| Arc::new(StoreFleet::new(store))).clone())
    }
}

#[async_trait]
impl Sink for PostgresSink {
    fn name(&self) -> &str {
        "postgres"
    }

    fn start(&mut self) -> Result<(), SinkError> {
        let options = self.options.clone();
        let (store, statuses) =
            on_own_runtime(move || async move { PostgresStore::connect_reading_statuses(&options, true).await })?;
        self.retention.start(&self.options)?;
        self.store = Some(store);
        *self.initial.lock() = statuses;
        Ok(())
    }

    fn stored_statuses(&self) -> Result<Vec<(GroupKey, GroupStatus)>, SinkError> {
        let Some(changes) = self.initial.lock().take() else { return Ok(Vec::new()) };
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
        Ok(Some(acknowledged_alerts(store).await?))
    }

    async fn write(&self, batch: &Batch) -> Result<(), SinkError> {
        let Some(store) = &self.store else {
            return Err(SinkError::new(SinkErrorKind::Unavailable, "the PostgreSQL sink was not started"));
        };
        store.write_batch(batch).await.map_err(SinkError::from)
    }
}
