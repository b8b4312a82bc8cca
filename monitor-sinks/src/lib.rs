//! Where monitor's events go: an embedded SQLite store (the default, no
//! server needed) and a console sink for development.
//!
//! ```no_run
//! use monitor_runtime::Monitor;
//! use monitor_sinks::{ConsoleSink, SqliteSink};
//!
//! let guard = Monitor::builder()
//!     .service("invoices")
//!     .sink(SqliteSink::new("monitor.db"))
//!     .sink(ConsoleSink::new())
//!     .install()?;
//! # drop(guard);
//! # Ok::<(), monitor_runtime::InstallError>(())
//! ```

// Library code reports failures; it never unwraps them (tests may).
#![warn(clippy::unwrap_used)]

mod console;
pub mod sqlite;

pub use console::ConsoleSink;
pub use sqlite::{GroupQuery, SqliteSink, SqliteStore, StoreError, StoredEvent, StoredGroup};
