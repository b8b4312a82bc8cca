//! A small invoice service, monitored: sync and async functions that fail
//! with varying messages, one slow call and one panicking thread. Writes
//! `monitor.db` (or the path in `MONITOR_DB`) and prints the groups it found.
//! With `MONITOR_DATABASE_URL=postgres://…` it writes to that PostgreSQL
//! database instead, where several instances add up; it says which.
//!
//! Run with `cargo run --example quickstart`.
//!
//! With alert destinations in the environment (`MONITOR_SLACK_WEBHOOK_URL`,
//! `MONITOR_DISCORD_WEBHOOK_URL`, `MONITOR_TEAMS_WEBHOOK_URL`,
//! `MONITOR_WEBHOOK_URL`, `MONITOR_SMTP_URL` with `MONITOR_ALERT_EMAIL`),
//! two rules alert them too: each new kind of error, and more than 10
//! errors within an hour. What cannot be delivered before the example ends
//! waits in the spool (`MONITOR_SPOOL_DIR`, `./monitor-spool` by default).

use std::fmt;
use std::time::{Duration, SystemTime};

use monitor::alerts::AlertConfig;
use monitor::delivery::{DeliveryOptions, destinations_from_env};
use monitor::store::GroupQuery;
use monitor::{Context, ContextExt, Monitor, MonitorGuard, monitor};
use monitor_examples::Database;

#[derive(Debug)]
enum InvoiceError {
    CreditLimit { invoice: u32, amount: u64, customer: String },
    RateTimeout { host: String, waited_ms: u64 },
}

impl fmt::Display for InvoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvoiceError::CreditLimit { invoice, amount, customer } => {
                write!(f, "invoice {invoice}: amount {amount} EUR exceeds the credit limit of customer {customer}")
            }
            InvoiceError::RateTimeout { host, waited_ms } => {
                write!(f, "exchange rate service at {host} timed out after {waited_ms}ms")
            }
        }
    }
}

impl std::error::Error for InvoiceError {}

#[monitor(args(invoice))]
fn validate_invoice(invoice: u32, amount: u64) -> Result<(), InvoiceError> {
    if amount > 5_000 {
        return Err(InvoiceError::CreditLimit { invoice, amount, customer: format!("C-{}", invoice % 7) });
    }
    Ok(())
}

#[monitor]
fn load_customer(id: u32) -> Result<String, std::io::Error> {
    let path = format!("/var/lib/invoices/customers/{id}.json");
    std::fs::read_to_string(path)
}

#[monitor(severity = warning)]
async fn fetch_exchange_rate(currency: &str, attempt: u32) -> Result<f64, InvoiceError> {
    tokio::time::sleep(Duration::from_millis(2)).await;
    if currency != "EUR" && attempt.is_multiple_of(3) {
        return Err(InvoiceError::RateTimeout {
            host: format!("10.0.3.{}:8443", attempt % 5),
            waited_ms: 200 + u64::from(attempt),
        });
    }
    Ok(1.08)
}

#[monitor(slow = "250ms")]
async fn render_pdf(invoice: u32) -> Vec<u8> {
    // One large invoice takes too long to render.
    let delay = if invoice == 13 { 300 } else { 1 };
    tokio::time::sleep(Duration::from_millis(delay)).await;
    vec![0u8; 64]
}

