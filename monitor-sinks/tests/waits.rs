//! Waits a server asks for: absurd ones are bounded and crash nothing,
//! long ones send the notification to the spool and pause the destination.

mod support;

use std::path::Path;
use std::time::Duration;

use monitor_runtime::Notifier;
use monitor_runtime::alerts::Target;
use monitor_sinks::delivery::{BreakerPolicy, DeliveryOptions, RetryPolicy};
use support::{Platform, Reply, WebhookServer, eventually, keys, send, spool_dir, spooled_keys, start_sink};

fn options(dir: &Path) -> DeliveryOptions {
    DeliveryOptions::new()
        .spool_dir(dir)
        .retry(
            RetryPolicy::default().initial_backoff(Duration::from_millis(20)).max_backoff(Duration::from_millis(200)),
        )
        .request_timeout(Duration::from_secs(2))
        .breaker(BreakerPolicy::default().open_for(Duration::from_millis(100)).max_open(Duration::from_millis(200)))
}

#[tokio::test]
async fn absurd_waits_from_the_server_crash_nothing_and_lose_nothing() {
    type MakeTarget = fn(String) -> Target;
    let cases: [(&str, Platform, MakeTarget, Reply); 3] = [
        ("retry-after", Platform::Generic, Target::Webhook, Reply::RetryAfter("9999999999999999999".into())),
        ("discord-body", Platform::Discord, Target::Discord, Reply::DiscordRetryAfter(1e19)),
        ("discord-bucket", Platform::Discord, Target::Discord, Reply::BucketEmpty(1e19)),
    ];
    for (name, platform, target, reply) in cases {
        let dir = spool_dir();
        let server = WebhookServer::start(platform);
        server.script([reply]);
        let url = server.url("/api/webhooks/1/SECRET");
        let keys = keys(name, 3);
        let sink = start_sink(name, target(url.clone()), &options(dir.path()));
        send(&sink, &keys[..2]).await;
        assert!(sink.handle().wait_idle(Duration::from_secs(10)).await, "{name}: {:?}", sink.stats());
        // The delivery thread still runs: a later notification is spooled,
        // not counted as stopped.
        send(&sink, &keys[2..]).await;
        assert!(sink.handle().wait_idle(Duration::from_secs(10)).await, "{name}: {:?}", sink.stats());
        sink.flush().await.unwrap();
        let stats = sink.stats();
        assert!(stats.dropped.is_empty(), "{name}: {stats:?}");
        let (delivered, spooled) = (server.delivered_keys(), spooled_keys(dir.path(), name));
        assert_eq!([delivered.clone(), spooled.clone()].concat(), keys, "{name}: each once, in order");
        assert_eq!((stats.sent, stats.spooled), (delivered.len() as u64, spooled.len() as u64), "{name}");
        assert_eq!(server.received().len(), 1, "{name}: the destination is paused, not retried");
        drop(sink);

        // The next process delivers what was kept, in order.
        let sink = start_sink(name, target(url), &options(dir.path()));
        let all = spooled.len() as u64;
        assert!(eventually(Duration::from_secs(10), || sink.stats().sent == all).await, "{name}: {:?}", sink.stats());
        assert_eq!(server.delivered_keys(), keys, "{name}");
    }
}

#[tokio::test]
async fn a_wait_longer_than_max_wait_spools_at_once_and_pauses_the_destination() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.script([Reply::RetryAfter("30".into())]);
    let options = options(dir.path()).retry(RetryPolicy::default().max_wait(Duration::from_secs(1)));
    let sink = start_sink("webhook", Target::Webhook(server.url("/hook")), &options);
    let keys = keys("long", 3);
    send(&sink, &keys[..2]).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await, "{:?}", sink.stats());
    let stats = sink.stats();
    assert_eq!((stats.retried, stats.spooled), (0, 2), "spooled at the first answer: {stats:?}");
    // Paused for the 30 s asked, not the breaker's own 100 ms: nothing is
    // tried in the next second, not even what arrives meanwhile.
    send(&sink, &keys[2..]).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(server.received().len(), 1, "{:?}", server.received());
    sink.flush().await.unwrap();
    assert_eq!(spooled_keys(dir.path(), "webhook"), keys);
}
