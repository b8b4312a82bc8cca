//! Webhook delivery against real HTTP servers on loopback: platform
//! limits, retries, `Retry-After`, pacing, disabled webhooks and isolation.

mod support;

use std::time::{Duration, SystemTime};

use monitor_delivery::{BreakerPolicy, DeliveryOptions, DeliverySink, RetryPolicy, sinks_for};
use monitor_runtime::Sink;
use monitor_runtime::alerts::{AlertConfig, Destination, Target};
use support::{Platform, Reply, WebhookServer, batch, eventually, keys, notification, spool_dir};

fn options(dir: &tempfile::TempDir) -> DeliveryOptions {
    DeliveryOptions::new()
        .spool_dir(dir.path())
        .retry(
            RetryPolicy::default().initial_backoff(Duration::from_millis(20)).max_backoff(Duration::from_millis(200)),
        )
        .request_timeout(Duration::from_millis(500))
        .breaker(BreakerPolicy::default().open_for(Duration::from_millis(300)).max_open(Duration::from_secs(1)))
}

fn sink(name: &str, target: Target, options: &DeliveryOptions) -> DeliverySink {
    let config = AlertConfig {
        destinations: vec![Destination { name: name.into(), target }],
        rules: Vec::new(),
        schedules: Vec::new(),
    };
    let mut sink = sinks_for(&config, options).unwrap().pop().unwrap();
    sink.start().unwrap();
    sink
}

async fn send(sink: &DeliverySink, keys: &[String]) {
    let notifications = keys.iter().map(|key| notification(sink.destination(), key)).collect();
    sink.write(&batch(notifications)).await.unwrap();
}

/// A notification as large as the example's `--large`: 5,000-character
/// message, 100 KB traceback, 40 context fields.
fn giant(destination: &str, key: &str) -> std::sync::Arc<monitor_runtime::rules::Notification> {
    let mut notification = (*notification(destination, key)).clone();
    let details = &mut notification.alert.details;
    details.message = Some("é".repeat(5000));
    details.traceback = (0..2500).map(|i| format!("frame {i}: billing::cards::charge (src/cards.rs:42)")).collect();
    details.tags = (0..40).map(|i| (format!("field_{i}"), "v".repeat(300))).collect();
    std::sync::Arc::new(notification)
}

#[tokio::test]
async fn the_platform_doubles_refuse_oversize_bodies_with_400() {
    use serde_json::json;
    let field = json!({ "name": "n", "value": "y".repeat(1000) });
    let oversize = [
        (Platform::Discord, json!({ "content": "x".repeat(2001) })),
        (Platform::Discord, json!({ "embeds": [{ "description": "x".repeat(3000), "fields": vec![field; 4] }] })),
        (Platform::Discord, json!({ "embeds": [{ "title": "x".repeat(257) }] })),
        (
            Platform::Slack,
            json!({ "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": "x".repeat(3001) } }] }),
        ),
        (Platform::Slack, json!({ "blocks": vec![json!({ "type": "divider" }); 51] })),
        (Platform::Teams, json!({ "type": "message", "text": "x".repeat(28 * 1024) })),
    ];
    let client = reqwest::Client::new();
    for (platform, body) in oversize {
        let server = WebhookServer::start(platform);
        let response = client.post(server.url("/hook")).json(&body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{platform:?} accepted an oversize body");
        let within =
            client.post(server.url("/hook")).json(&json!({ "content": "ok", "text": "ok" })).send().await.unwrap();
        assert_eq!(within.status().as_u16(), 200, "{platform:?} refused a small body");
    }
}

