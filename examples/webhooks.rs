//! Sends a sample alert to every destination named in the environment and
//! says what happened to each.
//!
//! ```text
//! MONITOR_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/…   \
//! MONITOR_DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/… \
//! MONITOR_TEAMS_WEBHOOK_URL=https://….logic.azure.com/workflows/… \
//! MONITOR_WEBHOOK_URL=https://example.org/alerts                   \
//! MONITOR_ALERTMANAGER_URL=http://127.0.0.1:9093                   \
//! MONITOR_SMTP_URL=smtps://mail.example.org:465 MONITOR_ALERT_EMAIL=oncall@example.org \
//!     cargo run -p monitor-examples --example webhooks [-- --large]
//! ```
//!
//! Destinations whose variable is not set are skipped. `--large` sends a
//! 5,000-character message, a 100 KB traceback and 40 context fields, to
//! show each platform's limits at work. What cannot be delivered within
//! 30 seconds stays in the spool (`MONITOR_SPOOL_DIR`, `./monitor-spool` by
//! default) and goes out the next time the example runs: first, before the
//! new alert, within the same 30 seconds. Each line says how many
//! notifications were delivered and how many still wait in the spool.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor::alerting::{Alert, AlertDetails, AlertState, Notification};
use monitor::delivery::{DeliveryNotifier, DeliveryOptions, destinations_from_env};
use monitor::{DestinationStats, EventKind, GroupKey, Notifier, Severity};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let large = std::env::args().any(|arg| arg == "--large");
    let (destinations, options) = match destinations_from_env().and_then(|d| Ok((d, DeliveryOptions::from_env()?))) {
        Ok(found) => found,
        Err(error) => {
            eprintln!("configuration error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if destinations.is_empty() {
        println!(
            "Nothing to do: set MONITOR_SLACK_WEBHOOK_URL, MONITOR_DISCORD_WEBHOOK_URL, MONITOR_TEAMS_WEBHOOK_URL, \
             MONITOR_WEBHOOK_URL, MONITOR_ALERTMANAGER_URL, or MONITOR_SMTP_URL with MONITOR_ALERT_EMAIL."
        );
        return ExitCode::SUCCESS;
    }
    // The sample's own service and link, unless the environment names them.
    let unset = |name: &str| std::env::var(name).map_or(true, |value| value.trim().is_empty());
    let mut options = options;
    if unset("MONITOR_SERVICE") {
        options = options.service("billing");
    }
    if unset("MONITOR_LINK_URL") {
        options = options.link("https://status.example.org/groups/{group}");
    }
    let mut notifiers = Vec::new();
    for destination in &destinations {
        match DeliveryNotifier::new(destination, &options) {
            Ok(notifier) => notifiers.push(notifier),
            Err(error) => {
                eprintln!("configuration error: {error}");
                return ExitCode::FAILURE;
            }
        }
    }

    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    for notifier in &notifiers {
        let key = format!("example-{stamp}-{}", notifier.destination());
        // Returns at once: each notifier delivers on its own thread.
        if let Err(error) = notifier.notify(Arc::new(sample(notifier.destination(), &key, large))) {
            eprintln!("{}: {error}", notifier.destination());
        }
    }
    for notifier in &notifiers {
        // Waits for the new alert and for any backlog an earlier run left
        // in the spool, while the destination answers.
        notifier.handle().wait_idle(Duration::from_secs(30)).await;
        // Whatever is still not delivered goes to the spool.
        let _ = notifier.flush().await;
        println!("{:<8} {:<52} {}", notifier.destination(), notifier.target(), outcome(&notifier.stats()));
    }
    ExitCode::SUCCESS
}

/// What happened, from the counts at exit: what was delivered and what
/// still waits in the spool, never one reported as the other.
fn outcome(stats: &DestinationStats) -> String {
    let mut parts = Vec::new();
    if stats.sent > 0 {
        let mut delivered = format!("delivered {}", stats.sent);
        if stats.replayed > 0 {
            delivered.push_str(&format!(" ({} from the spool)", stats.replayed));
        }
        if stats.retried > 0 {
            delivered.push_str(&format!(" after {} retries", stats.retried));
        }
        parts.push(delivered);
    }
    if let Some(why) = &stats.disabled {
        parts.push(format!("disabled: {why}"));
    }
    if stats.spool_pending > 0 {
        parts.push(format!(
            "{} waiting in the spool: sent when the destination answers (run again)",
            stats.spool_pending
        ));
    }
    if stats.queued > 0 {
        parts.push(format!("{} still in flight", stats.queued));
    }
    if !stats.dropped.is_empty() {
        parts.push(format!("dropped {:?}", stats.dropped));
    }
    let mut text = if parts.is_empty() { "nothing to deliver".to_owned() } else { parts.join("; ") };
    let undelivered = stats.spool_pending > 0 || stats.queued > 0 || !stats.dropped.is_empty();
    if undelivered
        && stats.disabled.is_none()
        && let Some(error) = &stats.last_error
    {
        text.push_str(&format!(" — {error}"));
    }
    text
}

/// The alert a payment service would send when card charges keep failing.
fn sample(destination: &str, key: &str, large: bool) -> Notification {
    let now = SystemTime::now();
    let mut details = AlertDetails {
        service: Some("billing".into()),
        environment: Some("production".into()),
        module: Some("billing::cards".into()),
        function: Some("charge".into()),
        group: Some(GroupKey(0x3f2a_9c41_d07e_5b11)),
        kind: Some(EventKind::Error),
        message: Some("card declined by issuer for invoice <*> (do_not_honor)".into()),
        error_type: Some("billing::cards::ChargeError".into()),
        user: Some("clerk-7".into()),
        trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
        traceback: vec!["card declined by issuer".into(), "at billing::cards::charge (src/cards.rs:42)".into()],
        backtrace: vec![
            "billing::cards::charge at src/cards.rs:42".into(),
            "billing::invoices::settle at src/invoices.rs:117".into(),
        ],
        occurrences: 12,
        tags: BTreeMap::from([("region".to_owned(), "eu-west-1".to_owned())]),
    };
    if large {
        details.message =
            Some(format!("card declined: {}", "the issuer said no, again. ".repeat(185)).chars().take(5000).collect());
        let frame = "at billing::cards::charge::{{closure}} (src/cards.rs:42:17) in tokio::runtime::task::harness";
        details.traceback = (0..100_000 / frame.len() + 1).map(|i| format!("{i:>4} {frame}")).collect();
        details.tags = (0..40).map(|i| (format!("context_field_{i:02}"), format!("value {i} ").repeat(8))).collect();
    }
    Notification {
        key: key.to_owned(),
        destination: destination.to_owned(),
        alert: Alert {
            rule: "too_many_errors".into(),
            severity: Severity::Critical,
            labels: BTreeMap::from([("function".to_owned(), "charge".to_owned())]),
            state: AlertState::Firing,
            value: 12.0,
            threshold: 10.0,
            summary: "12 errors within 1h (more than 10)".into(),
            starts_at: now - Duration::from_secs(60),
            ends_at: None,
            repeat_interval: Duration::from_secs(4 * 3600),
            details,
        },
        summary: None,
    }
}
