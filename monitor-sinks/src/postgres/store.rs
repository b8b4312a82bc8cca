//! The PostgreSQL store: connecting and migrating, the pool its calls take
//! connections from, and the helpers every query shares.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use monitor_runtime::SinkErrorKind;
use tokio_postgres::NoTls;

use super::error::{classify, pool_error};
use super::fleet::Leadership;
use super::options::{PostgresOptions, Target};
use super::schema::migrate;
use crate::chain::state::AuditChain;
use crate::store::search::group_words::WordCache;
use crate::store::{StatusChanges, StoreError};

/// The server's clock in milliseconds since the Unix epoch, in SQL: what
/// status changes are stamped with and what the status cursor is, so that
/// instances whose own clocks differ still agree on "since".
pub(crate) const SERVER_NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// A PostgreSQL database many instances write to at once: events, groups
/// whose counts add up across instances, one verifiable audit chain,
/// notifications, triage and alert incidents. Cheap to clone: clones share
/// one pool of connections.
///
/// Connections are made when a call needs one, on the tokio runtime making
/// the call, so the store can be created on one runtime and used on another.
///
/// ```no_run
/// use monitor_sinks::postgres::{PostgresOptions, PostgresStore};
/// use monitor_sinks::store::{GroupQuery, Store};
///
/// # async fn run() -> Result<(), monitor_sinks::store::StoreError> {
/// let options = PostgresOptions::new("postgres://monitor@db.internal/monitor").schema("payments");
/// let store = PostgresStore::connect(&options).await?;
/// for group in store.groups(&GroupQuery::default()).await? {
///     println!("{} × {}", group.count, group.template);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// The settings connections are made with (the pool's, and the
    /// leader's connection of its own).
    config: tokio_postgres::Config,
    description: String,
    audit: AuditChain,
    leadership: tokio::sync::Mutex<Leadership>,
    /// The group words this store wrote recently.
    words: WordCache,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore").field("database", &self.inner.description).finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects, migrates the schema (creating it if missing) and returns
    /// the store. Must be called on a tokio runtime. A server that cannot
    /// be reached within the connect timeout, or a database migrated by a
    /// newer release, is an error saying so.
    ///
    /// ```no_run
    /// use monitor_sinks::postgres::{PostgresOptions, PostgresStore};
    ///
    /// # async fn run() {
    /// match PostgresStore::connect(&PostgresOptions::new("postgres://monitor@127.0.0.1/monitor")).await {
    ///     Ok(store) => println!("using {store:?}"),
    ///     Err(error) => eprintln!("{error}"),
    /// }
    /// # }
    /// ```
    pub async fn connect(options: &PostgresOptions) -> Result<Self, StoreError> {
        Ok(Self::connect_reading_statuses(options, false).await?.0)
    }

    /// [`connect`](Self::connect) for code without a runtime at hand (or
    /// inside one that must not be blocked): it runs on a short-lived
    /// thread with its own runtime. The pool's connections are still made
    /// later, on the runtime of the call that needs one.
    ///
    /// ```no_run
    /// use monitor_sinks::postgres::{PostgresOptions, PostgresStore};
    ///
    /// let store = PostgresStore::connect_blocking(&PostgresOptions::new("postgres://monitor@127.0.0.1/monitor"))?;
    /// # Ok::<(), monitor_sinks::store::StoreError>(())
    /// ```
    pub fn connect_blocking(options: &PostgresOptions) -> Result<Self, StoreError> {
        let options = options.clone();
        Ok(on_own_runtime(move || async move { Self::connect_reading_statuses(&options, false).await })?.0)
    }

    /// Connects and migrates on one connection of its own, which then
    /// closes, reading the statuses an instance starts with when asked;
    /// the pool starts empty.
    pub(crate) async fn connect_reading_statuses(
        options: &PostgresOptions,
        read_statuses: bool,
    ) -> Result<(Self, Option<StatusChanges>), StoreError> {
        let target = options.target()?;
        let database = &target.description;
        let (mut client, connection) =
            target.config.connect(NoTls).await.map_err(|error| classify(database, "connecting", &error))?;
        let connection = tokio::spawn(connection);
        let work = async {
            migrate(&mut client, &target).await?;
            match read_statuses {
                true => Ok(Some(super::triage::status_changes_on(&client, database, None).await?)),
                false => Ok(None),
            }
        };
        let statuses = work.await;
        // Closing the connection and waiting for it to end: whatever it
        // still has to send (a rollback after a failure) reaches the server
        // now, not whenever this runtime next runs the task.
        drop(client);
        let _ = connection.await;
        let statuses = statuses?;
        Ok((Self::with_pool(options, target)?, statuses))
    }

    fn with_pool(options: &PostgresOptions, target: Target) -> Result<Self, StoreError> {
        let Target { config, description, .. } = target;
        let timeout = Some(options.connect_timeout);
        // Verified: an idle connection answers an empty query before it is
        // handed out, so one the server dropped (a restart, a failover) is
        // replaced before a batch meets it. One short round trip per call.
        let manager = ManagerConfig { recycling_method: RecyclingMethod::Verified };
        let pool = Pool::builder(Manager::from_config(config.clone(), NoTls, manager))
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .create_timeout(timeout)
            .recycle_timeout(timeout)
            // Waiting for a free connection while others hold the audit
            // lock is normal under load: longer than a connection attempt.
            .wait_timeout(Some(options.connect_timeout.max(std::time::Duration::from_secs(30))))
            .build()
            .map_err(|error| StoreError {
                kind: SinkErrorKind::Other,
                message: format!("{description}: the connection pool could not be made: {error}"),
            })?;
        let audit = AuditChain::new(options.audit.keys.clone(), options.audit.checkpoint.clone());
        let leadership = tokio::sync::Mutex::new(Leadership::default());
        Ok(PostgresStore {
            inner: Arc::new(Inner { pool, config, description, audit, leadership, words: WordCache::default() }),
        })
    }

    /// Which database this is: `PostgreSQL database `monitor` on
    /// 127.0.0.1:5432 (schema `payments`)`, never with the password.
    ///
    /// ```no_run
    /// # use monitor_sinks::postgres::{PostgresOptions, PostgresStore};
    /// let store = PostgresStore::connect_blocking(&PostgresOptions::new("postgres://monitor:pw@127.0.0.1/monitor"))?;
    /// assert_eq!(store.database(), "PostgreSQL database `monitor` on 127.0.0.1:5432");
    /// # Ok::<(), monitor_sinks::store::StoreError>(())
    /// ```
    pub fn database(&self) -> &str {
        &self.inner.description
    }

    /// A connection from the pool: an idle one that still answers (a closed
    /// one, after the server restarted say, is dropped and replaced), or a
    /// new one.
    pub(crate) async fn client(&self) -> Result<Object, StoreError> {
        self.inner.pool.get().await.map_err(|error| pool_error(&self.inner.description, &error))
    }

    /// Maps a failure of `doing` to the store's error.
    pub(crate) fn fail(&self, doing: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
        move |error| classify(&self.inner.description, doing, &error)
    }

    pub(crate) fn audit_chain(&self) -> &AuditChain {
        &self.inner.audit
    }

    pub(crate) fn word_cache(&self) -> &WordCache {
        &self.inner.words
    }

    pub(crate) fn config(&self) -> &tokio_postgres::Config {
        &self.inner.config
    }

    pub(crate) fn leadership(&self) -> &tokio::sync::Mutex<Leadership> {
        &self.inner.leadership
    }
}

