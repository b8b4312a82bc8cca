//! The disk spool against a real server on loopback: nothing lost across a
//! 60-second outage, across a restart of the process, or at a flush.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use monitor_runtime::Notifier;
use monitor_runtime::alerts::{Destination, Target};
use monitor_sinks::delivery::{BreakerPolicy, DeliveryNotifier, DeliveryOptions, RetryPolicy};
use monitor_sinks::spool;
use support::{Platform, Reply, WebhookServer, eventually, keys, notification, spool_dir};

fn options(dir: &std::path::Path) -> DeliveryOptions {
    DeliveryOptions::new()
        .spool_dir(dir)
        .retry(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(50))
                .max_backoff(Duration::from_millis(400)),
        )
        .request_timeout(Duration::from_secs(1))
        .breaker(BreakerPolicy::default().open_for(Duration::from_millis(500)).max_open(Duration::from_secs(2)))
}

fn sink(url: String, options: &DeliveryOptions) -> DeliveryNotifier {
    DeliveryNotifier::new(
        &Destination { name: "webhook".into(), target: Target::Webhook(url), per_minute: None },
        options,
    )
    .unwrap()
}

async fn send(sink: &DeliveryNotifier, keys: &[String]) {
    for key in keys {
        let _ = sink.notify(notification("webhook", key));
    }
}

#[tokio::test]
async fn nothing_is_lost_across_a_60_second_outage() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let sink = sink(server.url("/hook/SECRET"), &options(dir.path()));
    let keys = keys("outage", 66);
    // Up, then 30 s of 503s, then 30 s of connections closed unanswered.
    send(&sink, &keys[..3]).await;
    assert!(eventually(Duration::from_secs(5), || sink.stats().sent == 3).await);
    server.set_default(Reply::Status(503));
    let outage = Instant::now();
    let mut next = 3;
    while outage.elapsed() < Duration::from_secs(60) {
        if outage.elapsed() >= Duration::from_secs(30) {
            server.set_default(Reply::Close);
        }
        if next < 63 {
            send(&sink, &keys[next..next + 1]).await;
            next += 1;
        }
        tokio::time::sleep(Duration::from_millis(950)).await;
    }
    let during = sink.stats();
    assert!(during.spooled > 0 && during.spool_pending > 0, "{during:?}");
    server.set_default(Reply::Ok);
    send(&sink, &keys[next..]).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == keys.len() as u64).await, "{:?}", sink.stats());
    assert_eq!(server.delivered_keys(), keys, "every notification, in order");
    let stats = sink.stats();
    assert!(stats.replayed > 0 && stats.dropped.is_empty(), "{stats:?}");
    assert_eq!(stats.spool_pending, 0);
    assert!(spool::pending(dir.path(), "webhook").unwrap().is_empty());
}

const CHILD: &str = "MONITOR_DELIVERY_RESTART_CHILD";

/// The first life of the process in `a_restart_with_a_non_empty_spool_loses_nothing`:
/// run by it as a child process, it hands notifications to a sink whose
/// server is down, flushes, and exits at once, without any clean-up.
#[tokio::test]
async fn restart_child_process() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    let mut lines = spec.lines();
    let (dir, url) = (lines.next().unwrap(), lines.next().unwrap());
    let keys: Vec<String> = lines.map(str::to_owned).collect();
    let sink = sink(url.to_owned(), &options(std::path::Path::new(dir)));
    send(&sink, &keys).await;
    sink.flush().await.unwrap();
    std::process::exit(0);
}

#[tokio::test]
async fn a_restart_with_a_non_empty_spool_loses_nothing() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.set_default(Reply::Status(503));
    let keys = keys("restart", 20);
    let url = server.url("/hook/SECRET");
    let spec = format!("{}\n{url}\n{}", dir.path().display(), keys.join("\n"));
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["restart_child_process", "--exact", "--nocapture"])
        .env(CHILD, spec)
        .status()
        .unwrap();
    assert!(status.success());
    let spooled: Vec<String> = spool::pending(dir.path(), "webhook").unwrap().into_iter().map(|r| r.key).collect();
    assert_eq!(spooled, keys, "the first process left everything in the spool, in order");
    let on_disk = std::fs::read_to_string(dir.path().join("webhook.spool.jsonl")).unwrap();
    assert!(!on_disk.contains("SECRET"), "webhook URLs are never stored");

    server.set_default(Reply::Ok);
    let sink = sink(url, &options(dir.path()));
    // Nothing written to this one: the spool is replayed at start.
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 20).await, "{:?}", sink.stats());
    assert_eq!(server.delivered_keys(), keys);
    assert_eq!(sink.stats().replayed, 20);
    let more = support::keys("after", 2);
    send(&sink, &more).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 22).await);
    assert!(spool::pending(dir.path(), "webhook").unwrap().is_empty());
}

#[tokio::test]
async fn flush_spools_what_is_not_delivered_within_its_budget() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.set_default(Reply::Hang);
    let sink = sink(server.url("/hook"), &options(dir.path()).request_timeout(Duration::from_secs(60)));
    let keys = keys("flush", 5);
    send(&sink, &keys).await;
    sink.flush().await.unwrap();
    let spooled: Vec<String> = spool::pending(dir.path(), "webhook").unwrap().into_iter().map(|r| r.key).collect();
    assert_eq!(spooled, keys);
    let stats = sink.stats();
    assert_eq!((stats.queued, stats.spooled, stats.spool_pending), (0, 5, 5));
}

#[tokio::test]
async fn dropping_the_sink_spools_what_is_in_memory() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.set_default(Reply::Hang);
    let sink = sink(server.url("/hook"), &options(dir.path()).request_timeout(Duration::from_secs(60)));
    let keys = keys("drop", 3);
    send(&sink, &keys).await;
    drop(sink);
    let spooled: Vec<String> = spool::pending(dir.path(), "webhook").unwrap().into_iter().map(|r| r.key).collect();
    assert_eq!(spooled, keys);
}

#[tokio::test]
async fn a_full_spool_drops_and_counts() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.set_default(Reply::Status(503));
    let sink = sink(server.url("/hook"), &options(dir.path()).spool_max_bytes(8 * 1024));
    send(&sink, &keys("full", 20)).await;
    sink.flush().await.unwrap();
    let stats = sink.stats();
    let full = stats.dropped.get("spool_full").copied().unwrap_or_default();
    assert!(full > 0 && stats.spooled > 0, "{stats:?}");
    assert_eq!(stats.spooled + full, 20, "{stats:?}");
    assert_eq!(spool::pending(dir.path(), "webhook").unwrap().len() as u64, stats.spooled);
}
