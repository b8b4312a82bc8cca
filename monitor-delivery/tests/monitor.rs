//! Delivery sinks inside the monitor: the worker's alert rules fire, the
//! router hands the notification over, and it arrives at a webhook on
//! loopback; shutdown leaves the spool consistent.

mod support;

use std::time::{Duration, UNIX_EPOCH};

use monitor_delivery::{DeliveryOptions, sinks_for, spool};
use monitor_runtime::Monitor;
use monitor_runtime::alerts::AlertConfig;
use monitor_runtime::rules::ManualClock;
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
    let sinks = sinks_for(&config, &DeliveryOptions::new().spool_dir(dir.path()).service("billing")).unwrap();
    let handle = sinks[0].handle();
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let mut builder = Monitor::builder().service("billing").alerts(config).clock(clock.clone());
    for sink in sinks {
        builder = builder.sink(sink);
    }
    let guard = builder.install().unwrap();

    monitor_runtime::heartbeat("health");
    for step in [Duration::from_secs(21 * 60), Duration::from_secs(1)] {
        clock.advance(step);
        assert!(guard.flush(Duration::from_secs(10)));
    }
    assert!(eventually(Duration::from_secs(10), || handle.stats().sent == 1).await, "{:?}", handle.stats());
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
    guard.shutdown();
    let spooled = spool::pending(dir.path(), "hook").unwrap();
    assert_eq!(spooled.len() as u64, handle.stats().spooled, "{:?}", handle.stats());
    assert!(spooled.iter().all(|r| r.destination == "hook"));
    assert!(
        handle.stats().sent + handle.stats().spooled >= 2,
        "the resolution was sent or spooled: {:?}",
        handle.stats()
    );
}