#[tokio::test]
async fn giant_alerts_are_accepted_by_every_platform_within_its_limits() {
    let dir = spool_dir();
    let options = options(&dir).link("https://status.example.org/groups/{group}");
    for (platform, target) in [
        (Platform::Slack, Target::Slack as fn(String) -> Target),
        (Platform::Discord, Target::Discord),
        (Platform::Teams, Target::Teams),
        (Platform::Generic, Target::Webhook),
    ] {
        let server = WebhookServer::start(platform);
        let sink = sink(&format!("{platform:?}"), target(server.url("/hook/T0/B0/SECRET")), &options);
        sink.write(&batch(vec![giant(sink.destination(), "giant-1")])).await.unwrap();
        assert!(sink.handle().wait_idle(Duration::from_secs(10)).await);
        let received = server.received();
        assert_eq!(received.len(), 1, "{platform:?}: {received:?}");
        assert_eq!(received[0].status, 200, "{platform:?} refused the body");
        assert_eq!(received[0].key(), "giant-1");
        assert!(received[0].body.to_string().contains("truncated") || platform == Platform::Generic);
        assert_eq!(sink.stats().sent, 1);
    }
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Slack);
    server.script([Reply::RetryAfter("2".into())]);
    let sink = sink("slack", Target::Slack(server.url("/services/T/B/X")), &options(&dir));
    send(&sink, &keys("ra", 1)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    let received = server.received();
    assert_eq!(received.iter().map(|r| r.status).collect::<Vec<_>>(), [429, 200]);
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_secs(2), "asked for 2 s, waited {waited:?}");
    assert_eq!(sink.stats().retried, 1);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let until = SystemTime::now() + Duration::from_secs(3);
    server.script([Reply::RetryAfter(httpdate::fmt_http_date(until))]);
    let sink = sink("webhook", Target::Webhook(server.url("/hook")), &options(&dir));
    send(&sink, &keys("date", 1)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    let received = server.received();
    // HTTP dates have whole seconds: the date is at least 2 s after the refusal.
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_secs(2), "waited {waited:?}");
    assert!(SystemTime::now() + Duration::from_secs(1) >= until);
}

#[tokio::test]
async fn discord_retry_after_in_the_body_is_honoured() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Discord);
    server.script([Reply::DiscordRetryAfter(1.5)]);
    let sink = sink("discord", Target::Discord(server.url("/api/webhooks/1/SECRET")), &options(&dir));
    send(&sink, &keys("discord", 1)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    let received = server.received();
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_millis(1500), "asked for 1.5 s, waited {waited:?}");
}

#[tokio::test]
async fn discord_waits_for_an_empty_bucket_to_refill() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Discord);
    server.script([Reply::BucketEmpty(1.0)]);
    let sink = sink("discord", Target::Discord(server.url("/api/webhooks/1/SECRET")), &options(&dir));
    send(&sink, &keys("bucket", 2)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 2).await, "{:?}", sink.stats());
    let received = server.received();
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_secs(1), "the bucket refills after 1 s, waited {waited:?}");
    assert_eq!(sink.stats().retried, 0, "pacing avoids the 429 altogether");
}

#[tokio::test]
async fn slack_is_paced_to_one_message_a_second() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Slack);
    let sink = sink("slack", Target::Slack(server.url("/services/T/B/X")), &options(&dir));
    send(&sink, &keys("paced", 3)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 3).await, "{:?}", sink.stats());
    let received = server.received();
    for pair in received.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(990), "Slack takes one message a second; gap {gap:?}");
    }
}

