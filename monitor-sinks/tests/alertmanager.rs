//! Delivery to a real Prometheus Alertmanager (Debian's
//! `prometheus-alertmanager`, started here on a loopback port): an alert
//! is listed by its v2 API with its labels and annotations, stays while it
//! fires past the time each post lets it live, and ends on its resolve.

mod support;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use monitor_runtime::Notifier;
use monitor_runtime::alerting::{AlertState, Notification};
use monitor_runtime::alerts::Target;
use monitor_sinks::delivery::DeliveryOptions;
use serde_json::Value;
use support::{notification, spool_dir, start_sink};

/// An Alertmanager of its own, stopped when dropped.
struct Alertmanager {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Alertmanager {
    async fn start() -> Alertmanager {
        // A free port, let go of before Alertmanager binds it.
        let port = free_port();
        Self::start_on(port).await
    }

    async fn start_on(port: u16) -> Alertmanager {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("alertmanager.yml");
        // One receiver that sends nowhere: the test reads the alerts back.
        std::fs::write(&config, "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n").unwrap();
        let binary = ["prometheus-alertmanager", "alertmanager"]
            .into_iter()
            .find(|name| Command::new(name).arg("--version").output().is_ok_and(|out| out.status.success()))
            .expect("Alertmanager runs (Debian: prometheus-alertmanager); scripts/test installs it");
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // No cluster: one Alertmanager, no gossip port to find.
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let alertmanager = Alertmanager { child, url: format!("http://127.0.0.1:{port}"), _dir: dir };
        let ready = format!("{}/-/ready", alertmanager.url);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !client().get(&ready).send().await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "Alertmanager did not get ready on {ready}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        alertmanager
    }

    /// The alerts it lists (active, silenced, inhibited, unprocessed).
    async fn alerts(&self) -> Vec<Value> {
        let response = client().get(format!("{}/api/v2/alerts", self.url)).send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        body.as_array().cloned().unwrap_or_default()
    }

    /// The alert of `rule` it lists, if any, waiting up to `timeout`.
    async fn alert_of(&self, rule: &str, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.alerts().await.into_iter().find(|alert| alert["labels"]["alertname"] == rule);
            if found.is_some() || Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A client that gives up: a port that accepts and never answers fails
/// the test instead of hanging it.
fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap()
}

fn time_of(alert: &Value, field: &str) -> jiff::Timestamp {
    alert[field].as_str().unwrap_or_default().parse().unwrap_or_else(|e| panic!("{field} of {alert}: {e}"))
}

/// A notification of `too_many_errors` for the function `charge`, started
/// a second ago.
fn firing(key: &str) -> Notification {
    let mut notification = (*notification("alertmanager", key)).clone();
    notification.alert.starts_at = SystemTime::now() - Duration::from_secs(1);
    notification
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_listed_with_their_labels_kept_alive_while_firing_and_ended_by_a_resolve() {
    let alertmanager = Alertmanager::start().await;
    let dir = spool_dir();
    let resend = Duration::from_secs(1);
    let options = DeliveryOptions::new().spool_dir(dir.path()).service("billing").alertmanager_resend(resend);
    let sink = start_sink("alertmanager", Target::Alertmanager(alertmanager.url.clone()), &options);

    let mut notification = firing("am-1");
    notification.alert.labels.insert("http.route".into(), "/invoices/{id}".into());
    sink.notify(Arc::new(notification.clone())).unwrap();
    let alert = alertmanager.alert_of("too_many_errors", Duration::from_secs(10)).await.expect("the alert is listed");
    let labels = &alert["labels"];
    assert_eq!(labels["severity"], "critical");
    assert_eq!(labels["service"], "billing");
    assert_eq!(labels["function"], "charge", "the rule's group_by labels are labels");
    assert_eq!(labels["http_route"], "/invoices/{id}", "a label name Prometheus would refuse is made valid");
    assert_eq!(alert["status"]["state"], "active");
    assert!(alert["annotations"]["summary"].as_str().unwrap().starts_with("12 errors within 1h"));
    assert!(alert["annotations"]["description"].as_str().unwrap().contains("card declined for invoice am-1"));
    assert_eq!(alert["annotations"]["notification_key"], "am-1");
    let first_end = time_of(&alert, "endsAt");
    let posted = jiff::Timestamp::now();
    assert!(first_end > posted, "a firing alert ends in the future: {first_end}");
    assert!(first_end <= posted + Duration::from_secs(5), "…within four resends: {first_end}");

    // Longer than one post lets the alert live: the resends keep it.
    tokio::time::sleep(resend * 6).await;
    let alert = alertmanager.alert_of("too_many_errors", Duration::ZERO).await.expect("still listed while firing");
    assert_eq!(alert["status"]["state"], "active");
    assert!(time_of(&alert, "endsAt") > first_end, "each resend moves its end on");
    assert!(time_of(&alert, "endsAt") > jiff::Timestamp::now());

    notification.alert.state = AlertState::Resolved;
    notification.alert.ends_at = Some(SystemTime::now());
    notification.key = "am-2".into();
    sink.notify(Arc::new(notification)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alertmanager.alert_of("too_many_errors", Duration::ZERO).await.is_some() {
        assert!(Instant::now() < deadline, "the resolve ends the alert");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Not posted again once resolved: it would fire anew.
    tokio::time::sleep(resend * 3).await;
    assert!(alertmanager.alert_of("too_many_errors", Duration::ZERO).await.is_none(), "a resolved alert stays ended");
    let stats = sink.stats();
    assert_eq!((stats.sent, stats.dropped.values().sum::<u64>()), (2, 0), "resends are not counted: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_wait_in_the_spool_while_alertmanager_is_down_and_arrive_when_it_is_back() {
    let port = free_port();
    let dir = spool_dir();
    let options = DeliveryOptions::new()
        .spool_dir(dir.path())
        .retry(
            monitor_sinks::delivery::RetryPolicy::default().max_attempts(2).initial_backoff(Duration::from_millis(20)),
        )
        .breaker(
            monitor_sinks::delivery::BreakerPolicy::default()
                .open_for(Duration::from_millis(200))
                .max_open(Duration::from_millis(500)),
        );
    let down = format!("http://127.0.0.1:{port}");
    let sink = start_sink("alertmanager", Target::Alertmanager(down), &options);
    sink.notify(Arc::new(firing("am-down"))).unwrap();
    assert!(
        support::eventually(Duration::from_secs(10), || sink.stats().spooled == 1).await,
        "spooled while nothing answers: {:?}",
        sink.stats()
    );
    drop(sink);

    let alertmanager = Alertmanager::start_on(port).await;
    // The same destination, now answering: the spool is replayed at start.
    let sink = start_sink("alertmanager", Target::Alertmanager(alertmanager.url.clone()), &options);
    let alert = alertmanager.alert_of("too_many_errors", Duration::from_secs(15)).await;
    assert!(alert.is_some(), "the spooled alert arrives");
    assert!(support::eventually(Duration::from_secs(5), || sink.stats().replayed == 1).await, "{:?}", sink.stats());
}
