//! Alert rules evaluated by an installed monitor's worker, on a manual
//! clock: what the monitored code does becomes notifications in the sinks,
//! with the context that made them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_runtime::alerting::{AlertState, ManualClock, Notification};
use monitor_runtime::alerts::{Destination, Target};
use monitor_runtime::{
    Context, DestinationError, MemorySink, Monitor, MonitorGuard, Notifier, NotifyError, ReloadError, monitor,
};

const FLUSH: Duration = Duration::from_secs(10);
const MINUTE: Duration = Duration::from_secs(60);

fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

#[derive(Debug)]
struct Declined(u64);

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "card {} declined", self.0)
    }
}

impl std::error::Error for Declined {}

#[monitor(severity = error)]
fn charge(card: u64) -> Result<(), Declined> {
    Err(Declined(card))
}

/// What the recording notifiers received: destination, the target it was
/// made for, and the notification.
type Received = Arc<Mutex<Vec<(String, Target, Arc<Notification>)>>>;

/// Stands in for the delivery of every destination that is not the
/// console: records what each notifier was handed. A destination whose
/// name starts with `full` refuses everything, as a full queue would; one
/// whose URL says `broken` cannot be made.
fn recording(
    received: &Received,
) -> impl Fn(&Destination) -> Result<Box<dyn Notifier>, DestinationError> + Send + Sync + 'static {
    struct Recording(String, Target, Received);
    impl Notifier for Recording {
        fn notify(&self, notification: Arc<Notification>) -> Result<(), NotifyError> {
            if self.0.starts_with("full") {
                return Err(NotifyError::QueueFull);
            }
            self.2.lock().unwrap().push((self.0.clone(), self.1.clone(), notification));
            Ok(())
        }
    }
    let received = received.clone();
    move |destination: &Destination| {
        if format!("{:?}", destination.target).contains("broken") {
            return Err(DestinationError::new(&destination.name, "cannot reach `broken`"));
        }
        Ok(Box::new(Recording(destination.name.clone(), destination.target.clone(), received.clone())))
    }
}

/// A monitor for the billing service with `config`'s rules, on a manual
/// clock, alerting into a memory sink (the record of every notification).
fn install(config: monitor_runtime::alerts::AlertConfig) -> (ManualClock, MemorySink, MonitorGuard) {
    let (clock, sink, guard, _) = install_recording(config);
    (clock, sink, guard)
}

fn install_recording(
    config: monitor_runtime::alerts::AlertConfig,
) -> (ManualClock, MemorySink, MonitorGuard, Received) {
    let clock = ManualClock::new(start());
    let sink = MemorySink::new();
    let received = Received::default();
    let guard = Monitor::builder()
        .service("billing")
        .environment("production")
        .alerts(config)
        .delivery(recording(&received))
        .clock(clock.clone())
        .sink(sink.clone())
        .install()
        .expect("monitor installs");
    (clock, sink, guard, received)
}

#[test]
fn repeated_errors_notify_once_with_their_context_then_resolve() {
    let (clock, sink, guard) = install(monitor_runtime::alerts! {
        destination ops = console;
        rule too_many_errors {
            when errors(severity >= error) > 10 within 1h;
            severity critical;
            notify ops;
            group_by function;
            group_wait 30s;
        }
    });
    {
        let _request = Context::new().user("clerk-7").trace_id("trace-42").tag("tenant", "acme").enter();
        for card in 0..12 {
            let _ = charge(card);
        }
    }
    assert!(guard.flush(FLUSH));
    assert!(sink.notifications().is_empty(), "group_wait has not passed");
    assert_eq!(monitor_runtime::stats().alerts.firing, 1);

    clock.advance(Duration::from_secs(30));
    assert!(guard.flush(FLUSH));
    let notifications = sink.notifications();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    let notification = &notifications[0];
    assert_eq!(notification.destination, "ops");
    let alert = &notification.alert;
    assert_eq!((alert.rule.as_str(), alert.state), ("too_many_errors", AlertState::Firing));
    assert_eq!((alert.value, alert.threshold), (12.0, 10.0), "twelve errors, eleven of them only counted");
    assert_eq!(alert.labels.get("function").map(String::as_str), Some("charge"));
    let details = &alert.details;
    assert_eq!(details.service.as_deref(), Some("billing"));
    assert_eq!(details.environment.as_deref(), Some("production"));
    assert_eq!(details.function.as_deref(), Some("charge"));
    assert_eq!(details.message.as_deref(), Some("card 0 declined"));
    assert_eq!(details.user.as_deref(), Some("clerk-7"));
    assert_eq!(details.trace_id.as_deref(), Some("trace-42"));
    assert_eq!(details.tags.get("tenant").map(String::as_str), Some("acme"));
    assert_eq!(details.occurrences, 12);
    assert!(details.error_type.as_deref().is_some_and(|t| t.ends_with("Declined")), "{details:?}");

    // An hour later the errors slid out of the window: the alert resolves,
    // and the resolution is notified with a new key.
    clock.advance(61 * MINUTE);
    assert!(guard.flush(FLUSH));
    let notifications = sink.notifications();
    assert_eq!(notifications.len(), 2, "{notifications:?}");
    assert_eq!(notifications[1].alert.state, AlertState::Resolved);
    assert_ne!(notifications[1].key, notifications[0].key);
    let stats = guard.shutdown();
    assert_eq!(stats.alerts.routed.sent, 2);
    assert_eq!(stats.alerts.resolved, 1);
}