#[monitor(severity = critical)]
fn apply_discount(total: u64, percent: i64) -> u64 {
    assert!(percent >= 0, "negative discount of {percent}% on a total of {total}");
    total - total * percent as u64 / 100
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database = Database::from_env("MONITOR_DB", "monitor.db")?;
    println!("storing in {}\n", database.describe);
    let started = SystemTime::now();
    let builder = Monitor::builder().service("invoices").environment("quickstart").release(env!("CARGO_PKG_VERSION"));
    let mut builder = database.sink(builder);
    let alerting = match alerts_from_env()? {
        Some(config) => {
            builder = builder.alerts(config).delivery(DeliveryOptions::from_env()?.service("invoices"));
            true
        }
        None => false,
    };
    let guard = builder.install()?;

    for invoice in 1..=40u32 {
        let request = Context::new().user(format!("clerk-{}", invoice % 3)).trace_id(format!("trace-{invoice:04}"));
        let _scope = request.enter();
        let _ = validate_invoice(invoice, u64::from(invoice) * 250);
        if invoice % 10 == 0 {
            let _ = load_customer(invoice);
        }
        let currency = if invoice % 2 == 0 { "USD" } else { "EUR" };
        let _ = fetch_exchange_rate(currency, invoice).with_current_context().await;
        render_pdf(invoice).with_current_context().await;
    }

    // A worker thread that panics: the panic is recorded and still ends the thread.
    let worker = std::thread::spawn(|| apply_discount(1_000, -5));
    assert!(worker.join().is_err(), "the panic went on unwinding");

    if alerting {
        // The alerts are due a moment after the errors: give them time to
        // reach their destinations (chats are paced) before shutting down.
        tokio::time::sleep(Duration::from_millis(500)).await;
        report_deliveries(&guard).await;
    }
    let stats = guard.shutdown();
    println!(
        "captured {} occurrences, delivered {} events, dropped {}\n",
        stats.captured,
        stats.delivered.get(database.sink_name).copied().unwrap_or(0),
        stats.total_dropped()
    );

    let store = database.store()?;
    let groups = store
        .groups(&GroupQuery { seen_since: Some(started - Duration::from_secs(1)), ..GroupQuery::default() })
        .await?;
    println!("{:<9} {:>5}  {:<12} {:<12} template", "severity", "count", "first seen", "last seen");
    for group in &groups {
        println!(
            "{:<9} {:>5}  {:<12} {:<12} {}::{}: {}",
            group.severity.as_str(),
            group.count,
            clock(group.first_seen),
            clock(group.last_seen),
            group.location.module.rsplit("::").next().unwrap_or_default(),
            group.location.function,
            shorten(&group.template, 90),
        );
    }
    println!("\n{} groups; events and groups are in {}", groups.len(), database.describe);
    if database.is_sqlite() {
        let absolute = std::fs::canonicalize(&database.location).unwrap_or_else(|_| database.location.clone().into());
        println!(
            "try: sqlite3 {} 'SELECT kind, severity, message FROM events ORDER BY id DESC LIMIT 5'",
            absolute.display()
        );
    }
    Ok(())
}

/// The quickstart's two rules, sent to every destination the environment
/// names; `None` when it names none.
fn alerts_from_env() -> Result<Option<AlertConfig>, Box<dyn std::error::Error>> {
    let destinations = destinations_from_env()?;
    if destinations.is_empty() {
        println!(
            "(no alert destinations: set MONITOR_SLACK_WEBHOOK_URL, MONITOR_DISCORD_WEBHOOK_URL, \
             MONITOR_TEAMS_WEBHOOK_URL, MONITOR_WEBHOOK_URL or MONITOR_SMTP_URL with MONITOR_ALERT_EMAIL to get alerts)\n"
        );
        return Ok(None);
    }
    // Rules are checked by the same validator as any rule file; the
    // destinations come from the environment, checked as they are read.
    let rules = r#"
        [destinations]
        console = { console = true }

        [[rules]]
        name = "new_kind_of_error"
        when = "new_group(severity >= error)"
        notify = ["console"]
        group_wait = "10ms"

        [[rules]]
        name = "too_many_errors"
        when = "errors(severity >= error) > 10 within 1h"
        severity = "critical"
        notify = ["console"]
        group_wait = "10ms"
        "#;
    let mut config = AlertConfig::from_toml_str(rules)?;
    for rule in &mut config.rules {
        rule.notify = destinations.iter().map(|d| d.name.clone()).collect();
    }
    config.destinations = destinations;
    Ok(Some(config))
}

async fn report_deliveries(guard: &MonitorGuard) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    guard.flush(Duration::from_secs(5));
    while guard.stats().destinations.values().any(|d| d.queued > 0) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (name, stats) in guard.stats().destinations {
        println!(
            "alerts to {name}: {} sent, {} waiting in the spool, {} dropped{}",
            stats.sent,
            stats.spool_pending,
            stats.dropped.values().sum::<u64>(),
            stats.last_error.map(|e| format!(" (last error: {e})")).unwrap_or_default()
        );
    }
}

fn clock(time: SystemTime) -> String {
    let secs = time.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("{:02}:{:02}:{:02} UTC", secs / 3600 % 24, secs / 60 % 60, secs % 60)
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
