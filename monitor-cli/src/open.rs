//! The store a command works on: `--db` (or `MONITOR_DATABASE_URL`), a
//! SQLite file that must exist or a `postgres://` URL; the audit key from
//! `--audit-key-file` or the library's environment variables.

use std::path::PathBuf;
use std::sync::Arc;

use monitor_sinks::sqlite::{AUDIT_KEY_ENV, AUDIT_KEY_FILE_ENV, AuditKeyRing};
use monitor_sinks::store::{OpenOptions, Store, open_with};

use crate::failure::{Failure, Result};

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
    // Newer than this binary: both stores compare the schema version they
    // find with the migrations they know, and refuse, saying so.
    Ok(open_with(db, &OpenOptions { audit_keys, existing_only: true })?)
}
