//! Webhook delivery against real HTTP servers on loopback: platform
//! limits, retries, `Retry-After`, pacing, disabled webhooks and isolation.

mod support;

use std::time::Duration;

use monitor_runtime::Notifier;
use monitor_runtime::alerts::Target;
use monitor_sinks::delivery::{BreakerPolicy, DeliveryOptions, RetryPolicy};
use support::{Platform, Reply, WebhookServer, eventually, keys, notification, send, spool_dir};
use support::{spooled_keys, start_sink as sink};

fn options(dir: &tempfile::TempDir) -> DeliveryOptions {
    DeliveryOptions::new()
        .spool_dir(dir.path())
        .retry(
            RetryPolicy::default().initial_backoff(Duration::from_millis(20)).max_backoff(Duration::from_millis(200)),
        )
        .request_timeout(Duration::from_millis(500))
        .breaker(BreakerPolicy::default().open_for(Duration::from_millis(300)).max_open(Duration::from_secs(1)))
}

/// A notification as large as the example's `--large`: 5,000-character
/// message, 100 KB traceback, 40 context fields.
fn giant(destination: &str, key: &str) -> std::sync::Arc<monitor_runtime::alerting::Notification> {
    let mut notification = (*notification(destination, key)).clone();
    let details = &mut notification.alert.details;
    details.message = Some("é".repeat(5000));
    details.traceback = (0..2500).map(|i| format!("frame {i}: billing::cards::charge (src/cards.rs:42)")).collect();
    details.tags = (0..40).map(|i| (format!("field_{i}"), "v".repeat(300))).collect();
    std::sync::Arc::new(notification)
}