#[test]
fn a_silent_heartbeat_fires_and_a_new_beat_resolves_it() {
    let (clock, sink, guard) = install(monitor_runtime::alerts! {
        destination oncall = email("oncall@example.org");
        rule health {
            when absent(heartbeat = "health") for 20m;
            severity critical;
            notify oncall;
            group_wait 1s;
            group_interval 1m;
        }
    });
    monitor_runtime::heartbeat("health");
    clock.advance(19 * MINUTE);
    assert!(guard.flush(FLUSH));
    clock.advance(2 * MINUTE);
    assert!(guard.flush(FLUSH));
    clock.advance(Duration::from_secs(1));
    assert!(guard.flush(FLUSH));
    let notifications = sink.notifications();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    assert_eq!(notifications[0].destination, "oncall");
    assert!(notifications[0].alert.summary.contains("no heartbeat `health`"), "{}", notifications[0].alert.summary);

    monitor_runtime::heartbeat("health");
    assert!(guard.flush(FLUSH));
    clock.advance(MINUTE);
    assert!(guard.flush(FLUSH));
    let notifications = sink.notifications();
    assert_eq!(notifications.len(), 2);
    assert_eq!(notifications[1].alert.state, AlertState::Resolved);
}

#[monitor]
fn slow_lookup(id: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(20));
    id
}

#[test]
fn slow_calls_fire_a_latency_rule_for_their_function() {
    let (clock, sink, guard) = install(monitor_runtime::alerts! {
        destination ops = console;
        rule slow_lookups {
            when p50(function = "alerting::slow_*") > 5ms over 5m;
            severity warning;
            notify ops;
            group_by function;
            group_wait 1s;
        }
    });
    for id in 0..3 {
        slow_lookup(id);
    }
    assert!(guard.flush(FLUSH));
    clock.advance(Duration::from_secs(1));
    assert!(guard.flush(FLUSH));
    let notifications = sink.notifications();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    let alert = &notifications[0].alert;
    assert_eq!(alert.labels.get("function").map(String::as_str), Some("slow_lookup"));
    assert!(alert.value >= 0.015, "p50 of 20 ms calls, estimated at {} s", alert.value);
    assert_eq!(alert.details.occurrences, 3);
}

#[derive(monitor_runtime::audit::AuditEvent)]
#[audit(process = "sepa_payment_processing", action = "collect", status = failed)]
struct CollectionFailed {
    #[audit(reference = "mandate")]
    mandate: String,
}

#[test]
fn failed_audit_events_fire_an_audit_rule() {
    let (clock, sink, guard) = install(monitor_runtime::alerts! {
        destination ops = console;
        rule failed_sepa {
            when audit(process = "sepa_payment_processing", status = failed) > 2 within 1h;
            notify ops;
            group_wait 1s;
        }
    });
    for n in 0..3 {
        monitor_runtime::audit::audit(&CollectionFailed { mandate: format!("M-{n}") }).expect("audited");
    }
    assert!(guard.flush(FLUSH));
    clock.advance(Duration::from_secs(1));
    assert!(guard.flush(FLUSH));
    let notifications = sink.notifications();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    assert_eq!(notifications[0].alert.value, 3.0);
    assert_eq!(sink.audits().len(), 3, "the audit records are stored as well");
}

