//! What a PostgreSQL failure means for the pipeline: the kind its drops are
//! counted under, and a message naming the database (never the password)
//! and what to do.
//!
//! A server that cannot be reached, a connection that was closed or timed
//! out, a server shutting down: `unavailable`, retried until it is back
//! (the pool drops a closed connection and connects anew). A full disk:
//! `storage_full`. A lock that could not be had, a deadlock, a
//! serialization failure: `storage_locked`, retried. Anything else:
//! `sink_error`.

use deadpool_postgres::PoolError;
use monitor_runtime::SinkErrorKind;
use tokio_postgres::error::SqlState;

use crate::store::StoreError;

/// A failure of `doing` against `database` (the store's description).
pub(crate) fn classify(database: &str, doing: &str, error: &tokio_postgres::Error) -> StoreError {
    let (kind, hint) = kind_of(error);
    StoreError { kind, message: format!("{database}: {doing} failed: {error} ({hint})") }
}

/// A failure to get a connection from the pool.
pub(crate) fn pool_error(database: &str, error: &PoolError) -> StoreError {
    match error {
        PoolError::Backend(error) => classify(database, "connecting", error),
        PoolError::Timeout(_) => StoreError {
            kind: SinkErrorKind::Unavailable,
            message: format!(
                "{database}: no connection within the time allowed ({error}); check that the server is up and \
                 reachable, or raise the pool size"
            ),
        },
        PoolError::Closed => StoreError {
            kind: SinkErrorKind::Unavailable,
            message: format!("{database}: the connection pool was closed"),
        },
        other => StoreError { kind: SinkErrorKind::Other, message: format!("{database}: connecting failed: {other}") },
    }
}

/// A refusal to extend the audit chain: the records are `rejected`, with
/// the reason.
pub(crate) fn refused(database: &str, reason: &str) -> StoreError {
    StoreError { kind: SinkErrorKind::Rejected, message: format!("{database}: {reason}") }
}

fn kind_of(error: &tokio_postgres::Error) -> (SinkErrorKind, &'static str) {
    if let Some(code) = error.code() {
        return kind_of_state(code);
    }
    if error.is_closed() {
        return (SinkErrorKind::Unavailable, "the connection was closed; a new one is made for the next call");
    }
    // Connecting, reading and writing fail with an I/O error as their
    // cause: the server is down, unreachable, or too slow to answer.
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return (SinkErrorKind::Unavailable, "check that the server is up and reachable");
        }
        source = cause.source();
    }
    if error.to_string().contains("timeout") || error.to_string().contains("timed out") {
        return (SinkErrorKind::Unavailable, "check that the server is up and reachable");
    }
    (SinkErrorKind::Other, "see the PostgreSQL message")
}

fn kind_of_state(code: &SqlState) -> (SinkErrorKind, &'static str) {
    let class = &code.code()[..2];
    if *code == SqlState::DISK_FULL {
        (SinkErrorKind::Full, "the server's disk is full: free space or grow the volume")
    } else if *code == SqlState::LOCK_NOT_AVAILABLE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::T_R_SERIALIZATION_FAILURE
    {
        (SinkErrorKind::Locked, "another transaction held a lock; the batch is tried again")
    } else if class == "08" || class == "57" || *code == SqlState::TOO_MANY_CONNECTIONS {
        (SinkErrorKind::Unavailable, "the server refused or dropped the connection; it is tried again")
    } else if class == "28" {
        (SinkErrorKind::Unavailable, "the server refused the user: check the user and password in the URL")
    } else if *code == SqlState::INVALID_CATALOG_NAME {
        (SinkErrorKind::Unavailable, "the database does not exist: create it (createdb) or fix the URL")
    } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        (SinkErrorKind::Unavailable, "the user lacks a privilege: grant it, or use a user that has it")
    } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
        (SinkErrorKind::Unavailable, "the server is read-only (a standby?): point the URL at the primary")
    } else {
        (SinkErrorKind::Other, "see the PostgreSQL message")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_to_the_kinds_drops_are_counted_under() {
        assert_eq!(kind_of_state(&SqlState::DISK_FULL).0, SinkErrorKind::Full);
        assert_eq!(kind_of_state(&SqlState::LOCK_NOT_AVAILABLE).0, SinkErrorKind::Locked);
        assert_eq!(kind_of_state(&SqlState::T_R_DEADLOCK_DETECTED).0, SinkErrorKind::Locked);
        assert_eq!(kind_of_state(&SqlState::ADMIN_SHUTDOWN).0, SinkErrorKind::Unavailable);
        assert_eq!(kind_of_state(&SqlState::CONNECTION_FAILURE).0, SinkErrorKind::Unavailable);
        assert_eq!(kind_of_state(&SqlState::UNIQUE_VIOLATION).0, SinkErrorKind::Other);
    }
}
