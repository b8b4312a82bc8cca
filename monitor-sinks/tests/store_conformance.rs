//! One conformance suite for every store: the same cases run against the
//! embedded SQLite file and against PostgreSQL (feature `postgres`, each
//! case in a schema of its own).

#[macro_use]
mod conformance;
#[cfg(feature = "postgres")]
mod pg_support;

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

    async fn tamper(&self, sql: &str) {
        rusqlite::Connection::open(&self.path).unwrap().execute_batch(sql).unwrap();
    }
}

mod sqlite {
    use super::*;
    conformance_suite!(SqliteDatabase::new());
}

/// A PostgreSQL schema of its own (dropped after the case) on the test
/// server: `MONITOR_TEST_DATABASE_URL`, or 127.0.0.1:5432 as user postgres.
#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    use super::pg_support::TestSchema;
    use monitor_sinks::postgres::{PostgresStore, SCHEMA_VERSION};

    struct PostgresDatabase(TestSchema);

    impl PostgresDatabase {
        async fn new() -> Self {
            PostgresDatabase(TestSchema::new("conformance"))
        }
    }

    #[async_trait]
    impl TestDatabase for PostgresDatabase {
        async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
            Ok(Arc::new(PostgresStore::connect(&self.0.options()).await?))
        }

        async fn open_keyed(&self, keys: AuditKeyRing) -> Result<Arc<dyn Store>, StoreError> {
            Ok(Arc::new(PostgresStore::connect(&self.0.options().audit_keys(keys)).await?))
        }

        async fn pretend_newer_schema(&self) {
            let newer = SCHEMA_VERSION + 1;
            self.0
                .query(&format!(
                    "INSERT INTO monitor_schema_versions (version, description) VALUES ({newer}, 'a newer release')"
                ))
                .await;
        }

        async fn tamper(&self, sql: &str) {
            self.0.query(sql).await;
        }
    }

    conformance_suite!(PostgresDatabase::new());
}
