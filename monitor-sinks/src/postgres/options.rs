//! What a PostgreSQL store is told: the server's URL, the schema its tables
//! live in, the pool's size, how long a connection attempt may take, and the
//! audit chain's keys. Checked before anything connects, so a typo is an
//! error saying what to write instead.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use monitor_runtime::SinkErrorKind;
use tokio_postgres::config::{Host, SslMode};

use crate::chain::key::AuditKeyRing;
use crate::chain::state::AuditChainOptions;
use crate::store::StoreError;

/// Settings of a PostgreSQL store.
///
/// ```
/// use std::time::Duration;
/// use monitor_sinks::postgres::PostgresOptions;
///
/// let options = PostgresOptions::new("postgres://monitor@db.internal:5432/monitor")
///     .schema("payments")
///     .pool_size(4)
///     .connect_timeout(Duration::from_secs(2));
/// assert_eq!(options.schema.as_deref(), Some("payments"));
/// assert_eq!(options.describe().unwrap(), "PostgreSQL database `monitor` on db.internal:5432 (schema `payments`)");
/// ```
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    /// The server: `postgres://user[:password]@host[:port]/database`, or the
    /// key=value form (`host=… user=… dbname=…`). TLS is not built in, so
    /// `sslmode=require` is refused; the default `prefer` connects in plain.
    pub url: String,
    /// The schema the tables live in, created if missing (default: the
    /// connection's own `search_path`, usually `public`). Lower-case letters,
    /// digits and `_`, so it never needs quoting.
    pub schema: Option<String>,
    /// Connections kept open at most (default 8).
    pub pool_size: usize,
    /// How long connecting may take before the attempt fails as
    /// `unavailable` (default 5 s): short, so a server that is down fails
    /// fast instead of holding the caller.
    pub connect_timeout: Duration,
    /// How long a statement waits for a lock another instance holds (the
    /// audit chain's, a group's row) before the batch fails as
    /// `storage_locked` and is tried again (default 30 s).
    pub lock_timeout: Duration,
    /// The audit chain's keys and checkpoint (default: no key, unkeyed links
    /// only; with keys and no checkpoint path, no checkpoint is kept).
    pub audit: AuditChainOptions,
    /// Only open a schema that already holds a monitor store, never create
    /// one (default `false`): for tools that read a store, where a mistyped
    /// database or schema should be an error, not a new empty store.
    pub existing_only: bool,
}

impl PostgresOptions {
    /// Settings for the server at `url`, everything else by default.
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresOptions;
    ///
    /// let options = PostgresOptions::new("postgres://postgres@127.0.0.1/monitor");
    /// assert_eq!(options.pool_size, 8);
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        PostgresOptions {
            url: url.into(),
            schema: None,
            pool_size: 8,
            connect_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(30),
            audit: AuditChainOptions::default(),
            existing_only: false,
        }
    }

    /// Only opens a schema that already holds a monitor store: one without
    /// is refused, naming what it holds, and nothing is created in it.
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresOptions;
    ///
    /// assert!(PostgresOptions::new("postgres://localhost/db").existing_only(true).existing_only);
    /// ```
    pub fn existing_only(mut self, existing_only: bool) -> Self {
        self.existing_only = existing_only;
        self
    }

    /// Keeps the tables in `schema` (created if missing).
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresOptions;
    ///
    /// assert!(PostgresOptions::new("postgres://localhost/db").schema("Bad-Name").describe().is_err());
    /// ```
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Keeps at most `size` connections open (at least 1).
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresOptions;
    ///
    /// assert_eq!(PostgresOptions::new("postgres://localhost/db").pool_size(0).pool_size, 1);
    /// ```
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long connecting may take.
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_sinks::postgres::PostgresOptions;
    ///
    /// let options = PostgresOptions::new("postgres://localhost/db").connect_timeout(Duration::from_secs(1));
    /// assert_eq!(options.connect_timeout, Duration::from_secs(1));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a statement waits for another instance's lock (at least
    /// 1 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// use monitor_sinks::postgres::PostgresOptions;
    ///
    /// let options = PostgresOptions::new("postgres://localhost/db").lock_timeout(Duration::from_secs(5));
    /// assert_eq!(options.lock_timeout, Duration::from_secs(5));
    /// ```
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Signs the audit chain with one key or a ring (see
    /// [`AuditKeyRing`](crate::postgres::AuditKeyRing)).
    ///
    /// ```
    /// use monitor_sinks::postgres::{AuditKey, PostgresOptions};
    ///
    /// let key = AuditKey::from_hex(&"7e".repeat(32)).unwrap();
    /// let options = PostgresOptions::new("postgres://localhost/db").audit_keys(key);
    /// assert_eq!(options.audit.keys.len(), 1);
    /// ```
    pub fn audit_keys(mut self, keys: impl Into<AuditKeyRing>) -> Self {
        self.audit.keys = keys.into();
        self
    }

    /// Keeps the audit chain's signed checkpoint at `path` (a file every
    /// instance writing to the database can reach, and those who can write
    /// the database cannot).
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresOptions;
    ///
    /// let options = PostgresOptions::new("postgres://localhost/db").audit_checkpoint("/var/lib/monitor/checkpoint");
    /// assert!(options.audit.checkpoint.is_some());
    /// ```
    pub fn audit_checkpoint(mut self, path: impl Into<PathBuf>) -> Self {
        self.audit.checkpoint = Some(path.into());
        self
    }

    /// Which database this is, for people and error messages, never with
    /// the password: `PostgreSQL database `monitor` on 127.0.0.1:5432`.
    ///
    /// ```
    /// use monitor_sinks::postgres::PostgresOptions;
    ///
    /// let options = PostgresOptions::new("postgres://app:s3cret@127.0.0.1/monitor");
    /// let description = options.describe().unwrap();
    /// assert_eq!(description, "PostgreSQL database `monitor` on 127.0.0.1:5432");
    /// assert!(!description.contains("s3cret"));
    /// ```
    pub fn describe(&self) -> Result<String, StoreError> {
        Ok(self.target()?.description)
    }

    /// The checked connection settings.
    pub(crate) fn target(&self) -> Result<Target, StoreError> {
        let refuse = |message: String| StoreError { kind: SinkErrorKind::Other, message };
        let mut config = tokio_postgres::Config::from_str(&self.url).map_err(|error| {
            refuse(format!(
                "the PostgreSQL URL is not valid ({error}): write it as postgres://user[:password]@host[:port]/database"
            ))
        })?;
        if config.get_hosts().is_empty() {
            return Err(refuse(
                "the PostgreSQL URL names no host: write it as postgres://user[:password]@host[:port]/database"
                    .to_owned(),
            ));
        }
        if config.get_user().is_none() {
            return Err(refuse(
                "the PostgreSQL URL names no user: write it as postgres://user[:password]@host[:port]/database"
                    .to_owned(),
            ));
        }
        if config.get_ssl_mode() == SslMode::Require {
            return Err(refuse(
                "the PostgreSQL URL asks for sslmode=require, and this build has no TLS: connect over a private \
                 network or a local socket with sslmode=disable or prefer"
                    .to_owned(),
            ));
        }
        // Every connection of the store starts with these settings, after
        // any the URL gives. A lock not had within the lock timeout fails
        // the batch as `storage_locked` (it is tried again) instead of
        // waiting for ever; a session that sits in a transaction for a
        // minute (a frozen process holding the audit lock) is ended by the
        // server, which releases what it holds.
        let mut settings = config.get_options().map(|given| format!("{given} ")).unwrap_or_default();
        let lock_ms = self.lock_timeout.as_millis().clamp(1, i32::MAX as u128);
        settings.push_str(&format!("-c lock_timeout={lock_ms} -c idle_in_transaction_session_timeout=60000"));
        if let Some(schema) = &self.schema {
            check_schema_name(schema).map_err(refuse)?;
            // The schema first on the search path: statements name tables
            // without a prefix.
            settings.push_str(&format!(" -c search_path={schema}"));
        }
        config.options(settings);
        if config.get_application_name().is_none() {
            config.application_name("monitor");
        }
        config.connect_timeout(self.connect_timeout);
        let description = describe(&config, self.schema.as_deref());
        Ok(Target { config, description, schema: self.schema.clone(), existing_only: self.existing_only })
    }
}

