//! The server goes down while a monitor writes to it, and comes back: the
//! writes fail as unavailable meanwhile, the group counts and audit records
//! wait and are written once the server is back (the pool connects anew by
//! itself), and the audit chain is intact.
//!
//! The test stops and starts a PostgreSQL cluster of its own (`outage`, on
//! port 5433, see `scripts/pg-outage-cluster`), so no other test loses its
//! server meanwhile. `MONITOR_OUTAGE_DATABASE_URL` names another server the
//! test may stop and start with the same script.

mod pg_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use monitor_runtime::audit::{AuditEvent, audit};
use monitor_runtime::{Monitor, Severity, capture_message};
use monitor_sinks::postgres::{PostgresOptions, PostgresSink, PostgresStore};
use monitor_sinks::store::{AuditQuery, GroupQuery, Store};
use pg_support::fresh_schema_name;

fn outage_cluster(action: &str) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-outage-cluster");
    let output = Command::new("bash").arg(&script).arg(action).output().expect("bash runs");
    assert!(
        output.status.success(),
        "`{} {action}` failed (it needs root and Debian's postgresql-common):\n{}{}",
        script.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts the cluster again when the test ends, however it ends.
struct Restart;

impl Drop for Restart {
    fn drop(&mut self) {
        outage_cluster("start");
    }
}

#[derive(AuditEvent)]
#[audit(process = "payment_processing", action = "settle", status = compliant)]
struct Settled {
    #[audit(reference = "payment")]
    payment: u32,
}

#[test]
fn records_wait_out_a_server_outage_and_are_written_when_it_is_back() {
    outage_cluster("start");
    let _restart = Restart;
    let url = std::env::var("MONITOR_OUTAGE_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".to_owned());
    let schema = fresh_schema_name("outage");
    let guard = Monitor::builder()
        .flush_interval(Duration::from_millis(50))
        .shutdown_timeout(Duration::from_secs(60))
        .sink(PostgresSink::new(&url).schema(&schema).connect_timeout(Duration::from_secs(1)))
        .install()
        .unwrap();
    let capture = || capture_message("settlement file rejected", Severity::Error);
    capture();
    audit(&Settled { payment: 1 }).unwrap();
    assert!(guard.flush(Duration::from_secs(10)));

    outage_cluster("stop");
    for payment in 2..=4 {
        capture();
        audit(&Settled { payment }).unwrap();
    }
    // New kinds of error while the server is down: their events are samples
    // of counted groups, dropped (and counted by reason) when the write
    // fails; their counts wait like the audit records.
    let new_kinds = ["mandate archive unreachable", "bank cut-off missed", "ledger out of balance"];
    for message in new_kinds {
        capture_message(message, Severity::Error);
    }
    // While the server is down, writes fail (reported on stderr as
    // unavailable) and the audit records and counts wait to be retried.
    // A loaded machine may take a while to try: wait for the first failed
    // write of the new kinds' events rather than for a fixed time.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !guard.stats().dropped.contains_key("postgres:unavailable") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(guard.stats().audits_delivered.get("postgres"), Some(&1), "{:?}", guard.stats());

    outage_cluster("start");
    capture();
    audit(&Settled { payment: 5 }).unwrap();
    let stats = guard.shutdown();
    assert_eq!(stats.audits_delivered.get("postgres"), Some(&5), "{stats:?}");
    assert!(stats.dropped.get("postgres:unavailable").is_some_and(|n| *n >= 1), "events dropped by reason: {stats:?}");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = PostgresStore::connect(&PostgresOptions::new(&url).schema(&schema)).await.unwrap();
        let groups = store.groups(&GroupQuery::default()).await.unwrap();
        assert_eq!(groups.len(), 4, "{groups:?}");
        let settlement = groups.iter().find(|g| g.template.contains("settlement")).unwrap();
        assert_eq!(settlement.count, 5, "no count lost to the outage");
        assert!(groups.iter().all(|g| g.count >= 1));
        assert_eq!(store.audit_records(&AuditQuery::default()).await.unwrap().len(), 5);
        let report = store.verify_audit_chain().await.unwrap();
        assert!(report.is_intact() && report.rows == 5, "{report}");
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    });
}
