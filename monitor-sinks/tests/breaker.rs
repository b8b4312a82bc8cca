//! The circuit breaker and unreachable destinations, against real servers
//! on loopback.

mod support;

use std::path::Path;
use std::time::Duration;

use monitor_runtime::Notifier;
use monitor_runtime::alerts::Target;
use monitor_sinks::delivery::{BreakerPolicy, DeliveryOptions, RetryPolicy};
use support::{Platform, Reply, WebhookServer, eventually, keys, send, spool_dir, spooled_keys, start_sink};

fn options(dir: &Path, open_for: Duration) -> DeliveryOptions {
    DeliveryOptions::new()
        .spool_dir(dir)
        .retry(RetryPolicy::default().max_attempts(2).initial_backoff(Duration::from_millis(20)))
        .request_timeout(Duration::from_secs(2))
        .breaker(BreakerPolicy::default().open_for(open_for).max_open(open_for * 2))
}

#[tokio::test]
async fn an_open_circuit_sends_nothing_until_its_probe_closes_it_then_the_spool_is_replayed_in_order() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    server.script([Reply::Status(503), Reply::Status(503)]);
    let open_for = Duration::from_secs(1);
    let sink = start_sink("webhook", Target::Webhook(server.url("/hook")), &options(dir.path(), open_for));
    let keys = keys("breaker", 4);
    // The first uses up its two attempts; the two queued behind it join it
    // in the spool when the circuit opens.
    send(&sink, &keys[..3]).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await, "{:?}", sink.stats());
    assert_eq!(sink.stats().spooled, 3);
    // Open or closed again by now, this one comes after the others.
    send(&sink, &keys[3..]).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 4).await, "{:?}", sink.stats());

    let received = server.received();
    let seen: Vec<(u16, String)> = received.iter().map(|r| (r.status, r.key())).collect();
    let expected: Vec<(u16, String)> = [(503, 0), (503, 0), (200, 0), (200, 1), (200, 2), (200, 3)]
        .into_iter()
        .map(|(status, i)| (status, keys[i].clone()))
        .collect();
    assert_eq!(seen, expected, "two failures, one probe, then the spool in order and nothing else");
    let quiet = received[2].at - received[1].at;
    assert!(quiet >= open_for, "the server heard nothing while the circuit was open, yet only {quiet:?} passed");
    let stats = sink.stats();
    assert_eq!((stats.replayed, stats.spool_pending), (stats.spooled, 0), "{stats:?}");
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_spooled() {
    // A port nobody listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = spool_dir();
    let url = format!("http://127.0.0.1:{port}/hook");
    let sink = start_sink("webhook", Target::Webhook(url), &options(dir.path(), Duration::from_secs(60)));
    let keys = keys("refused", 2);
    send(&sink, &keys).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await, "{:?}", sink.stats());
    let stats = sink.stats();
    assert_eq!((stats.retried, stats.spooled, stats.sent), (1, 2, 0), "{stats:?}");
    let error = stats.last_error.unwrap_or_default();
    assert!(error.contains("cannot connect"), "{error}");
    sink.flush().await.unwrap();
    assert_eq!(spooled_keys(dir.path(), "webhook"), keys);
}