#[tokio::test]
async fn server_errors_timeouts_and_dropped_connections_are_retried() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.script([Reply::Status(500), Reply::Hang, Reply::Close, Reply::Status(503), Reply::Status(408)]);
    let sink = sink(
        "webhook",
        Target::Webhook(server.url("/hook")),
        &options(&dir).retry(RetryPolicy::default().max_attempts(6).initial_backoff(Duration::from_millis(20))),
    );
    let key = keys("flaky", 1);
    send(&sink, &key).await;
    assert!(eventually(Duration::from_secs(15), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    let received = server.received();
    assert_eq!(received.iter().map(|r| r.status).collect::<Vec<_>>(), [500, 0, 0, 503, 408, 200]);
    assert!(received.iter().all(|r| r.key() == key[0]), "every attempt carries the same key");
    let stats = sink.stats();
    assert_eq!((stats.retried, stats.spooled), (5, 0));
}

#[tokio::test]
async fn client_errors_and_501_are_not_retried() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.script([Reply::Status(400), Reply::Status(501), Reply::Status(401)]);
    let sink = sink("webhook", Target::Webhook(server.url("/hook")), &options(&dir));
    send(&sink, &keys("refused", 4)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    let stats = sink.stats();
    assert_eq!(server.received().len(), 4, "one attempt each");
    assert_eq!((stats.retried, stats.dropped.get("rejected").copied()), (0, Some(3)));
}

#[tokio::test]
async fn a_deleted_webhook_is_disabled_and_reported_without_its_token() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Discord);
    server.set_default(Reply::Status(404));
    let sink = sink("discord", Target::Discord(server.url("/api/webhooks/1/SECRET-TOKEN")), &options(&dir));
    send(&sink, &keys("gone", 1)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().disabled.is_some()).await);
    send(&sink, &keys("after", 3)).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await);
    let stats = sink.stats();
    let disabled = stats.disabled.clone().unwrap();
    assert!(disabled.contains("404") && disabled.contains("/api/***"), "{disabled}");
    assert!(!format!("{stats:?}").contains("SECRET"), "{stats:?}");
    assert!(!format!("{sink:?}").contains("SECRET"));
    assert_eq!(server.received().len(), 1, "nothing is sent to a deleted webhook again");
    assert_eq!(stats.spooled, 4, "kept for a corrected URL after restart");
}

#[tokio::test]
async fn a_slow_destination_holds_back_no_other() {
    let dir = spool_dir();
    let stuck = WebhookServer::start(Platform::Generic);
    stuck.set_default(Reply::Hang);
    let healthy = WebhookServer::start(Platform::Generic);
    let options = options(&dir).request_timeout(Duration::from_secs(30));
    let slow = sink("slow", Target::Webhook(stuck.url("/hook")), &options);
    let fast = sink("fast", Target::Webhook(healthy.url("/hook")), &options);
    let keys = keys("iso", 5);
    let mut notifications: Vec<_> = keys.iter().map(|k| notification("slow", k)).collect();
    notifications.extend(keys.iter().map(|k| notification("fast", k)));
    let batch = batch(notifications);
    slow.write(&batch).await.unwrap();
    fast.write(&batch).await.unwrap();
    assert!(fast.handle().wait_idle(Duration::from_secs(10)).await);
    assert_eq!(healthy.delivered_keys(), keys);
    assert_eq!(slow.stats().queued, 5, "still waiting on the server that hangs");
    assert_eq!(stuck.received().len(), 1);
}

#[tokio::test]
async fn write_takes_only_its_own_destination_and_never_waits() {
    let dir = spool_dir();
    let stuck = WebhookServer::start(Platform::Generic);
    stuck.set_default(Reply::Hang);
    let sink =
        sink("mine", Target::Webhook(stuck.url("/hook")), &options(&dir).request_timeout(Duration::from_secs(60)));
    let batch = batch(vec![notification("mine", "a"), notification("other", "b"), notification("mine", "c")]);
    // The server never answers, yet every write returns.
    for _ in 0..3 {
        sink.write(&batch).await.unwrap();
    }
    assert_eq!(sink.stats().queued, 6);
}

#[tokio::test]
async fn a_full_queue_drops_and_counts() {
    let dir = spool_dir();
    let stuck = WebhookServer::start(Platform::Generic);
    stuck.set_default(Reply::Hang);
    let options = options(&dir).queue_capacity(4).request_timeout(Duration::from_secs(60));
    let sink = sink("small", Target::Webhook(stuck.url("/hook")), &options);
    send(&sink, &keys("first", 1)).await;
    assert!(eventually(Duration::from_secs(5), || stuck.received().len() == 1).await);
    send(&sink, &keys("more", 10)).await;
    let stats = sink.stats();
    assert_eq!(stats.dropped.get("queue_full"), Some(&6), "{stats:?}");
    assert_eq!(stats.queued, 5);
}
