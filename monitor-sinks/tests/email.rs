//! E-mail delivery against a real SMTP server (aiosmtpd) on loopback.

mod support;

use std::time::Duration;

use monitor_runtime::Notifier;
use monitor_runtime::alerts::{Destination, Target};
use monitor_sinks::delivery::{BreakerPolicy, DeliveryNotifier, DeliveryOptions, RetryPolicy};
use monitor_sinks::spool;
use support::{SmtpServer, eventually, keys, notification, spool_dir};

fn options(dir: &tempfile::TempDir, smtp_url: &str) -> DeliveryOptions {
    DeliveryOptions::new()
        .spool_dir(dir.path())
        .smtp(smtp_url, "Billing alerts <alerts@example.org>")
        .link("https://status.example.org/groups/{group}")
        .retry(RetryPolicy::default().max_attempts(4).initial_backoff(Duration::from_millis(50)))
        .request_timeout(Duration::from_secs(5))
        .breaker(BreakerPolicy::default().open_for(Duration::from_millis(300)).max_open(Duration::from_secs(1)))
}

fn sink(recipients: &[&str], options: &DeliveryOptions) -> DeliveryNotifier {
    DeliveryNotifier::new(
        &Destination {
            name: "oncall".into(),
            target: Target::Email(recipients.iter().map(|r| r.to_string()).collect()),
            per_minute: None,
        },
        options,
    )
    .unwrap()
}

async fn send(sink: &DeliveryNotifier, keys: &[String]) {
    for key in keys {
        let _ = sink.notify(notification("oncall", key));
    }
}

#[tokio::test]
async fn alerts_arrive_with_a_subject_both_parts_and_every_recipient() {
    let dir = spool_dir();
    let server = SmtpServer::start(&[]);
    let sink = sink(&["oncall@example.org", "Team Lead <lead@example.org>"], &options(&dir, &server.url()));
    let keys = keys("mail", 2);
    send(&sink, &keys).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await);
    assert!(eventually(Duration::from_secs(5), || server.messages().len() == 2).await);
    let messages = server.messages();
    let (message, to) = &messages[0];
    assert_eq!(to, &["oncall@example.org", "lead@example.org"]);
    assert!(message.contains("Subject: [CRITICAL] too_many_errors: 12 errors within 1h (more than 10)"), "{message}");
    assert!(message.contains("From: \"Billing alerts\" <alerts@example.org>"), "{message}");
    assert!(message.contains("multipart/alternative"));
    assert!(message.contains("text/plain") && message.contains("text/html"));
    assert!(message.contains(&format!("Message-ID: <{}.oncall@example.org>", keys[0])), "{message}");
    assert!(message.contains("https://status.example.org/groups/"));
    assert!(messages[1].0.contains(&keys[1]), "in order");
    assert!(server.mails().iter().all(|m| m.tls.is_none()), "plain to loopback without a root certificate");
    assert_eq!(sink.stats().sent, 2);
}

#[tokio::test]
async fn a_transient_answer_is_retried() {
    let dir = spool_dir();
    let server = SmtpServer::start(&["--fail-first", "2", "--fail-code", "451 4.3.0 Mailbox busy, try again"]);
    let sink = sink(&["oncall@example.org"], &options(&dir, &server.url()));
    send(&sink, &keys("busy", 1)).await;
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 1).await, "{:?}", sink.stats());
    assert_eq!(server.attempts(), 3);
    assert_eq!(server.messages().len(), 1);
    assert_eq!(sink.stats().retried, 2);
}

#[tokio::test]
async fn a_permanent_answer_is_not_retried() {
    let dir = spool_dir();
    let server = SmtpServer::start(&["--always", "554 5.6.0 Message refused"]);
    let sink = sink(&["oncall@example.org"], &options(&dir, &server.url()));
    send(&sink, &keys("refused", 1)).await;
    assert!(sink.handle().wait_idle(Duration::from_secs(10)).await);
    let stats = sink.stats();
    assert_eq!(stats.dropped.get("rejected"), Some(&1), "{stats:?}");
    assert_eq!((stats.retried, stats.spooled, server.attempts()), (0, 0, 1));
    assert!(stats.last_error.unwrap().contains("554"));
}

#[tokio::test]
async fn mail_waits_in_the_spool_while_the_server_is_down() {
    let dir = spool_dir();
    // A port nobody listens on: start a server to learn a free port, then stop it.
    let down = SmtpServer::start(&[]);
    let url = down.url();
    drop(down);
    let first = sink(&["oncall@example.org"], &options(&dir, &url));
    let keys = keys("down", 3);
    send(&first, &keys).await;
    first.flush().await.unwrap();
    let spooled = spool::pending(dir.path(), "oncall").unwrap();
    assert_eq!(spooled.iter().map(|r| r.key.clone()).collect::<Vec<_>>(), keys);
    assert!(matches!(&spooled[0].payload, spool::Payload::Email { to, .. } if to == &["oncall@example.org"]));
    drop(first);

    // Back up on another port: a restarted process with the new address delivers the spool.
    let server = SmtpServer::start(&[]);
    let sink = sink(&["oncall@example.org"], &options(&dir, &server.url()));
    assert!(eventually(Duration::from_secs(10), || sink.stats().sent == 3).await, "{:?}", sink.stats());
    let messages = server.messages();
    for (message, key) in messages.iter().zip(&keys) {
        assert!(message.0.contains(key.as_str()));
    }
    assert_eq!(sink.stats().replayed, 3);
}