/// Runs `work` to completion on a new thread with its own current-thread
/// runtime: what a synchronous caller (a sink's `start`, possibly inside a
/// user's runtime, where blocking on a future would panic) uses.
pub(crate) fn on_own_runtime<T, F, Fut>(work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let failed = |what: String| StoreError { kind: SinkErrorKind::Other, message: what };
    let thread = std::thread::Builder::new()
        .name("monitor-postgres-connect".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| failed(format!("PostgreSQL: starting a runtime to connect failed: {error}")))?;
            runtime.block_on(work())
        })
        .map_err(|error| failed(format!("PostgreSQL: starting a thread to connect failed: {error}")))?;
    thread.join().unwrap_or_else(|_| Err(failed("PostgreSQL: the thread connecting panicked".to_owned())))
}

/// Takes the advisory lock `class` for this schema until the transaction
/// ends (see the module docs for which lock guards what).
pub(crate) async fn lock(
    tx: &deadpool_postgres::Transaction<'_>,
    class: i32,
    store: &PostgresStore,
) -> Result<(), StoreError> {
    tx.execute("SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))", &[&class])
        .await
        .map_err(store.fail("taking a lock"))?;
    Ok(())
}

/// The advisory lock class of the audit chain: one writer appends at a time.
pub(crate) const AUDIT_LOCK: i32 = 0x6d61_7564; // "maud"
/// The advisory lock class of alert incidents: one writer decides at a time
/// whether a firing opens a new incident.
pub(crate) const ALERTS_LOCK: i32 = 0x6d61_6c74; // "malt"