#[test]
fn a_rule_file_with_mistakes_is_refused_and_the_running_rules_stay() {
    let (clock, sink, guard) = install(monitor_runtime::alerts! {
        destination ops = console;
        rule new_kind { when new_group(severity >= error); notify ops; group_wait 1s; }
    });
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[destinations]\nops = { console = true }\n\n[[rules]]\nname = \"typo\"\nwhen = \"errors > 0 within 1h\"\nnotify = [\"opps\"]\n",
    )
    .unwrap();
    match monitor_runtime::reload_alerts_from_path(&bad) {
        Err(ReloadError::Invalid(errors)) => {
            assert_eq!(errors.0.len(), 2, "{errors}");
            assert!(errors.0.iter().all(|e| e.line >= 6 && e.file.as_deref() == Some(bad.as_path())), "{errors}");
        }
        other => panic!("the file must be refused: {other:?}"),
    }
    let _ = charge(1);
    assert!(guard.flush(FLUSH));
    clock.advance(Duration::from_secs(1));
    assert!(guard.flush(FLUSH));
    assert_eq!(sink.notifications().len(), 1, "the previous rules still run");
    assert_eq!(sink.notifications()[0].alert.rule, "new_kind");

    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[destinations]\nops = { console = true }\n\n[[rules]]\nname = \"health\"\nwhen = 'absent(heartbeat = \"health\") for 1m'\nnotify = [\"ops\"]\ngroup_wait = \"1s\"\n",
    )
    .unwrap();
    monitor_runtime::reload_alerts_from_path(&good).expect("a valid file is taken");
    assert!(guard.flush(FLUSH));
    let stats = monitor_runtime::stats();
    assert_eq!((stats.alerts.rules, stats.alerts.reloads), (1, 1));
    clock.advance(2 * MINUTE);
    assert!(guard.flush(FLUSH));
    clock.advance(Duration::from_secs(1));
    assert!(guard.flush(FLUSH));
    let rules: Vec<String> = sink.notifications().iter().map(|n| n.alert.rule.clone()).collect();
    assert!(rules.contains(&"health".to_owned()), "{rules:?}");
}

#[test]
fn the_process_memory_is_checked_at_start() {
    let (clock, sink, guard) = install(monitor_runtime::alerts! {
        destination ops = console;
        // Any process is bigger than 1 MiB: the first check fires.
        rule memory { when memory > 1MiB; notify ops; group_wait 1s; }
    });
    assert!(guard.flush(FLUSH));
    clock.advance(Duration::from_secs(1));
    assert!(guard.flush(FLUSH));
    let notifications = sink.notifications();
    if cfg!(target_os = "linux") {
        assert_eq!(notifications.len(), 1, "{notifications:?}");
        assert!(notifications[0].alert.value > 1_048_576.0);
        assert!(notifications[0].alert.summary.starts_with("resident memory"));
    }
}

/// The worker looks at the rules when a new group arrives and again when
/// the router's group_wait runs out, not only on its regular tick: with a
/// tick of an hour, the notification still arrives (the test would wait an
/// hour without those looks).
#[test]
fn a_new_group_is_notified_after_its_group_wait_not_at_the_next_tick() {
    let sink = MemorySink::new();
    let _guard = Monitor::builder()
        .flush_interval(Duration::from_secs(3600))
        .alerts(monitor_runtime::alerts! {
            destination ops = console;
            rule new_kind { when new_group; notify ops; group_wait 50ms; }
        })
        .sink(sink.clone())
        .install()
        .expect("monitor installs");
    let _ = charge(1);
    let waited = std::time::Instant::now();
    while sink.notifications().is_empty() && waited.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let notifications = sink.notifications();
    assert_eq!(notifications.len(), 1, "{:?}", monitor_runtime::stats());
    assert_eq!((notifications[0].alert.rule.as_str(), notifications[0].alert.state), ("new_kind", AlertState::Firing));
    assert!(notifications[0].alert.summary.contains("appeared for the first time"));
}

/// A sink that holds the worker's thread for a while, so its queue fills.
struct ThreadBlockingSink(std::sync::Arc<std::sync::atomic::AtomicBool>);

#[monitor_runtime::async_trait]
impl monitor_runtime::Sink for ThreadBlockingSink {
    fn name(&self) -> &str {
        "blocking"
    }

    async fn write(&self, _batch: &monitor_runtime::Batch) -> Result<(), monitor_runtime::SinkError> {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(2));
        Ok(())
    }
}

