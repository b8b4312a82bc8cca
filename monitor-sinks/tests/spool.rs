//! The disk spool against a real server on loopback: nothing lost across
//! an outage, across a restart of the process, or at a flush; a backlog
//! that drains once the destination answers again.

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

/// How the receiver refuses during an outage: 503s for the first half,
/// then connections closed unanswered.
fn refuse_for(server: &WebhookServer, down: Duration, since: Instant) {
    server.set_default(if since.elapsed() < down / 2 { Reply::Status(503) } else { Reply::Close });
}

/// Every key the server accepted (2xx) as often as it accepted it, in order.
fn accepted_keys(server: &WebhookServer) -> Vec<String> {
    server.received().iter().filter(|r| (200..300).contains(&r.status)).map(|r| r.key()).collect()
}

/// An outage of `down` while an alert fires every 50 ms, then the receiver
/// answers 200 again while a few more fire: once `wait_idle` says so, every
/// notification arrived exactly once, in order. `down` is short in the
/// suite; the retry and breaker settings are scaled down with it, so the
/// receiver sees the same sequence (retries, an open circuit, failed
/// probes, a probe that succeeds, the replay) as in a long outage.
async fn outage_then_recovery(down: Duration) {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let sink = sink(server.url("/hook/SECRET"), &options(dir.path()));
    let mut keys = Vec::new();
    let mut fire = |n: usize| {
        let new = support::keys(&format!("outage{}", keys.len()), n);
        keys.extend(new.iter().cloned());
        new
    };
    send(&sink, &fire(3)).await;
    assert!(eventually(Duration::from_secs(5), || sink.stats().sent == 3).await);
    let outage = Instant::now();
    while outage.elapsed() < down {
        refuse_for(&server, down, outage);
        send(&sink, &fire(1)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let during = sink.stats();
    assert!(during.spooled > 0 && during.spool_pending > 0, "{during:?}");
    server.set_default(Reply::Ok);
    send(&sink, &fire(10)).await;

    // The backlog counts: idle only once it is delivered.
    assert!(sink.handle().wait_idle(Duration::from_secs(30)).await, "{:?}", sink.stats());
    assert_eq!(accepted_keys(&server), keys, "every notification exactly once, in order");
    let stats = sink.stats();
    assert_eq!((stats.sent, stats.spool_pending, stats.queued), (keys.len() as u64, 0, 0), "{stats:?}");
    assert!(stats.replayed > 0 && stats.dropped.is_empty(), "{stats:?}");
    assert!(spool::pending(dir.path(), "webhook").unwrap().is_empty());
}

#[tokio::test]
async fn after_an_outage_the_backlog_drains_before_wait_idle_returns_each_key_once_in_order() {
    outage_then_recovery(Duration::from_secs(4)).await;
}

/// Spools `keys` for the destination at `url` the way an earlier run whose
/// receiver was down leaves them, and ends that run.
async fn backlog_from_an_earlier_run(dir: &std::path::Path, url: &str, server: &WebhookServer, keys: &[String]) {
    server.set_default(Reply::Status(503));
    let options = options(dir)
        .retry(RetryPolicy::default().max_attempts(1))
        .breaker(BreakerPolicy::default().open_for(Duration::from_secs(3600)));
    let earlier = sink(url.to_owned(), &options);
    send(&earlier, keys).await;
    earlier.flush().await.unwrap();
    assert_eq!(earlier.stats().spool_pending, keys.len() as u64, "{:?}", earlier.stats());
    drop(earlier);
    server.set_default(Reply::Ok);
}

#[tokio::test]
async fn wait_idle_waits_for_the_backlog_an_earlier_run_left() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let url = server.url("/hook");
    let backlog = keys("earlier", 20);
    backlog_from_an_earlier_run(dir.path(), &url, &server, &backlog).await;
    let sink = sink(url, &options(dir.path()));
    let new = keys("new", 1);
    send(&sink, &new).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(30)).await, "{:?}", sink.stats());
    assert_eq!(server.delivered_keys(), [backlog, new].concat(), "the backlog first, then the new one");
    let stats = sink.stats();
    assert_eq!((stats.sent, stats.replayed, stats.spool_pending), (21, 21, 0), "{stats:?}");
}

