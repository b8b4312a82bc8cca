//! Scheduled summaries end to end: a monitor with a SQLite store and a
//! manual clock captures errors, calls, an alert, a regression and audit
//! records; when the clock reaches 08:00 in Amsterdam the day's summary
//! arrives at a Slack double (which enforces Slack's limits) and, as HTML
//! e-mail, at a real SMTP server.

mod support;

use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::ManualClock;
use monitor_runtime::alerts::{AlertConfig, Cadence, Summary};
use monitor_runtime::audit::{AuditEvent, ComplianceStatus, audit};
use monitor_runtime::{GroupStatus, Monitor, monitor};
use monitor_sinks::delivery::DeliveryOptions;
use monitor_sinks::sqlite::{SqliteSink, SqliteStore};
use monitor_sinks::store::{AlertQuery, GroupChange, GroupQuery, Store};
use serde_json::Value;
use support::{Platform, SmtpServer, WebhookServer, eventually, spool_dir};

#[derive(AuditEvent)]
#[audit(process = "sepa_payment_processing")]
enum Payment {
    #[audit(action = "submit")]
    Submitted {
        #[audit(reference = "batch")]
        batch: u32,
        #[audit(actor)]
        clerk: &'static str,
        #[audit(status)]
        status: ComplianceStatus,
    },
}

#[monitor(severity = critical)]
fn charge(card: u32) -> Result<(), String> {
    let _ = card;
    Err("card declined by the issuer".to_owned())
}

#[monitor]
fn settle(invoice: u32) -> Result<(), String> {
    let _ = invoice;
    Err("ledger period is closed".to_owned())
}

#[monitor]
fn lookup(id: u32) -> Result<u32, String> {
    Ok(id)
}

fn config(slack: &str) -> AlertConfig {
    AlertConfig::from_toml_str(&format!(
        r#"
        [destinations]
        chat = {{ slack = "{slack}" }}
        mail = {{ email = ["ops@example.org"] }}

        [summaries.morning]
        daily = "08:00"
        timezone = "Europe/Amsterdam"
        notify = ["chat", "mail"]

        [[rules]]
        name = "payments_failing"
        when = "errors(function = \"charge\") > 2 within 1h"
        severity = "critical"
        notify = ["mail"]
        group_wait = "0s"
        "#
    ))
    .unwrap()
}

