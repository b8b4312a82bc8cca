//! Delivery sinks inside the monitor: the worker's alert rules fire, the
//! router hands the notification over, and it arrives at a webhook on
//! loopback; shutdown leaves the spool consistent.

mod support;

use std::time::{Duration, UNIX_EPOCH};

use monitor_runtime::Monitor;
use monitor_runtime::alerting::ManualClock;
use monitor_runtime::alerts::AlertConfig;
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

/// The reload that the monitor could not take before destinations were
/// the builder's: a Slack destination added while the service runs is
/// delivered to, through the real delivery, at a server that keeps to
/// Slack's published limits; the one the reload removed gets nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_reload_that_adds_a_slack_destination_delivers_to_it() {
    let before = WebhookServer::start(Platform::Generic);
    let slack = WebhookServer::start(Platform::Slack);
    let dir = spool_dir();
    let rules = |destinations: &str, notify: &str| {
        AlertConfig::from_toml_str(&format!(
            r#"
            [destinations]
            {destinations}

            [[rules]]
            name = "new_kind_of_error"
            when = "new_group"
            severity = "error"
            notify = [{notify}]
            group_wait = "0s"
            "#
        ))
        .unwrap()
    };
    let guard = Monitor::builder()
        .service("billing")
        .alerts(rules(&format!("hook = {{ webhook = \"{}\" }}", before.url("/hook")), "\"hook\""))
        .delivery(DeliveryOptions::new().spool_dir(dir.path()))
        .install()
        .unwrap();
    monitor_runtime::capture_message("ledger out of balance", monitor_runtime::Severity::Error);
    assert!(guard.flush(Duration::from_secs(10)));
    assert!(eventually(Duration::from_secs(10), || before.received().len() == 1).await, "{:?}", guard.stats());

    // Only Slack from now on.
    let slack_only =
        rules(&format!("ops_chat = {{ slack = \"{}\" }}", slack.url("/services/T0/B0/SECRET")), "\"ops_chat\"");
    monitor_runtime::reload_alerts(slack_only).expect("a new Slack destination is taken");
    monitor_runtime::capture_message("bank file rejected", monitor_runtime::Severity::Error);
    assert!(guard.flush(Duration::from_secs(10)));
    let delivered = || guard.stats().destinations.get("ops_chat").map_or(0, |d| d.sent);
    assert!(eventually(Duration::from_secs(10), || delivered() == 1).await, "{:?}", guard.stats().destinations);
    let received = slack.received();
    assert_eq!(received.len(), 1, "exactly one Slack message");
    let text = received[0].body.to_string();
    assert!(text.contains("bank file rejected") && text.contains("new_kind_of_error"), "{text}");
    assert_eq!(before.received().len(), 1, "the removed destination got nothing more");
    let stats = guard.shutdown();
    assert_eq!(stats.alerts.reloads, 1);
    assert!(stats.dropped.is_empty(), "{:?}", stats.dropped);
}
