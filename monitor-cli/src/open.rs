//! The store a command works on: `--db` (or `MONITOR_DATABASE_URL`), a
//! SQLite file that must exist or a `postgres://` URL; the audit key from
//! `--audit-key-file` or the library's environment variables.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use monitor_sinks::sqlite::{AUDIT_KEY_ENV, AUDIT_KEY_FILE_ENV, AuditKeyRing};
use monitor_sinks::store::{OpenOptions, Store, open_with};

use crate::failure::{Failure, Result};

/// The table every monitor schema on PostgreSQL has, from its first
/// migration on.
const POSTGRES_VERSION_TABLE: &str = "monitor_schema_versions";

/// Opens the store named on the command line. It is never created here: a
/// mistyped path is an error, not a new empty file, and a PostgreSQL
/// database or schema without a monitor store is refused rather than
/// migrated into one.
pub(crate) fn store(db: Option<&str>, key_file: Option<&PathBuf>) -> Result<Arc<dyn Store>> {
    let Some(db) = db else {
        return Err(Failure(
            "no database given: pass --db monitor.db (a SQLite file) or --db postgres://…, or set MONITOR_DATABASE_URL"
                .to_owned(),
        ));
    };
    let audit_keys = match key_file {
        Some(path) => Some(AuditKeyRing::from_file(path).map_err(|error| Failure(error.to_string()))?),
        None if std::env::var_os(AUDIT_KEY_ENV).is_some() || std::env::var_os(AUDIT_KEY_FILE_ENV).is_some() => {
            Some(AuditKeyRing::from_env().map_err(|error| Failure(error.to_string()))?)
        }
        None => None,
    };
    let lower = db.trim_start().to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        refuse_postgres_without_a_store(db)?;
    }
    // Newer than this binary: both stores compare the schema version they
    // find with the migrations they know, and refuse, saying so.
    Ok(open_with(db, &OpenOptions { audit_keys, existing_only: true })?)
}

/// The library's `existing_only` covers SQLite files; on PostgreSQL it
/// would create the tables in whatever database and schema the URL names.
/// So the command looks first, in the schema the URL's search path picks,
/// and refuses one without monitor's version table. A URL or a server the
/// look cannot use is left to the library, whose messages say what is
/// wrong with it.
fn refuse_postgres_without_a_store(url: &str) -> Result<()> {
    let Ok(mut config) = tokio_postgres::Config::from_str(url) else { return Ok(()) };
    config.connect_timeout(Duration::from_secs(10));
    let database = described(&config);
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return Ok(()) };
    let found = runtime.block_on(async move {
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.ok()?;
        let connection = tokio::spawn(connection);
        let row = client
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL, current_schema(), \
                 (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())",
                &[&POSTGRES_VERSION_TABLE],
            )
            .await
            .ok();
        drop(client);
        let _ = connection.await;
        let row = row?;
        Some((row.get::<_, bool>(0), row.get::<_, Option<String>>(1), row.get::<_, i64>(2)))
    });
    match found {
        Some((false, schema, tables)) => {
            let schema = schema.unwrap_or_else(|| "(none: the search path names no schema that exists)".to_owned());
            let holds = match tables {
                0 => "no tables".to_owned(),
                1 => "1 table, none of them monitor's".to_owned(),
                n => format!("{n} tables, none of them monitor's"),
            };
            Err(Failure(format!(
                "{database} is not a monitor store (schema {schema} has {holds}): check the URL and its \
                 search_path; the command never creates a store"
            )))
        }
        _ => Ok(()),
    }
}

/// The database as people name it (never with the password):
/// `PostgreSQL database `monitor` on db:5432`.
fn described(config: &tokio_postgres::Config) -> String {
    let database = config.get_dbname().or(config.get_user()).unwrap_or("?");
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("PostgreSQL database `{database}` on {host}:{port}")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    #[test]
    fn a_database_is_named_without_its_password() {
        let config =
            tokio_postgres::Config::from_str("postgres://app:s3cret@db:5433/monitor?options=-c%20x%3Dy").unwrap();
        assert_eq!(super::described(&config), "PostgreSQL database `monitor` on db:5433");
    }
}