fn section<'a>(blocks: &'a [Value], heading: &str) -> &'a str {
    blocks
        .iter()
        .filter_map(|block| block["text"]["text"].as_str())
        .find(|text| text.starts_with(&format!("*{heading}*")))
        .unwrap_or_else(|| panic!("no section {heading} in {blocks:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_days_summary_arrives_in_chat_and_as_html_e_mail_at_eight_in_the_morning() {
    let slack = WebhookServer::start(Platform::Slack);
    let smtp = SmtpServer::start(&[]);
    let dir = spool_dir();
    let db = dir.path().join("monitor.db");
    // The clock starts at the real time: the store stamps acknowledgements
    // with it, and the mean time to acknowledge is measured from the alert.
    let start = SystemTime::now();
    let morning = Summary::parse("morning", Cadence::Daily, "08:00", "Europe/Amsterdam", Vec::new()).unwrap();
    let due = morning.next_after(start).unwrap();
    let clock = ManualClock::new(start);
    let guard = Monitor::builder()
        .service("billing")
        .alerts(config(&slack.url("/services/T0/B0/SECRET")))
        .sink(SqliteSink::new(&db))
        .delivery(
            DeliveryOptions::new()
                .spool_dir(dir.path().join("spool"))
                .smtp(smtp.url(), "Monitor <monitor@example.org>")
                .service("billing"),
        )
        .clock(clock.clone())
        .status_sync_interval(Duration::from_millis(100))
        .install()
        .unwrap();

    for card in 0..3 {
        let _ = charge(card);
    }
    let _ = settle(1);
    for id in 0..20 {
        let _ = lookup(id);
    }
    for (batch, status) in [
        (1, ComplianceStatus::Compliant),
        (2, ComplianceStatus::Compliant),
        (3, ComplianceStatus::Compliant),
        (4, ComplianceStatus::Failed),
    ] {
        audit(&Payment::Submitted { batch, clerk: "anna", status }).unwrap();
    }
    assert!(guard.flush(Duration::from_secs(10)));
    assert!(guard.flush(Duration::from_secs(10)), "the alert is sent at the second look");

    // An operator acknowledges the alert and resolves the ledger error,
    // which comes back: a regression.
    let store = SqliteStore::open(&db).unwrap().shared();
    let alerts = store.alerts(&AlertQuery::default()).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    store.acknowledge_alert(alerts[0].id, "alice", None).await.unwrap();
    let ledger = store.groups(&GroupQuery { function: Some("settle".into()), ..GroupQuery::default() }).await.unwrap();
    let ledger = ledger[0].key;
    assert!(store.change_group(ledger, &GroupChange::by("alice").status(GroupStatus::Resolved)).await.unwrap());
    assert!(
        eventually(Duration::from_secs(10), || monitor_runtime::group_status(ledger) == Some(GroupStatus::Resolved))
            .await,
        "the instance takes the operator's resolution"
    );
    clock.advance(Duration::from_secs(60));
    let _ = settle(2);
    assert!(guard.flush(Duration::from_secs(10)));
    assert!(slack.received().is_empty(), "no summary before 08:00");

    clock.advance(due.duration_since(clock_now(&clock)).unwrap() + Duration::from_secs(1));
    assert!(guard.flush(Duration::from_secs(10)));
    assert!(eventually(Duration::from_secs(10), || !slack.received().is_empty()).await, "the summary reaches Slack");
    let body = &slack.received()[0].body;
    assert_eq!(body["text"], "Summary morning: 5 errors, 2 new groups, 1 regression, 1 alert");
    let blocks = body["blocks"].as_array().unwrap();
    assert!(section(blocks, "Errors").contains("5 occurrences (3 critical, 2 error)"), "{blocks:#?}");
    let top = section(blocks, "Top groups");
    assert!(top.starts_with("*Top groups*\n• 3× [critical] card declined by the issuer at summaries::charge"), "{top}");
    assert!(section(blocks, "Regressions").contains("ledger period is closed"));
    let slowest = section(blocks, "Slowest functions");
    assert!(slowest.contains("summaries::lookup: p95"), "{slowest}");
    let alerts = section(blocks, "Alerts");
    // It resolved when the errors left its window, an hour later on the manual clock.
    assert!(alerts.contains("payments_failing: 1 incident, 1 acknowledged, 1 resolved, MTTA "), "{alerts}");
    assert!(alerts.contains(", MTTR "), "{alerts}");
    assert!(
        section(blocks, "Audit").contains("sepa_payment_processing: 4 records, 75.0% compliant, 1 failed"),
        "{blocks:#?}"
    );
    let footer = blocks.last().unwrap()["elements"][0]["text"].as_str().unwrap();
    assert!(footer.contains("to ") && footer.contains("08:00 (Europe/Amsterdam)"), "{footer}");

    assert!(
        eventually(Duration::from_secs(10), || smtp.mails().iter().any(|m| m.message.contains("Summary morning")))
            .await
    );
    let mail = smtp.mails().into_iter().find(|m| m.message.contains("Summary morning")).unwrap();
    assert!(mail.message.contains("Subject: Summary morning: 5 errors, 2 new groups, 1 regression, 1 alert"));
    let html = &mail.parts["text/html"];
    assert!(html.contains("<td>critical</td><td align=\"right\">3</td>"), "{html}");
    assert!(html.contains("<li>sepa_payment_processing: 4 records, 75.0% compliant, 1 failed</li>"), "{html}");
    assert!(html.contains("<li>monitoring: 2 records, 100.0% compliant</li>"), "the operators' actions: {html}");
    assert!(mail.parts["text/plain"].contains("- payments_failing: 1 incident"), "{:?}", mail.parts);

    // Sent once: the next is due a day later.
    clock.advance(Duration::from_secs(3600));
    assert!(guard.flush(Duration::from_secs(10)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(slack.received().len(), 1);
    assert_eq!(guard.stats().alerts.summaries_sent, 2, "one to Slack, one by e-mail");
}

fn clock_now(clock: &ManualClock) -> SystemTime {
    use monitor_runtime::alerting::Clock;
    clock.now()
}

#[test]
fn summaries_without_a_store_are_refused_at_install_saying_what_to_add() {
    let config = AlertConfig::from_toml_str(
        "[destinations]\nops = { console = true }\n[summaries.morning]\ndaily = \"08:00\"\nnotify = [\"ops\"]\n",
    )
    .unwrap();
    let error = Monitor::builder().alerts(config).install().err().expect("refused");
    let message = error.to_string();
    assert!(message.contains("`morning`") && message.contains("add the SQLite sink"), "{message}");
}