#[test]
fn a_reload_the_worker_cannot_take_says_so() {
    let blocked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _guard = Monitor::builder()
        .sink(ThreadBlockingSink(blocked.clone()))
        .queue_capacity(1)
        .batch_size(1)
        .shutdown_timeout(Duration::from_millis(100))
        .install()
        .expect("monitor installs");
    let _ = charge(1);
    let waited = std::time::Instant::now();
    while !blocked.load(std::sync::atomic::Ordering::SeqCst) && waited.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(1));
    }
    monitor_runtime::heartbeat("health"); // fills the one place in the queue
    let rules = monitor_runtime::alerts! {
        destination ops = console;
        rule any { when errors > 1 within 1m; notify ops; }
    };
    let refused = monitor_runtime::reload_alerts(rules.clone()).expect_err("the queue is full");
    assert!(matches!(refused, ReloadError::Busy));
    assert!(refused.to_string().contains("try the reload again"), "{refused}");
    assert_eq!(monitor_runtime::stats().dropped.get("control_queue_timeout").copied(), Some(1));
    assert_eq!(monitor_runtime::stats().alerts.reloads, 0);
}

#[monitor]
fn settle(invoice: u64) -> Result<u64, Declined> {
    if invoice.is_multiple_of(4) { Err(Declined(invoice)) } else { Ok(invoice) }
}

#[test]
fn failed_calls_fire_an_error_rate_rule_from_the_call_sites() {
    let (clock, sink, guard) = install(monitor_runtime::alerts! {
        destination ops = console;
        rule failing_settlements {
            when error_rate(function = "alerting::settle") > 20% over 5m;
            notify ops;
            group_wait 1s;
        }
    });
    for invoice in 0..40 {
        let _ = settle(invoice);
    }
    assert!(guard.flush(FLUSH));
    clock.advance(Duration::from_secs(1));
    assert!(guard.flush(FLUSH));
    let notifications = sink.notifications();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    let alert = &notifications[0].alert;
    assert_eq!((alert.rule.as_str(), alert.value, alert.details.occurrences), ("failing_settlements", 25.0, 10));
}

#[monitor(severity = error)]
fn refund(card: u64) -> Result<(), Declined> {
    Err(Declined(card))
}

#[monitor(severity = error)]
fn capture(card: u64) -> Result<(), Declined> {
    Err(Declined(card))
}

#[test]
fn notifications_held_by_the_rate_limit_reach_the_sinks_at_shutdown() {
    let clock = ManualClock::new(start());
    let sink = MemorySink::new();
    let guard = Monitor::builder()
        .alerts(monitor_runtime::alerts! {
            destination ops = console;
            rule failing { when errors > 1 within 1h; notify ops; group_by function; group_wait 0s; }
        })
        // One a minute: the first alert goes out, the other two are held.
        .router(monitor_runtime::alerting::RouterConfig { per_destination_per_minute: 1, ..Default::default() })
        .clock(clock.clone())
        .sink(sink.clone())
        .install()
        .expect("monitor installs");
    for card in 1..=2 {
        let _ = charge(card);
        let _ = refund(card);
        let _ = capture(card);
    }
    guard.flush(FLUSH);
    clock.advance(Duration::from_secs(1));
    guard.flush(FLUSH);
    assert_eq!(sink.notifications().len(), 1, "{:?}", monitor_runtime::stats().alerts);
    let stats = guard.shutdown();
    let mut functions: Vec<String> = sink.notifications().iter().map(|n| n.alert.labels["function"].clone()).collect();
    functions.sort();
    assert_eq!(functions, ["capture", "charge", "refund"], "nothing held is lost at shutdown: {:?}", stats.alerts);
    assert_eq!(stats.alerts.routed.released_at_shutdown, 2, "{:?}", stats.alerts);
}

