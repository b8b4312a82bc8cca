//! The whole path on a real SQLite file: many threads and tasks fail in
//! monitored functions, and the store ends up with every occurrence counted.

use std::time::Duration;

use monitor::sqlite::{GroupQuery, SqliteSink, SqliteStore};
use monitor::{ContextExt, Monitor, Severity, monitor};

#[derive(Debug)]
enum PaymentError {
    Declined { member: u32, amount_cents: u64 },
    Timeout { host: String },
}

impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PaymentError::Declined { member, amount_cents } => {
                write!(f, "payment of {amount_cents} cents for member {member} declined")
            }
            PaymentError::Timeout { host } => write!(f, "bank gateway {host} timed out"),
        }
    }
}

impl std::error::Error for PaymentError {}

#[monitor(severity = error)]
fn charge(member: u32) -> Result<(), PaymentError> {
    if member.is_multiple_of(3) {
        return Err(PaymentError::Declined { member, amount_cents: u64::from(member) * 1250 });
    }
    Ok(())
}

#[monitor(severity = critical)]
async fn settle(member: u32) -> Result<(), PaymentError> {
    tokio::task::yield_now().await;
    if member.is_multiple_of(5) {
        return Err(PaymentError::Timeout { host: format!("10.20.{}.{}:443", member % 7, member % 250) });
    }
    Ok(())
}

#[test]
fn every_occurrence_from_threads_and_tasks_is_counted_in_storage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let guard = Monitor::builder()
        .service("payments")
        .sink(SqliteSink::new(&path))
        .flush_interval(Duration::from_millis(20))
        .install()
        .unwrap();

    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                for member in (t * 300)..(t * 300 + 300) {
                    let _ = charge(member);
                }
            })
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..600).map(|m| tokio::spawn(settle(m).with_current_context())).collect();
        for task in tasks {
            let _ = task.await.unwrap();
        }
    });
    for thread in threads {
        thread.join().unwrap();
    }
    let stats = guard.shutdown();
    assert_eq!(stats.captured, 400 + 120);
    assert_eq!(stats.total_dropped(), 0, "{stats:?}");

    let store = SqliteStore::open(&path).unwrap();
    let groups = store.groups(&GroupQuery::default()).unwrap();
    let total: u64 = groups.iter().map(|g| g.count).sum();
    assert_eq!(total, stats.captured, "every occurrence is in a stored group count");
    assert_eq!(groups.len(), 2, "one group per failure kind: {groups:#?}");
    let critical =
        store.groups(&GroupQuery { min_severity: Some(Severity::Critical), ..GroupQuery::default() }).unwrap();
    assert_eq!(critical[0].count, 120);
    assert_eq!(store.event_count().unwrap(), stats.delivered["sqlite"]);
}
