//! PostgreSQL: the shared store when many instances report to one place.
//!
//! [`PostgresSink`] writes what the monitor produces; [`PostgresStore`]
//! implements [`Store`](crate::store::Store) for queries, triage and the
//! alert lifecycle, with the same meaning as the SQLite store (both pass
//! one conformance suite).
//!
//! # Many instances, one database
//!
//! - **Counts add up.** Each instance sends the occurrences it saw since its
//!   last snapshot, and the upsert adds them (`count = groups.count +
//!   excluded.count`); first and last seen widen (`least`, `greatest`).
//! - **Statuses are shared.** A status an instance or an operator changes is
//!   stamped with the *server's* clock; every instance asks for the changes
//!   since its last look (`status_sync_interval`), with the server's clock
//!   as the cursor, so hosts whose clocks differ miss nothing.
//! - **One audit chain.** Each row links to the row before, so two writers
//!   must never read the same last row. Appending takes the advisory lock
//!   `pg_advisory_xact_lock(AUDIT_LOCK, hashtext(schema))` at the start of
//!   the writing transaction, before reading the last row; it is held until
//!   commit. Appends are thus serialized per schema (other schemas in the
//!   database, and writes without audit records, do not wait), and the log
//!   stays one chain that [`Store::verify_audit_chain`](crate::store::Store::verify_audit_chain)
//!   walks. Row-level locking cannot do this: the row to lock is the one
//!   not yet written. `SERIALIZABLE` could, but would fail and retry
//!   batches under load instead of queueing them.
//! - **Alert incidents** are decided under a second advisory lock of the
//!   same kind, so two instances seeing one alert fire open one incident.
//! - **One leader for fleet rules**: the instance holding a session-level
//!   advisory lock on a connection of its own; when it dies the lock goes
//!   with its connection and another instance takes over at its next look.
//! - **No deadlocks between writers.** Advisory locks are taken first in a
//!   transaction, rows after, and group rows in key order.
//! - **Migrations run once.** Every instance migrates at start in one
//!   transaction under `pg_advisory_xact_lock`; the first does the work, the
//!   others find it done. A database migrated by a newer release is
//!   refused with both versions named.
//!
//! # Speed
//!
//! A batch's events and groups are each one statement, their columns sent
//! as arrays (`INSERT … SELECT … FROM unnest($1::bigint[], …)`), so a batch
//! costs a handful of round trips whatever its size.
//!
//! ```no_run
//! use monitor_runtime::{capture_message, Monitor, Severity};
//! use monitor_sinks::postgres::PostgresSink;
//!
//! let guard = Monitor::builder()
//!     .service("payments")
//!     .sink(PostgresSink::new("postgres://monitor@db.internal/monitor").schema("payments"))
//!     .install()?;
//! capture_message("settlement file rejected", Severity::Error);
//! guard.shutdown();
//! # Ok::<(), monitor_runtime::InstallError>(())
//! ```

mod alerts;
mod audit;
mod audit_archive;
mod batch;
mod count_retention;
mod error;
mod fleet;
mod incidents;
mod options;
mod queries;
mod retention;
mod schema;
mod sink;
mod store;
mod top_groups;
mod trait_impl;
mod triage;

pub use crate::chain::key::{
    AUDIT_KEY_ENV, AUDIT_KEY_FILE_ENV, AuditKey, AuditKeyError, AuditKeyRing, MIN_AUDIT_KEY_BYTES,
};
pub use crate::chain::state::AuditChainOptions;
pub use options::PostgresOptions;
pub use schema::SCHEMA_VERSION;
pub use sink::PostgresSink;
pub use store::PostgresStore;
