//! A captured backtrace on its way out: stored in SQLite with its event,
//! and shown in the notifications of the alert about it.

mod support;

use std::time::Duration;

use monitor_runtime::alerts::AlertConfig;
use monitor_runtime::{EventKind, Monitor, monitor};
use monitor_sinks::delivery::DeliveryOptions;
use monitor_sinks::sqlite::{SqliteSink, SqliteStore};
use support::{Platform, WebhookServer, eventually, spool_dir};

#[monitor(severity = critical)]
fn reconcile_ledger(day: u32) -> Result<(), String> {
    Err(format!("ledger of day {day} is out of balance"))
}

#[monitor]
fn close_books(day: u32) -> u32 {
    if day == 0 {
        panic!("no books to close on day {day}");
    }
    day
}

/// Frames held nothing of the monitor and start at `function` of this file.
fn assert_users_frames(frames: &[String], function: &str) {
    assert!(
        frames.first().is_some_and(|first| first.starts_with(&format!("backtraces::{function} at "))),
        "{frames:#?}"
    );
    assert!(frames.iter().all(|frame| !frame.contains("monitor_runtime::")), "{frames:#?}");
}

#[test]
fn sqlite_stores_the_backtrace_of_a_first_error_and_of_a_panic_but_not_of_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let guard = Monitor::builder().sink(SqliteSink::new(&path)).sample_every(2).install().unwrap();
    for _ in 0..2 {
        assert!(reconcile_ledger(3).is_err());
    }
    assert!(std::panic::catch_unwind(|| close_books(0)).is_err());
    guard.shutdown();

    let store = SqliteStore::open(&path).unwrap();
    // In the order the worker took them, which is not the order they
    // happened in: a sample waits for the worker's tick, a new group does not.
    let events = store.recent_events(10).unwrap();
    assert_eq!(events.len(), 3, "{events:#?}");
    let error = |occurrences: u64| {
        events.iter().find(|event| event.kind == EventKind::Error && event.occurrences == occurrences).unwrap()
    };
    assert_users_frames(&error(1).backtrace, "reconcile_ledger");
    assert!(error(2).backtrace.is_empty(), "the sample has none: {:?}", error(2).backtrace);
    let panic = events.iter().find(|event| event.kind == EventKind::Panic).unwrap();
    assert_users_frames(&panic.backtrace, "close_books");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_alert_about_a_new_group_shows_its_backtrace_in_the_generic_body_and_in_slack() {
    let generic = WebhookServer::start(Platform::Generic);
    let slack = WebhookServer::start(Platform::Slack);
    let dir = spool_dir();
    let config = AlertConfig::from_toml_str(&format!(
        r#"
        [destinations]
        hook = {{ webhook = "{}" }}
        ops_chat = {{ slack = "{}" }}

        [[rules]]
        name = "new_kind_of_error"
        when = "new_group"
        severity = "error"
        notify = ["hook", "ops_chat"]
        group_wait = "0s"
        "#,
        generic.url("/hook"),
        slack.url("/services/T0/B0/SECRET"),
    ))
    .unwrap();
    let guard = Monitor::builder()
        .service("ledger")
        .alerts(config)
        .delivery(DeliveryOptions::new().spool_dir(dir.path()))
        .install()
        .unwrap();
    assert!(reconcile_ledger(9).is_err());
    assert!(guard.flush(Duration::from_secs(10)));
    let delivered = || (generic.received().len(), slack.received().len());
    assert!(eventually(Duration::from_secs(10), || delivered() == (1, 1)).await, "{:?}", guard.stats().destinations);
    guard.shutdown();

    let body = &generic.received()[0].body;
    let frames: Vec<String> = serde_json::from_value(body["backtrace"].clone()).unwrap();
    assert_users_frames(&frames, "reconcile_ledger");
    let slack_text = slack.received()[0].body.to_string();
    assert!(slack_text.contains("backtrace:\\nbacktraces::reconcile_ledger at "), "{slack_text}");
    assert!(!slack_text.contains("monitor_runtime::"), "{slack_text}");
}
