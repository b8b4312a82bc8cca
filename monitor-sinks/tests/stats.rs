//! What the stats say while delivery goes on: a notification that left
//! the queue has its outcome counted, whoever looks and whenever.

mod support;

use std::time::{Duration, Instant};

use monitor_runtime::Notifier;
use monitor_runtime::alerts::Target;
use monitor_sinks::delivery::DeliveryOptions;
use support::{Platform, Reply, WebhookServer, keys, send, spool_dir, start_sink};

#[tokio::test]
async fn a_notification_is_counted_before_it_leaves_the_queue() {
    const ROUNDS: usize = 400;
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.script((0..ROUNDS).map(|i| if i % 2 == 0 { Reply::Ok } else { Reply::Status(400) }));
    let sink =
        start_sink("webhook", Target::Webhook(server.url("/hook")), &DeliveryOptions::new().spool_dir(dir.path()));
    let deadline = Instant::now() + Duration::from_secs(60);
    for (round, key) in keys("counted", ROUNDS).iter().enumerate() {
        send(&sink, std::slice::from_ref(key)).await;
        // Looks as often as it can while the delivery thread works on
        // another core: the moment the queue is empty, the outcome is there.
        loop {
            let stats = sink.stats();
            if stats.queued == 0 {
                let rejected = stats.dropped.get("rejected").copied().unwrap_or_default();
                assert_eq!(stats.sent + rejected, round as u64 + 1, "round {round}: {stats:?}");
                assert_eq!(stats.last_error.is_some(), rejected > 0, "round {round}: {stats:?}");
                break;
            }
            assert!(Instant::now() < deadline, "round {round} never finished: {stats:?}");
            std::hint::spin_loop();
        }
    }
}
