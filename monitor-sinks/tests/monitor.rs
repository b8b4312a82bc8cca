//! Delivery sinks inside the monitor: the worker's alert rules fire, the
//! router hands the notification over, and it arrives at a webhook on
//! loopback; shutdown leaves the spool consistent.

mod support;

use std::time::{Duration, UNIX_EPOCH};

use monitor_runtime::Monitor;
use monitor_runtime::alerts::AlertConfig;
use monitor_runtime::rules::ManualClock;
use monitor_sinks::delivery::DeliveryOptions;
use monitor_sinks::spool;
use support::{Platform, Reply, WebhookServer, eventually, spool_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_fired_rule_reaches_the_webhook_and_shutdown_spools_the_rest() {
    let server = WebhookServer::start(Platform::Generic);
    let dir = spool_dir();
    let config = AlertConfig::from_toml_str(&format!(
        r#"
        [destinations]
        hook = {{ webhook = "{}" }}

        [[rules]]
        name = "health"
        when = "absent(heartbeat = \"health\") for 20m"
        severity = "critical"
        notify = ["hook"]
        group_wait = "1s"
        group_interval = "1m"
        "#,
        server.url("/hook/SECRET")
    ))
    .unwrap();
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let guard = Monitor::builder()
        .service("billing")
        .alerts(config)
        .delivery(DeliveryOptions::new().spool_dir(dir.path()).service("billing"))
        .clock(clock.clone())
        .install()
        .unwrap();
    let stats = || guard.stats().destinations["hook"].clone();

    monitor_runtime::heartbeat("health");
    for step in [Duration::from_secs(21 * 60), Duration::from_secs(1)] {
        clock.advance(step);
        assert!(guard.flush(Duration::from_secs(10)));
    }
    assert!(eventually(Duration::from_secs(10), || stats().sent == 1).await, "{:?}", stats());
    let received = server.received();
    assert_eq!(received[0].body["rule"], "health");
    assert_eq!(received[0].body["service"], "billing");
    assert_eq!(received[0].body["status"], "firing");

    // The webhook goes down; the resolution cannot be delivered before shutdown.
    server.set_default(Reply::Hang);
    monitor_runtime::heartbeat("health");
    for _ in 0..2 {
        clock.advance(Duration::from_secs(60));
        let _ = guard.flush(Duration::from_secs(10));
    }
    let last = guard.shutdown().destinations["hook"].clone();
    let spooled = spool::pending(dir.path(), "hook").unwrap();
    assert_eq!(spooled.len() as u64, last.spooled, "{last:?}");
    assert!(spooled.iter().all(|r| r.destination == "hook"));
    assert!(last.sent + last.spooled >= 2, "the resolution was sent or spooled: {last:?}");
}