#[tokio::test]
async fn flush_delivers_the_backlog_within_its_budget() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let url = server.url("/hook");
    let backlog = keys("earlier", 20);
    backlog_from_an_earlier_run(dir.path(), &url, &server, &backlog).await;
    let sink = sink(url, &options(dir.path()).flush_budget(Duration::from_secs(30)));
    let new = keys("new", 1);
    send(&sink, &new).await;
    sink.flush().await.unwrap();
    assert_eq!(server.delivered_keys(), [backlog, new].concat());
    assert_eq!(sink.stats().spool_pending, 0, "{:?}", sink.stats());
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
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let on_disk = std::fs::read(&path).unwrap();
        assert!(!String::from_utf8_lossy(&on_disk).contains("SECRET"), "webhook URLs are never stored: {path:?}");
        assert!(!path.to_string_lossy().contains("SECRET"), "nor named");
    }

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

/// Options for a destination that takes a long while to answer: one
/// attempt per notification, a request never timed out.
fn patient(dir: &std::path::Path) -> DeliveryOptions {
    options(dir)
        .retry(RetryPolicy::default().max_attempts(1))
        .request_timeout(Duration::from_secs(600))
        .breaker(BreakerPolicy::default().open_for(Duration::from_millis(200)).max_open(Duration::from_millis(200)))
}

#[tokio::test]
async fn a_second_instance_on_the_same_spool_uses_its_own_file_and_loses_nothing_of_the_first() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let url = server.url("/hook");
    let keys = keys("shared", 9);
    // The first instance spools five, delivers the first from its spool,
    // and is left waiting on the second (the receiver hangs).
    server.script([Reply::Status(503), Reply::Ok]);
    server.set_default(Reply::Hang);
    let first = sink(url.clone(), &patient(dir.path()));
    send(&first, &keys[..5]).await;
    assert!(eventually(Duration::from_secs(10), || server.received().len() == 3).await, "{:?}", first.stats());
    // Its cursor, past the delivered record, reaches the disk.
    first.flush().await.unwrap();

    // Installed again while the first still delivers: it must not take
    // over (and rewrite) the file the first one still appends to.
    let second = sink(url.clone(), &patient(dir.path()));
    let notices = second.stats().spool_notices;
    assert!(notices.iter().any(|n| n.contains("another open spool")), "{notices:?}");
    assert!(first.stats().spool_notices.is_empty(), "{:?}", first.stats());
    send(&first, &keys[5..]).await;
    // Still waiting on the receiver: these join its spool within the budget.
    first.flush().await.unwrap();
    assert_eq!(first.stats().queued, 0, "{:?}", first.stats());
    drop(second);
    drop(first);

    server.set_default(Reply::Ok);
    let next = sink(url, &options(dir.path()));
    assert!(next.handle().wait_idle(Duration::from_secs(30)).await, "{:?}", next.stats());
    assert_eq!(accepted_keys(&server), keys, "each exactly once, in order");
    assert!(spool::pending(dir.path(), "webhook").unwrap().is_empty());
}

#[tokio::test]
async fn a_changed_url_does_not_receive_what_was_spooled_for_the_old_one() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let (old_url, new_url) = (server.url("/hook/OLD-TOKEN"), server.url("/hook/NEW-TOKEN"));
    let old = keys("old", 3);
    backlog_from_an_earlier_run(dir.path(), &old_url, &server, &old).await;
    let server_saw = server.received().len();

    let sink = sink(new_url.clone(), &options(dir.path()));
    let new = keys("new", 1);
    send(&sink, &new).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(30)).await, "{:?}", sink.stats());
    let since: Vec<(String, String)> =
        server.received()[server_saw..].iter().map(|r| (r.path.clone(), r.key())).collect();
    assert_eq!(since, [("/hook/NEW-TOKEN".to_owned(), new[0].clone())], "only the new one, to the new URL");
    let notices = sink.stats().spool_notices;
    assert!(notices.iter().any(|n| n.contains("another target") && n.contains("3 notifications")), "{notices:?}");
    for name in std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()) {
        assert!(!name.contains("TOKEN"), "the URL is never in a file name: {name}");
    }
    drop(sink);

    // The old target, configured again, gets its own.
    let sink = self::sink(old_url, &options(dir.path()));
    assert!(sink.handle().wait_idle(Duration::from_secs(30)).await, "{:?}", sink.stats());
    let old_path: Vec<String> =
        server.received().iter().filter(|r| r.path == "/hook/OLD-TOKEN" && r.status == 200).map(|r| r.key()).collect();
    assert_eq!(old_path, old);
}

