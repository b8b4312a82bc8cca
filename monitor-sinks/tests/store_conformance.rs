//! One conformance suite for every store: the same cases run against the
//! embedded SQLite file and against PostgreSQL (feature `postgres`).

#[macro_use]
mod conformance;

use std::path::PathBuf;
use std::sync::Arc;

use monitor_runtime::async_trait;
use monitor_sinks::sqlite::{AuditChainOptions, AuditKeyRing, SqliteOptions, SqliteStore};
use monitor_sinks::store::{Store, StoreError};

use conformance::TestDatabase;

/// A SQLite file in a directory of its own.
struct SqliteDatabase {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SqliteDatabase {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("monitor.db");
        SqliteDatabase { _dir: dir, path }
    }
}

#[async_trait]
impl TestDatabase for SqliteDatabase {
    async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(Arc::new(SqliteStore::open(&self.path)?.shared()))
    }

    async fn open_keyed(&self, keys: AuditKeyRing) -> Result<Arc<dyn Store>, StoreError> {
        let options = SqliteOptions { audit: AuditChainOptions::keyed(keys), ..SqliteOptions::default() };
        Ok(Arc::new(SqliteStore::open_with(&self.path, &options)?.shared()))
    }

    async fn pretend_newer_schema(&self) {
        let connection = rusqlite::Connection::open(&self.path).unwrap();
        let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        connection.pragma_update(None, "user_version", version + 1).unwrap();
    }
}

mod sqlite {
    use super::*;
    conformance_suite!(SqliteDatabase::new());
}
