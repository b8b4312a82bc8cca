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
    open_with(url_or_path, &OpenOptions::default())
}

/// How [`open_with`] opens a store.
///
/// ```
/// use monitor_sinks::store::{OpenOptions, open_with};
///
/// let missing = open_with("no-such-monitor.db", &OpenOptions { existing_only: true, ..OpenOptions::default() });
/// assert!(missing.unwrap_err().message.contains("does not exist"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// The audit chain's keys, to verify (and sign) its rows; `None`:
    /// unkeyed.
    pub audit_keys: Option<crate::chain::key::AuditKeyRing>,
    /// Only open a store that exists, never create one: a SQLite file that
    /// exists and is a monitor store (see `SqliteOptions::existing_only`),
    /// a PostgreSQL schema that holds one (see
    /// `PostgresOptions::existing_only`).
    pub existing_only: bool,
}

/// [`open`] with [`OpenOptions`]: what tools such as the `monitor` command
/// use.
pub fn open_with(url_or_path: &str, options: &OpenOptions) -> Result<Arc<dyn Store>, StoreError> {
    let lower = url_or_path.trim_start().to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        return open_postgres(url_or_path, options);
    }
    open_sqlite(url_or_path, options)
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str, options: &OpenOptions) -> Result<Arc<dyn Store>, StoreError> {
    let mut postgres = crate::postgres::PostgresOptions::new(url).existing_only(options.existing_only);
    if let Some(keys) = &options.audit_keys {
        postgres = postgres.audit_keys(keys.clone());
    }
    Ok(Arc::new(crate::postgres::PostgresStore::connect_blocking(&postgres)?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str, _options: &OpenOptions) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError {
        kind: monitor_runtime::SinkErrorKind::Unavailable,
        message: "this is a PostgreSQL URL, and monitor was built without PostgreSQL: enable the cargo feature \
                  `postgres` (of `monitor`, or `monitor-sinks`)"
            .to_owned(),
    })
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str, options: &OpenOptions) -> Result<Arc<dyn Store>, StoreError> {
    let mut sqlite = crate::sqlite::SqliteOptions { existing_only: options.existing_only, ..Default::default() };
    if let Some(keys) = &options.audit_keys {
        sqlite.audit = crate::sqlite::AuditChainOptions::keyed(keys.clone());
    }
    Ok(Arc::new(crate::sqlite::SqliteStore::open_with(path, &sqlite)?.shared()))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(path: &str, _options: &OpenOptions) -> Result<Arc<dyn Store>, StoreError> {
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