#[tokio::test]
async fn a_line_of_another_format_version_is_kept_counted_and_reported_not_replayed() {
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let url = server.url("/hook");
    let backlog = keys("v1", 2);
    backlog_from_an_earlier_run(dir.path(), &url, &server, &backlog).await;
    // A newer release wrote a line of its own format in between.
    let data = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".spool.jsonl"))
        .unwrap();
    let text = std::fs::read_to_string(&data).unwrap();
    let (first, rest) = text.split_at(text.find('\n').unwrap() + 1);
    let future =
        r#"{"v":2,"destination":"webhook","key":"from-the-future","payload":"a layout this release cannot read"}"#;
    std::fs::write(&data, format!("{first}{future}\n{rest}")).unwrap();

    let sink = sink(url.clone(), &options(dir.path()));
    assert!(sink.handle().wait_idle(Duration::from_secs(30)).await, "{:?}", sink.stats());
    assert_eq!(server.delivered_keys(), backlog, "the records of this version, not the other one");
    let stats = sink.stats();
    assert_eq!(stats.spool_other_version, 1, "{stats:?}");
    assert!(stats.dropped.is_empty(), "kept, not dropped: {stats:?}");
    assert!(stats.spool_notices.iter().any(|n| n.contains("another spool format version")), "{stats:?}");
    drop(sink);
    let kept = std::fs::read_to_string(&data).unwrap();
    assert_eq!(kept, format!("{future}\n"), "still in the file once the rest was delivered");

    // And across another start: still there, still counted.
    let sink = self::sink(url, &options(dir.path()));
    assert_eq!(sink.stats().spool_other_version, 1);
    send(&sink, &keys("after", 1)).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(30)).await);
    drop(sink);
    assert_eq!(std::fs::read_to_string(&data).unwrap(), format!("{future}\n"));
}

const HOLDER: &str = "MONITOR_SPOOL_HOLDER_CHILD";

/// The other process in `a_spool_file_owned_by_another_process_is_left_to_it`:
/// run by it as a child, it opens the destination's spool, says so by
/// creating a file, and keeps the spool open until its stdin is closed.
#[tokio::test]
async fn spool_holder_child_process() {
    let Ok(spec) = std::env::var(HOLDER) else { return };
    let mut lines = spec.lines();
    let (dir, url, ready) = (lines.next().unwrap(), lines.next().unwrap(), lines.next().unwrap());
    let holder = sink(url.to_owned(), &options(std::path::Path::new(dir)));
    std::fs::write(ready, "holding the spool").unwrap();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut rest);
    drop(holder);
    std::process::exit(0);
}

#[tokio::test]
async fn a_spool_file_owned_by_another_process_is_left_to_it() {
    use std::process::Stdio;
    let dir = spool_dir();
    let server = WebhookServer::start(Platform::Generic);
    let url = server.url("/hook");
    let ready = tempfile::tempdir().unwrap();
    let ready = ready.path().join("ready");
    let mut holder = Command::new(std::env::current_exe().unwrap())
        .args(["spool_holder_child_process", "--exact", "--nocapture"])
        .env(HOLDER, format!("{}\n{url}\n{}", dir.path().display(), ready.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(eventually(Duration::from_secs(30), || ready.exists()).await, "the other process did not start");

    let second = sink(url.clone(), &options(dir.path()));
    let notices = second.stats().spool_notices;
    assert!(notices.iter().any(|n| n.contains("another open spool") && n.contains(".1.spool.jsonl")), "{notices:?}");
    let keys = keys("beside", 3);
    send(&second, &keys).await;
    assert!(second.handle().wait_idle(Duration::from_secs(30)).await, "{:?}", second.stats());
    assert_eq!(server.delivered_keys(), keys);
    drop(second);

    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    // Gone: the next instance owns the first file again, and says nothing.
    let next = sink(url, &options(dir.path()));
    assert!(next.stats().spool_notices.is_empty(), "{:?}", next.stats());
}
