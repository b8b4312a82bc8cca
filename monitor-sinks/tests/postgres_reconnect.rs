//! A connection the server drops (a restart, a failover, an administrator)
//! is not reused: the failure is `unavailable`, naming the database, and
//! the next call connects anew, so the sink goes on writing by itself. A
//! lock held too long fails the batch as `storage_locked`.

mod pg_support;

use std::time::Duration;

use monitor_runtime::{Batch, Monitor, Severity, SinkErrorKind, capture_message};
use monitor_sinks::postgres::{PostgresOptions, PostgresSink, PostgresStore};
use monitor_sinks::store::{AuditQuery, GroupQuery, Store};
use pg_support::{TestSchema, fresh_schema_name};

/// The URL with an application name of its own, so the test can find its
/// connections (and only those) among the server's.
fn url_named(schema: &TestSchema, name: &str) -> String {
    format!("{}?application_name={name}", schema.url)
}

/// Ends every server connection of `name`, as a server restart would.
async fn drop_connections_of(schema: &TestSchema, name: &str) -> i64 {
    let rows = schema
        .query(&format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{name}'"
        ))
        .await;
    rows[0].get(0)
}

fn audit_batch() -> Batch {
    let mut builder = monitor_runtime::audit::AuditRecordBuilder::new(
        "payment_processing",
        "settle",
        monitor_runtime::audit::ComplianceStatus::Compliant,
    );
    builder.reference("payment", &"PAY-9");
    Batch { audits: vec![std::sync::Arc::new(builder.finish())], ..Batch::default() }
}

#[tokio::test]
async fn a_connection_the_server_dropped_is_replaced_on_the_next_call() {
    let schema = TestSchema::new("reconnect_store");
    let name = fresh_schema_name("app");
    let options = PostgresOptions::new(url_named(&schema, &name)).schema(&schema.name);
    let store = PostgresStore::connect(&options).await.unwrap();
    store.write_batch(&audit_batch()).await.unwrap();
    assert_eq!(drop_connections_of(&schema, &name).await, 1, "the pool kept one connection");

    // The first call may meet the dead connection before the pool knows it
    // is dead: then it fails as unavailable, naming the database.
    let mut failures = 0;
    for _ in 0..3 {
        match store.write_batch(&audit_batch()).await {
            Ok(()) => break,
            Err(error) => {
                assert_eq!(error.kind, SinkErrorKind::Unavailable, "{error}");
                assert!(error.message.contains(&format!("schema `{}`", schema.name)), "{error}");
                failures += 1;
            }
        }
    }
    assert!(failures <= 1, "{failures} failures: the dead connection was handed out again");
    let rows = store.audit_records(&AuditQuery::default()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(store.verify_audit_chain().await.unwrap().is_intact());
}

#[test]
fn the_sink_writes_on_after_its_connections_were_dropped() {
    let schema = TestSchema::new("reconnect_sink");
    let name = fresh_schema_name("app");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let guard = Monitor::builder()
        .flush_interval(Duration::from_millis(50))
        .sink(PostgresSink::new(url_named(&schema, &name)).schema(&schema.name))
        .install()
        .unwrap();
    let capture = || capture_message("settlement file rejected", Severity::Error);
    capture();
    assert!(guard.flush(Duration::from_secs(10)));
    assert!(runtime.block_on(drop_connections_of(&schema, &name)) >= 1);
    for _ in 0..5 {
        capture();
    }
    let stats = guard.shutdown();
    let store = runtime.block_on(schema.store());
    let groups = runtime.block_on(store.groups(&GroupQuery::default())).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].count, 6, "no count lost across the reconnect: {stats:?}");
}

#[tokio::test]
async fn a_lock_held_past_the_lock_timeout_fails_the_batch_as_locked() {
    let schema = TestSchema::new("locked");
    let options = schema.options().lock_timeout(Duration::from_millis(200));
    let store = PostgresStore::connect(&options).await.unwrap();
    // Another session holds the audit log's table lock, as a stuck
    // transaction would: the append waits for it, up to the lock timeout.
    let (holder, connection) = tokio_postgres::connect(&schema.url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    holder
        .batch_execute(&format!("BEGIN; LOCK TABLE {}.audit_log IN ACCESS EXCLUSIVE MODE", schema.name))
        .await
        .unwrap();
    let error = store.write_batch(&audit_batch()).await.unwrap_err();
    assert_eq!(error.kind, SinkErrorKind::Locked, "{error}");
    assert!(error.message.contains(&format!("schema `{}`", schema.name)), "{error}");
    holder.batch_execute("ROLLBACK").await.unwrap();
    store.write_batch(&audit_batch()).await.unwrap();
}
