//! One entry point for tools that are handed "the store" as a string: a
//! PostgreSQL URL or a SQLite file path.

use std::sync::Arc;

use super::{Store, StoreError};

/// Opens the store `url_or_path` names: `postgres://…` or `postgresql://…`
/// is a PostgreSQL database (feature `postgres`), anything else the path
/// of a SQLite file (feature `sqlite`). Either is connected and migrated
/// before it is returned. It blocks while it does; call it outside async
/// code, or on tokio's blocking pool.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use monitor_sinks::store::{GroupQuery, open};
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = open(dir.path().join("monitor.db").to_str().unwrap()).unwrap();
/// assert!(store.describe().starts_with("SQLite file"));
/// # }
/// ```
pub fn open(url_or_path: &str) -> Result<Arc<dyn Store>, StoreError> {
    let lower = url_or_path.trim_start().to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        return open_postgres(url_or_path);
    }
    open_sqlite(url_or_path)
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let options = crate::postgres::PostgresOptions::new(url);
    Ok(Arc::new(crate::postgres::PostgresStore::connect_blocking(&options)?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError {
        kind: monitor_runtime::SinkErrorKind::Unavailable,
        message: "this is a PostgreSQL URL, and monitor was built without PostgreSQL: enable the cargo feature \
                  `postgres` (of `monitor`, or `monitor-sinks`)"
            .to_owned(),
    })
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(crate::sqlite::SqliteStore::open(path)?.shared()))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(path: &str) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError {
        kind: monitor_runtime::SinkErrorKind::Unavailable,
        message: format!(
            "`{path}` is not a postgres:// URL, so it would be a SQLite file, and monitor was built without \
             SQLite: enable the cargo feature `sqlite`, or give a postgres:// URL"
        ),
    })
}

#[cfg(test)]
mod tests {
    #[cfg(not(feature = "postgres"))]
    #[test]
    fn a_postgres_url_without_the_feature_says_which_feature_to_enable() {
        let error = super::open("postgresql://monitor@localhost/monitor").unwrap_err();
        assert!(error.message.contains("feature `postgres`"), "{error}");
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn a_bad_postgres_url_is_refused_before_connecting() {
        let error = super::open("postgres://monitor@localhost:notaport/monitor").unwrap_err();
        assert!(error.message.contains("postgres://user[:password]@host"), "{error}");
    }
}
