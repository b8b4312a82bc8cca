//! What the PostgreSQL tests share: the server's URL, a schema of their own
//! per test (so tests run in parallel against one server) dropped when the
//! test ends, and plain SQL for looking behind the store's back.
//!
//! The server is `MONITOR_TEST_DATABASE_URL`, or PostgreSQL on
//! 127.0.0.1:5432 with user `postgres` and database `test`.

#![allow(dead_code, unreachable_pub)]

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

use monitor_sinks::postgres::{PostgresOptions, PostgresStore};
use tokio_postgres::{NoTls, Row};

/// The server the tests use.
pub fn database_url() -> String {
    std::env::var("MONITOR_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema name no other test uses: `prefix` and random digits.
pub fn fresh_schema_name(prefix: &str) -> String {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let random = RandomState::new().hash_one((std::process::id(), MADE.fetch_add(1, Ordering::Relaxed)));
    format!("{prefix}_{:016x}", random)
}

/// A schema for one test, dropped with everything in it when the guard
/// is dropped (also when the test fails).
pub struct TestSchema {
    pub name: String,
    pub url: String,
}

impl TestSchema {
    pub fn new(prefix: &str) -> Self {
        TestSchema { name: fresh_schema_name(prefix), url: database_url() }
    }

    /// A schema someone else made (a parent test's): dropped by this guard.
    pub fn named(name: &str) -> Self {
        TestSchema { name: name.to_owned(), url: database_url() }
    }

    pub fn options(&self) -> PostgresOptions {
        PostgresOptions::new(&self.url).schema(&self.name)
    }

    pub async fn store(&self) -> PostgresStore {
        PostgresStore::connect(&self.options()).await.expect("the test server is reachable")
    }

    /// Runs `sql` in this schema on a connection of its own.
    pub async fn query(&self, sql: &str) -> Vec<Row> {
        let (client, connection) =
            tokio_postgres::connect(&self.url, NoTls).await.expect("the test server is reachable");
        tokio::spawn(connection);
        client.batch_execute(&format!("SET search_path TO {}", self.name)).await.unwrap();
        client.query(sql, &[]).await.unwrap_or_else(|error| panic!("{sql}: {error}"))
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Drop may run inside a test's runtime, where blocking on a future
        // panics: a thread of its own runs the statement.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("dropping the test schema {} failed: {dropped:?}", self.name);
        }
    }
}
