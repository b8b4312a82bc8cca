//! Fleet rules on PostgreSQL, end to end (as `fleet.rs` does on SQLite):
//! counts other instances wrote make a rule fire, and when the process
//! that leads is killed, its advisory lock goes with its connection and
//! another instance takes over.

mod pg_support;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use monitor_runtime::{GroupSnapshot, Monitor, MonitorBuilder, Severity, capture_message};
use monitor_sinks::postgres::{PostgresSink, PostgresStore};
use monitor_sinks::store::{AlertQuery, AlertStatus, Store};
use pg_support::TestSchema;
use serde_json::json;

const URL_VAR: &str = "PG_FLEET_TEST_URL";
const SCHEMA_VAR: &str = "PG_FLEET_TEST_SCHEMA";

/// Delivers nothing: the store's record of notifications is what is tested.
fn discard(
    _: &monitor_runtime::alerts::Destination,
) -> Result<Box<dyn monitor_runtime::Notifier>, monitor_runtime::DestinationError> {
    struct Discard;
    impl monitor_runtime::Notifier for Discard {
        fn notify(&self, _: Arc<monitor_runtime::alerting::Notification>) -> Result<(), monitor_runtime::NotifyError> {
            Ok(())
        }
    }
    Ok(Box::new(Discard))
}

fn fleet_monitor() -> MonitorBuilder {
    Monitor::builder()
        .service("payments")
        .alerts(monitor_runtime::alerts! {
            destination ops = webhook("https://hooks.example.org/ops");
            rule sepa_fleet {
                when errors(severity >= error) > 5 within 5m across fleet;
                notify ops; group_wait 0s; group_interval 1s; repeat_interval 1h;
            }
        })
        .delivery(discard)
        .status_sync_interval(Duration::from_millis(200))
}

fn sink(schema: &TestSchema) -> PostgresSink {
    PostgresSink::new(&schema.url).schema(&schema.name)
}

/// Six errors another instance counted just now.
fn another_instance_counted_six() -> monitor_runtime::Batch {
    let now = SystemTime::now();
    let group: GroupSnapshot = serde_json::from_value(json!({
        "key": 77, "template": "bank refused mandate <*>",
        "location": { "module": "payments::sepa", "function": "submit", "file": "src/sepa.rs", "line": 9 },
        "error_type": null, "severity": Severity::Error, "kind": "error", "status": "open", "status_changed": false,
        "count": 6, "new_occurrences": 6, "first_seen": now, "last_seen": now, "merged_into": null,
    }))
    .unwrap();
    monitor_runtime::Batch { groups: vec![group], ..Default::default() }
}

#[test]
fn a_fleet_rule_counts_what_the_other_instances_wrote() {
    let schema = TestSchema::new("fleet_rule");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let guard = fleet_monitor().sink(sink(&schema)).install().unwrap();
    let other = runtime.block_on(schema.store());
    runtime.block_on(other.write_batch(&another_instance_counted_six())).unwrap();
    let started = Instant::now();
    let fired = loop {
        assert!(guard.flush(Duration::from_secs(10)));
        let fired = runtime.block_on(other.notifications(Some("sepa_fleet"), 10)).unwrap();
        if !fired.is_empty() {
            break fired;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the fleet rule never fired");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!((fired[0].state.as_str(), fired[0].value), ("firing", 6.0));
    guard.shutdown();
}

/// The child: an instance of the service reporting errors until killed.
#[test]
#[ignore = "run by the failover test as a child process"]
fn postgres_fleet_instance() {
    let (Ok(url), Ok(schema)) = (std::env::var(URL_VAR), std::env::var(SCHEMA_VAR)) else { return };
    let guard = fleet_monitor().sink(PostgresSink::new(url).schema(schema)).install().unwrap();
    let fail = || capture_message("bank refused mandate", Severity::Error);
    let until = Instant::now() + Duration::from_secs(120);
    while Instant::now() < until {
        fail();
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(guard);
}

fn spawn_instance(schema: &TestSchema) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "postgres_fleet_instance", "--ignored", "--nocapture"])
        .env(URL_VAR, &schema.url)
        .env(SCHEMA_VAR, &schema.name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kills the children however the test ends.
struct Instances(Vec<Child>);

impl Drop for Instances {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn leader_pid(leader: Option<String>) -> Option<u32> {
    leader?.strip_prefix("pid ")?.split(' ').next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_leader_is_killed_another_instance_takes_over_at_once() {
    let schema = TestSchema::new("fleet_failover");
    // Migrated before the instances start, so they race for the lead only.
    let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&schema.options()).await.unwrap());
    let mut instances = Instances(vec![spawn_instance(&schema), spawn_instance(&schema)]);
    let pids: Vec<u32> = instances.0.iter().map(Child::id).collect();

    let wait_for = |what: &'static str, mut ready: Box<dyn FnMut(Option<u32>) -> bool + Send>| {
        let store = store.clone();
        async move {
            let started = Instant::now();
            loop {
                let leader = leader_pid(store.leader().await.unwrap());
                if ready(leader) {
                    return (leader, started.elapsed());
                }
                assert!(started.elapsed() < Duration::from_secs(30), "{what}: leader is {leader:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let known = pids.clone();
    let (first, _) =
        wait_for("a first leader", Box::new(move |leader| leader.is_some_and(|p| known.contains(&p)))).await;
    let first = first.unwrap();
    let started = Instant::now();
    let fired_before = loop {
        let firing = store.notifications(Some("sepa_fleet"), 100).await.unwrap();
        if !firing.is_empty() {
            break firing.len();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the fleet rule never fired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let leader = instances.0.iter_mut().find(|child| child.id() == first).unwrap();
    leader.kill().unwrap();
    leader.wait().unwrap();
    let (second, took) = wait_for("a new leader", Box::new(move |leader| leader.is_some_and(|p| p != first))).await;
    assert!(pids.contains(&second.unwrap()), "the survivor leads");
    // No lease to wait out: the lock went with the killed process's
    // connection, and the survivor asks every 200 ms.
    assert!(took < Duration::from_secs(5), "took over after {took:?}");

    // The new leader fires the same alert: one incident, notified again.
    let started = Instant::now();
    while store.notifications(Some("sepa_fleet"), 100).await.unwrap().len() <= fired_before {
        assert!(started.elapsed() < Duration::from_secs(30), "the new leader never notified");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let incidents =
        store.alerts(&AlertQuery { rule: Some("sepa_fleet".into()), ..AlertQuery::default() }).await.unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].status, AlertStatus::Active);
    drop(instances);
}