/// A sink that refuses every batch, as a full disk would.
struct FullSink(&'static str);

#[monitor_runtime::async_trait]
impl monitor_runtime::Sink for FullSink {
    fn name(&self) -> &str {
        self.0
    }

    async fn write(&self, _batch: &monitor_runtime::Batch) -> Result<(), monitor_runtime::SinkError> {
        Err(monitor_runtime::SinkError::new(monitor_runtime::SinkErrorKind::Full, "no space left"))
    }
}

#[test]
fn notifications_refused_are_counted_by_destination_and_lost_records_by_sink() {
    let clock = ManualClock::new(start());
    let received = Received::default();
    let guard = Monitor::builder()
        .alerts(monitor_runtime::alerts! {
            destination ops = console;
            destination full_pager = webhook("https://pager.example.org/hook");
            destination chat = slack("https://hooks.slack.com/services/T0/B0/X");
            rule new_kind { when new_group; notify ops, full_pager, chat; group_wait 0s; }
        })
        .delivery(recording(&received))
        .clock(clock.clone())
        .sink(FullSink("full"))
        // The full sink's group counts are retried until shutdown: not long here.
        .shutdown_timeout(Duration::from_millis(500))
        .install()
        .expect("monitor installs");
    let _ = refund(7);
    assert!(!guard.flush(Duration::from_millis(500)), "a store that stays full never finishes a flush");
    let stats = guard.shutdown();
    assert_eq!(stats.alerts.routed.sent, 3, "one per destination: {:?}", stats.alerts);
    assert_eq!(stats.dropped.get("full_pager:notification_queue_full").copied(), Some(1), "{:?}", stats.dropped);
    assert_eq!(stats.destinations["ops"].sent, 1, "the console printed it: {:?}", stats.destinations);
    let delivered: Vec<String> = received.lock().unwrap().iter().map(|(name, ..)| name.clone()).collect();
    assert_eq!(delivered, ["chat"], "each notification reaches its own destination only");
    // The storage sink lost its record of the three, and the event.
    assert_eq!(stats.dropped.get("full:notification_storage_full").copied(), Some(3), "{:?}", stats.dropped);
    assert_eq!(stats.dropped.get("full:storage_full").copied(), Some(1), "the event too: {:?}", stats.dropped);
}

#[test]
fn without_delivery_a_network_destination_is_an_install_error() {
    let error = Monitor::builder()
        .alerts(monitor_runtime::alerts! {
            destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/SECRET");
            rule new_kind { when new_group; notify ops_chat; }
        })
        .install()
        .err()
        .expect("no delivery for a Slack destination");
    let message = error.to_string();
    assert!(message.contains("`ops_chat`") && message.contains(".delivery("), "{message}");
    assert!(!message.contains("SECRET"), "{message}");
    assert!(!monitor_runtime::stats().installed);
}

#[test]
fn a_reload_adds_changes_and_removes_destinations_of_any_kind() {
    let (_clock, _sink, guard, received) = install_recording(monitor_runtime::alerts! {
        destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/FIRST");
        rule new_kind { when new_group; notify ops_chat; group_wait 0s; }
    });
    let _ = refund(1);
    assert!(guard.flush(FLUSH));

    // A changed address, a new e-mail destination: both made now, used from now on.
    let moved = monitor_runtime::alerts! {
        destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/SECOND");
        destination pager = email("oncall@example.org");
        rule new_kind { when new_group; notify ops_chat, pager; group_wait 0s; }
    };
    monitor_runtime::reload_alerts(moved).expect("new and changed destinations are taken");
    let _ = charge(2);
    assert!(guard.flush(FLUSH));

    // A destination that cannot be made refuses the whole reload.
    let broken = monitor_runtime::alerts! {
        destination ops_chat = webhook("https://broken.example.org/hook");
        rule new_kind { when new_group; notify ops_chat; }
    };
    match monitor_runtime::reload_alerts(broken) {
        Err(ReloadError::Destination(error)) => assert_eq!(error.destination, "ops_chat"),
        other => panic!("expected the broken destination to be refused: {other:?}"),
    }

    // Removed: the pager is gone, only the console is left.
    let removed = monitor_runtime::alerts! {
        destination local = console;
        rule new_kind { when new_group; notify local; group_wait 0s; }
    };
    monitor_runtime::reload_alerts(removed).expect("a removed destination is fine");
    let _ = capture(3);
    assert!(guard.flush(FLUSH));
    let stats = guard.shutdown();

    let received = received.lock().unwrap();
    let seen: Vec<(String, String)> = received
        .iter()
        .map(|(name, target, n)| {
            (name.clone(), format!("{target:?} {}", n.alert.details.function.clone().unwrap_or_default()))
        })
        .collect();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    assert!(seen[0].0 == "ops_chat" && seen[0].1.contains("refund"), "{seen:?}");
    let after: Vec<&str> = seen[1..].iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(after, ["ops_chat", "pager"], "{seen:?}");
    assert!(seen[1..].iter().all(|(_, what)| what.contains("charge")), "{seen:?}");
    // The changed destination was remade for its new address (shown redacted).
    assert_ne!(received[0].1, received[1].1, "a new notifier for the new address");
    assert_eq!(stats.destinations["local"].sent, 1, "{:?}", stats.destinations);
    assert_eq!(stats.alerts.reloads, 2);
}
