//! Delivery outcomes reach any `metrics` recorder, labelled by destination.

mod support;

use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use monitor_runtime::Notifier;
use monitor_runtime::alerts::{Destination, Target};
use monitor_sinks::delivery::{DeliveryNotifier, DeliveryOptions, RetryPolicy};
use support::{Platform, Reply, WebhookServer, keys, notification, spool_dir};

#[tokio::test]
async fn outcomes_are_published_as_counters() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.script([Reply::Status(503), Reply::Ok, Reply::Status(400)]);
    let destination =
        Destination { name: "metered".into(), target: Target::Webhook(server.url("/hook")), per_minute: None };
    let options = DeliveryOptions::new()
        .spool_dir(dir.path())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)));
    let sink = DeliveryNotifier::new(&destination, &options).unwrap();
    for key in keys("metrics", 2) {
        sink.notify(notification("metered", &key)).unwrap();
    }
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await);

    let mut counters = std::collections::BTreeMap::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let labels: Vec<String> = key.key().labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
        if let DebugValue::Counter(count) = value {
            counters.insert(format!("{}{{{}}}", key.key().name(), labels.join(",")), count);
        }
    }
    let count = |name: &str| counters.get(name).copied().unwrap_or_default();
    assert_eq!(count("monitor_notifications_total{destination=metered,outcome=sent}"), 1, "{counters:#?}");
    assert_eq!(count("monitor_notifications_total{destination=metered,outcome=retried}"), 1);
    assert_eq!(count("monitor_notifications_total{destination=metered,outcome=dropped}"), 1);
    assert_eq!(count("monitor_notifications_dropped_total{destination=metered,reason=rejected}"), 1);
}
