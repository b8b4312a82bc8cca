//! Runnable examples live beside this crate; see `examples/*.rs`. What
//! they share is here: where they store, taken from the environment.

use std::sync::Arc;

use monitor::MonitorBuilder;
use monitor::postgres::{PostgresOptions, PostgresSink};
use monitor::sqlite::SqliteSink;
use monitor::store::{Store, StoreError};

/// Where an example stores: PostgreSQL when `MONITOR_DATABASE_URL` is set,
/// else a SQLite file.
///
/// ```
/// let database = monitor_examples::Database::from_env("MONITOR_DB", "monitor.db").unwrap();
/// assert!(database.describe.contains("monitor") || database.describe.contains("PostgreSQL"));
/// ```
#[derive(Clone, Debug)]
pub struct Database {
    /// The URL or path, for opening the store afterwards.
    pub location: String,
    /// For people, without a password.
    pub describe: String,
    /// The sink's name, as `stats()` counts it.
    pub sink_name: &'static str,
}

impl Database {
    /// PostgreSQL from `MONITOR_DATABASE_URL` when it is set, else the
    /// SQLite file the variable `path_variable` names (default
    /// `default_path`).
    pub fn from_env(path_variable: &str, default_path: &str) -> Result<Self, StoreError> {
        if let Some(url) = std::env::var("MONITOR_DATABASE_URL").ok().filter(|url| !url.trim().is_empty()) {
            let describe = format!("{} (from MONITOR_DATABASE_URL)", PostgresOptions::new(&url).describe()?);
            return Ok(Database { location: url, describe, sink_name: "postgres" });
        }
        let path = std::env::var(path_variable).unwrap_or_else(|_| default_path.to_owned());
        let describe = format!(
            "the SQLite file {path} (set MONITOR_DATABASE_URL=postgres://… to share a PostgreSQL database instead)"
        );
        Ok(Database { location: path, describe, sink_name: "sqlite" })
    }

    /// `builder` with this database's sink.
    pub fn sink(&self, builder: MonitorBuilder) -> MonitorBuilder {
        match self.sink_name {
            "postgres" => builder.sink(PostgresSink::new(&self.location)),
            _ => builder.sink(SqliteSink::new(&self.location)),
        }
    }

    /// The store, for queries once the monitor is shut down.
    pub fn store(&self) -> Result<Arc<dyn Store>, StoreError> {
        monitor::store::open(&self.location)
    }

    /// Whether this is a SQLite file (which `sqlite3` can open).
    pub fn is_sqlite(&self) -> bool {
        self.sink_name == "sqlite"
    }
}