/// Bodies exactly at one of a platform's limits, and one character over it.
fn at_and_over_each_limit() -> Vec<(Platform, &'static str, serde_json::Value, serde_json::Value)> {
    use serde_json::{Value, json};
    let x = |n: usize| "x".repeat(n);
    let embed = |embed: Value| json!({ "embeds": [embed] });
    let field = |name: String, value: String| json!({ "name": name, "value": value });
    let fields = |n: usize| vec![field("n".into(), "v".into()); n];
    let section =
        |text: String| json!({ "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }] });
    let header =
        |text: String| json!({ "blocks": [{ "type": "header", "text": { "type": "plain_text", "text": text } }] });
    let section_fields = |n: usize, len: usize| {
        let fields = vec![json!({ "type": "mrkdwn", "text": x(len) }); n];
        json!({ "blocks": [{ "type": "section", "fields": fields }] })
    };
    let blocks = |n: usize| json!({ "blocks": vec![json!({ "type": "divider" }); n] });
    let context = |n: usize| {
        let elements = vec![json!({ "type": "mrkdwn", "text": "c" }); n];
        json!({ "blocks": [{ "type": "context", "elements": elements }] })
    };
    // 6,000 characters in all with an author name of 200.
    let total = |author: usize| {
        let (footer, fields) = (json!({ "text": x(1000) }), [field(x(100), x(700))]);
        embed(json!({ "description": x(4000), "footer": footer, "author": { "name": x(author) }, "fields": fields }))
    };
    vec![
        (Platform::Discord, "content", json!({ "content": x(2000) }), json!({ "content": x(2001) })),
        (
            Platform::Discord,
            "embeds",
            json!({ "embeds": vec![json!({ "title": "t" }); 10] }),
            json!({ "embeds": vec![json!({ "title": "t" }); 11] }),
        ),
        (Platform::Discord, "title", embed(json!({ "title": x(256) })), embed(json!({ "title": x(257) }))),
        (
            Platform::Discord,
            "description",
            embed(json!({ "description": x(4096) })),
            embed(json!({ "description": x(4097) })),
        ),
        (
            Platform::Discord,
            "footer",
            embed(json!({ "footer": { "text": x(2048) } })),
            embed(json!({ "footer": { "text": x(2049) } })),
        ),
        (
            Platform::Discord,
            "author",
            embed(json!({ "author": { "name": x(256) } })),
            embed(json!({ "author": { "name": x(257) } })),
        ),
        (Platform::Discord, "fields", embed(json!({ "fields": fields(25) })), embed(json!({ "fields": fields(26) }))),
        (
            Platform::Discord,
            "field name",
            embed(json!({ "fields": [field(x(256), "v".into())] })),
            embed(json!({ "fields": [field(x(257), "v".into())] })),
        ),
        (
            Platform::Discord,
            "field value",
            embed(json!({ "fields": [field("n".into(), x(1024))] })),
            embed(json!({ "fields": [field("n".into(), x(1025))] })),
        ),
        (
            Platform::Discord,
            "empty field value",
            embed(json!({ "fields": [field("n".into(), "v".into())] })),
            embed(json!({ "fields": [field("n".into(), String::new())] })),
        ),
        (Platform::Discord, "embed total", total(200), total(201)),
        (Platform::Slack, "section text", section(x(3000)), section(x(3001))),
        (Platform::Slack, "header", header(x(150)), header(x(151))),
        (Platform::Slack, "section fields", section_fields(10, 1), section_fields(11, 1)),
        (Platform::Slack, "section field", section_fields(1, 2000), section_fields(1, 2001)),
        (Platform::Slack, "blocks", blocks(50), blocks(51)),
        (Platform::Slack, "context elements", context(10), context(11)),
        (Platform::Teams, "payload bytes", json!({ "text": x(28 * 1024 - 11) }), json!({ "text": x(28 * 1024 - 10) })),
    ]
}

#[tokio::test]
async fn the_platform_doubles_take_bodies_at_each_limit_and_refuse_one_over_with_400() {
    let client = reqwest::Client::new();
    for (platform, limit, within, over) in at_and_over_each_limit() {
        let server = WebhookServer::start(platform);
        let response = client.post(server.url("/hook")).json(&within).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{platform:?} refused a body at its {limit} limit");
        let response = client.post(server.url("/hook")).json(&over).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{platform:?} accepted a body over its {limit} limit");
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
        sink.notify(giant(sink.destination(), "giant-1")).unwrap();
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
    // The server writes the date when it answers, on a whole second, at least 2 s ahead.
    server.script([Reply::RetryAfterDate(Duration::from_secs(2))]);
    let sink = sink("webhook", Target::Webhook(server.url("/hook")), &options(&dir));
    send(&sink, &keys("date", 1)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    let received = server.received();
    let date = httpdate::parse_http_date(received[0].retry_after.as_deref().unwrap()).unwrap();
    assert!(date >= received[0].wall + Duration::from_secs(2), "the date asks for a wait");
    // Both sides of the comparison are the server's own wall clock.
    assert!(received[1].wall >= date, "retried at {:?}, before the date {date:?}", received[1].wall);
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
async fn teams_is_paced_to_four_messages_a_second() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Teams);
    let sink = sink("teams", Target::Teams(server.url("/workflows/SECRET")), &options(&dir));
    send(&sink, &keys("teams", 6)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 6).await, "{:?}", sink.stats());
    let received = server.received();
    assert_eq!(received.len(), 6);
    // The client spaces starts by 250 ms; the server sees them a little
    // later, each by its own delay, hence some room per gap.
    for pair in received.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(200), "Teams takes four messages a second; gap {gap:?}");
    }
    let spread = received[5].at - received[0].at;
    assert!(spread >= Duration::from_millis(5 * 250 - 50), "six messages spread over {spread:?}");
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

/// A webhook deleted on the platform (404 or 410): disabled end to end.
async fn check_deleted_webhook(status: u16, platform: Platform, target: fn(String) -> Target, path: &str) {
    let dir = spool_dir();
    let server = WebhookServer::start(platform);
    server.set_default(Reply::Status(status));
    let sink = sink("deleted", target(server.url(path)), &options(&dir));
    let gone = keys("gone", 1);
    send(&sink, &gone).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await);
    let after = keys("after", 3);
    send(&sink, &after).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await);
    let stats = sink.stats();
    let disabled = stats.disabled.clone().unwrap_or_else(|| panic!("{status} did not disable: {stats:?}"));
    assert!(disabled.contains(&status.to_string()) && disabled.contains(sink.target()), "{disabled}");
    assert!(!format!("{stats:?}").contains("SECRET"), "{stats:?}");
    assert!(!format!("{sink:?}").contains("SECRET"));
    assert_eq!(server.received().len(), 1, "nothing is sent to a deleted webhook again");
    assert_eq!(
        stats.spooled, 4,
        "kept on disk; a corrected URL is another target, whose spool says how to take these over"
    );
    sink.flush().await.unwrap();
    assert_eq!(spooled_keys(dir.path(), "deleted"), [gone, after].concat());
}

#[tokio::test]
async fn a_deleted_webhook_is_disabled_and_reported_without_its_token() {
    check_deleted_webhook(404, Platform::Discord, Target::Discord, "/api/webhooks/1/SECRET-TOKEN").await;
}

#[tokio::test]
async fn a_webhook_answering_410_is_disabled_like_404() {
    check_deleted_webhook(410, Platform::Slack, Target::Slack, "/services/T0/B0/SECRET").await;
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
    for key in &keys {
        slow.notify(notification("slow", key)).unwrap();
        fast.notify(notification("fast", key)).unwrap();
    }
    assert!(fast.handle().wait_idle(Duration::from_secs(10)).await);
    assert_eq!(healthy.delivered_keys(), keys);
    assert_eq!(slow.stats().queued, 5, "still waiting on the server that hangs");
    // The slow destination's thread may not have reached its server yet.
    assert!(eventually(Duration::from_secs(5), || stuck.received().len() == 1).await);
}

#[tokio::test]
async fn notify_never_waits() {
    let dir = spool_dir();
    let stuck = WebhookServer::start(Platform::Generic);
    stuck.set_default(Reply::Hang);
    let sink =
        sink("mine", Target::Webhook(stuck.url("/hook")), &options(&dir).request_timeout(Duration::from_secs(60)));
    // The server never answers, yet every notification is taken at once.
    for key in ["a", "b", "c"] {
        sink.notify(notification("mine", key)).unwrap();
    }
    assert_eq!(sink.stats().queued, 3);
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
