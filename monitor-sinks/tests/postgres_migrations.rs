//! Migrating a PostgreSQL schema: many instances starting at once migrate
//! it once, a schema a newer release migrated is refused, and a server that
//! is down fails fast with a message that names it (never the password).

mod pg_support;

use std::time::Duration;

use monitor_runtime::{Monitor, SinkErrorKind};
use monitor_sinks::postgres::{PostgresOptions, PostgresSink, PostgresStore, SCHEMA_VERSION};
use monitor_sinks::store::{GroupQuery, Store};
use pg_support::TestSchema;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_instances_starting_at_once_migrate_the_schema_once() {
    let schema = TestSchema::new("migrate_once");
    let starts: Vec<_> = (0..8)
        .map(|_| {
            let options = schema.options();
            tokio::spawn(async move { PostgresStore::connect(&options).await })
        })
        .collect();
    for start in starts {
        let store = start.await.unwrap().expect("every instance starts");
        assert!(store.groups(&GroupQuery::default()).await.unwrap().is_empty());
    }
    let versions: Vec<i32> = schema
        .query("SELECT version FROM monitor_schema_versions ORDER BY version")
        .await
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION as i32).collect::<Vec<_>>(), "one row per step, each once");
}

#[tokio::test]
async fn a_schema_migrated_by_a_newer_release_is_refused_naming_both_versions() {
    let schema = TestSchema::new("too_new");
    schema.store().await;
    let newer = SCHEMA_VERSION + 3;
    schema
        .query(&format!("INSERT INTO monitor_schema_versions (version, description) VALUES ({newer}, 'future')"))
        .await;

    let error = PostgresStore::connect(&schema.options()).await.unwrap_err();
    assert_eq!(error.kind, SinkErrorKind::Unavailable);
    assert!(error.message.contains(&format!("version {newer}")), "{error}");
    assert!(error.message.contains(&format!("the {SCHEMA_VERSION} this version")), "{error}");
    assert!(error.message.contains("upgrade monitor"), "says what to do: {error}");
    assert!(error.message.contains(&schema.name), "names the schema: {error}");
}

#[tokio::test]
async fn reopening_a_migrated_schema_keeps_what_it_holds() {
    let schema = TestSchema::new("reopen");
    schema.store().await;
    schema.query("INSERT INTO groups (group_key, template, module, function, file, line, severity, severity_rank, status, count, first_seen_ms, last_seen_ms) VALUES ('000000000000002a', 't', 'm', 'f', 'f.rs', 1, 'error', 3, 'open', 5, 1, 2)").await;
    let store = schema.store().await;
    assert_eq!(store.groups(&GroupQuery::default()).await.unwrap()[0].count, 5);
    let rows = schema.query("SELECT count(*) FROM monitor_schema_versions").await;
    assert_eq!(rows[0].get::<_, i64>(0), SCHEMA_VERSION as i64);
}

#[tokio::test]
async fn a_server_that_is_down_fails_fast_as_unavailable_without_the_password() {
    // Port 1 on the loopback: nothing listens, the connection is refused.
    let options =
        PostgresOptions::new("postgres://monitor:hunter2@127.0.0.1:1/monitor").connect_timeout(Duration::from_secs(2));
    let error = PostgresStore::connect(&options).await.unwrap_err();
    assert_eq!(error.kind, SinkErrorKind::Unavailable, "{error}");
    assert!(error.message.contains("PostgreSQL database `monitor` on 127.0.0.1:1"), "{error}");
    assert!(!error.message.contains("hunter2"), "{error}");
}

#[test]
fn installing_a_sink_whose_server_is_down_is_a_clear_install_error() {
    let sink =
        PostgresSink::new("postgres://monitor:hunter2@127.0.0.1:1/monitor").connect_timeout(Duration::from_secs(2));
    let error = Monitor::builder().sink(sink).install().err().expect("install fails");
    let message = error.to_string();
    assert!(message.contains("postgres"), "{message}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn a_sink_started_inside_a_users_runtime_connects_and_writes() {
    // `install()` inside async code: the sink connects on a thread of its
    // own, and writes on the monitor's worker.
    let schema = TestSchema::new("in_runtime");
    let guard = Monitor::builder().sink(PostgresSink::new(&schema.url).schema(&schema.name)).install().unwrap();
    monitor_runtime::capture_message("reconciliation file missing", monitor_runtime::Severity::Error);
    let stats = tokio::task::spawn_blocking(move || guard.shutdown()).await.unwrap();
    assert_eq!(stats.delivered.get("postgres"), Some(&stats.written), "{stats:?}");
    let store = schema.store().await;
    assert_eq!(store.event_count().await.unwrap(), 1);
}