/// Checked settings: what to connect to, and how to name it.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) description: String,
    pub(crate) schema: Option<String>,
    pub(crate) existing_only: bool,
}

fn describe(config: &tokio_postgres::Config, schema: Option<&str>) -> String {
    let user = config.get_user().unwrap_or_default();
    let database = config.get_dbname().unwrap_or(user);
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => format!("{host}:{port}"),
        #[cfg(unix)]
        Some(Host::Unix(path)) => format!("socket {}", path.display()),
        None => "localhost".to_owned(),
    };
    let mut description = format!("PostgreSQL database `{database}` on {host}");
    if let Some(schema) = schema {
        description.push_str(&format!(" (schema `{schema}`)"));
    }
    description
}

/// A schema name that needs no quoting: lower-case letters, digits and
/// `_`, not starting with a digit, at most 63 bytes, not a system schema.
fn check_schema_name(schema: &str) -> Result<(), String> {
    let valid_chars = schema.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let starts_well = schema.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    if !valid_chars || !starts_well || schema.len() > 63 {
        return Err(format!(
            "the schema name `{schema}` cannot be used: write 1 to 63 lower-case letters, digits and `_`, \
             starting with a letter or `_` (such as `monitor`)"
        ));
    }
    if schema.starts_with("pg_") || schema == "information_schema" {
        return Err(format!("the schema `{schema}` belongs to PostgreSQL itself: choose another, such as `monitor`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_that_would_need_quoting_are_refused_with_the_rule() {
        for bad in ["", "Payments", "1st", "a-b", "a b", "pg_temp", &"x".repeat(64)] {
            let error = PostgresOptions::new("postgres://u@h/d").schema(bad).target().unwrap_err();
            assert!(error.message.contains(bad), "{error}");
        }
        assert!(PostgresOptions::new("postgres://u@h/d").schema("_ok_2").target().is_ok());
    }

    #[test]
    fn a_bad_url_says_how_to_write_one_without_echoing_the_password() {
        let error = PostgresOptions::new("postgres://u:hunter2@h:notaport/d").target().unwrap_err();
        assert!(error.message.contains("postgres://user[:password]@host"), "{error}");
        assert!(!error.message.contains("hunter2"), "{error}");
        let error = PostgresOptions::new("postgres://u@h/d?sslmode=require").target().unwrap_err();
        assert!(error.message.contains("sslmode=require"), "{error}");
    }

    #[test]
    fn the_database_defaults_to_the_user_name() {
        let options = PostgresOptions::new("postgres://alice@db.example");
        assert_eq!(options.describe().unwrap(), "PostgreSQL database `alice` on db.example:5432");
    }
}
