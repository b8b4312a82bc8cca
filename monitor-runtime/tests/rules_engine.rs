//! The rules engine and router on a manual clock: every window and timer,
//! deterministically, without sleeping.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_runtime::alerting::{
    AlertState, Clock, Engine, MAX_LABEL_SETS, ManualClock, Occurrence, ResourceSample, Router, RouterConfig,
    RouterCounts,
};
use monitor_runtime::audit::{AuditRecordBuilder, ComplianceStatus};
use monitor_runtime::histogram::{DURATION_BUCKETS, bucket_lower_bound};
use monitor_runtime::{EventKind, GroupKey, Severity};

const MINUTE: Duration = Duration::from_secs(60);

fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn occurrence<'a>(function: &'a str, severity: Severity, tags: &'a BTreeMap<String, String>) -> Occurrence<'a> {
    Occurrence {
        severity,
        kind: EventKind::Error,
        module: "billing",
        function,
        group: GroupKey(7),
        tags,
        template: "card <*> declined",
        details: None,
    }
}

#[test]
fn error_counts_fire_per_label_and_resolve_when_the_window_slides() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule too_many_errors {
            when errors(severity >= error, module = "bill*") > 10 within 1h;
            severity critical;
            notify ops;
            group_by function;
        }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    let tags = BTreeMap::new();
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 8);
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Warning, &tags), 50);
    engine.record_occurrences(clock.now(), &occurrence("refund", Severity::Critical, &tags), 3);
    assert!(engine.evaluate(clock.now()).is_empty(), "8 errors and warnings that do not count");

    clock.advance(10 * MINUTE);
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 3);
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].labels.get("function").map(String::as_str), Some("charge"));
    assert_eq!((alerts[0].state, alerts[0].value, alerts[0].threshold), (AlertState::Firing, 11.0, 10.0));
    assert!(alerts[0].summary.contains("11 errors within 1h"), "{}", alerts[0].summary);

    clock.advance(55 * MINUTE); // the first 8 slid out
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts[0].state, AlertState::Resolved);
    assert_eq!(alerts[0].ends_at, Some(clock.now()));
    assert!(engine.evaluate(clock.now()).is_empty(), "a resolution is reported once");
}

#[test]
fn failed_audit_records_fire_an_audit_rule() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule failed_sepa { when audit(process = "sepa_*", status = failed) > 2 within 1h; notify ops; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    for status in
        [ComplianceStatus::Failed, ComplianceStatus::Compliant, ComplianceStatus::Failed, ComplianceStatus::Failed]
    {
        let record = AuditRecordBuilder::new("sepa_payment_processing", "collect", status).finish();
        engine.record_audit(clock.now(), &record);
    }
    let other = AuditRecordBuilder::new("member_lifecycle", "terminate", ComplianceStatus::Failed).finish();
    engine.record_audit(clock.now(), &other);
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].value, 3.0);
}

#[test]
fn an_audit_rule_splits_its_alerts_by_process() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule failed { when audit(status = failed) > 1 within 1h; notify ops; group_by process; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    for process in ["sepa_batch_generation", "sepa_batch_generation", "bank_submission", "member_lifecycle"] {
        engine.record_audit(clock.now(), &AuditRecordBuilder::new(process, "run", ComplianceStatus::Failed).finish());
    }
    engine.record_audit(
        clock.now(),
        &AuditRecordBuilder::new("bank_submission", "run", ComplianceStatus::Failed).finish(),
    );
    let mut firing: Vec<(String, f64)> =
        engine.evaluate(clock.now()).iter().map(|a| (a.labels["process"].clone(), a.value)).collect();
    firing.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(firing, [("bank_submission".to_owned(), 2.0), ("sepa_batch_generation".to_owned(), 2.0)]);
}

#[test]
fn new_groups_and_regressions_fire_once_and_resolve_after_the_group_interval() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule new_kind { when new_group(severity >= error); notify ops; group_interval 5m; }
        rule came_back { when regression; notify ops; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    let tags = BTreeMap::new();
    engine.record_group(clock.now(), &occurrence("charge", Severity::Error, &tags), false);
    engine.record_group(clock.now(), &occurrence("charge", Severity::Info, &tags), false);
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule, "new_kind");
    assert!(alerts[0].summary.contains("appeared for the first time"));
    engine.record_group(clock.now(), &occurrence("charge", Severity::Error, &tags), true);
    assert_eq!(engine.evaluate(clock.now()).len(), 2);
    clock.advance(5 * MINUTE);
    let alerts = engine.evaluate(clock.now());
    assert!(alerts.iter().all(|a| a.state == AlertState::Resolved), "{alerts:?}");

    // A look that comes only after the alert's life still shows it firing once.
    engine.record_group(clock.now(), &occurrence("refund", Severity::Error, &tags), true);
    clock.advance(10 * MINUTE);
    let late = engine.evaluate(clock.now());
    assert_eq!(late.iter().map(|a| a.state).collect::<Vec<_>>(), [AlertState::Firing]);
    clock.advance(4 * MINUTE);
    assert_eq!(engine.evaluate(clock.now())[0].state, AlertState::Firing, "a group interval from its first report");
    clock.advance(MINUTE);
    assert_eq!(engine.evaluate(clock.now())[0].state, AlertState::Resolved);
    assert!(engine.evaluate(clock.now()).is_empty());
}

#[test]
fn a_missing_heartbeat_fires_and_a_late_one_resolves() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule health { when absent(heartbeat = "health") for 20m; severity critical; notify ops; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    clock.advance(15 * MINUTE);
    engine.heartbeat(clock.now(), "health");
    clock.advance(19 * MINUTE);
    assert!(engine.evaluate(clock.now()).is_empty());
    clock.advance(2 * MINUTE);
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts[0].state, AlertState::Firing);
    assert!(alerts[0].summary.contains("no heartbeat `health` for 21m"), "{}", alerts[0].summary);
    engine.heartbeat(clock.now(), "other");
    assert_eq!(engine.evaluate(clock.now())[0].state, AlertState::Firing, "another heartbeat does not count");
    engine.heartbeat(clock.now(), "health");
    assert_eq!(engine.evaluate(clock.now())[0].state, AlertState::Resolved);
}

/// Drives engine and router together, minute by minute, and returns the
/// minute of each notification with its state.
fn run(
    config: &monitor_runtime::alerts::AlertConfig,
    minutes: u32,
    failing_until: u32,
) -> Vec<(u32, AlertState, String)> {
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(config, RouterConfig::default());
    let tags = BTreeMap::new();
    let mut sent = Vec::new();
    for minute in 0..minutes {
        if minute < failing_until {
            engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 5);
        }
        for notification in router.route(clock.now(), &engine.evaluate(clock.now())) {
            sent.push((minute, notification.alert.state, notification.key));
        }
        clock.advance(MINUTE);
    }
    sent
}

#[test]
fn router_waits_repeats_and_resolves_on_its_timers() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule too_many {
            when errors > 3 within 1m;
            notify ops;
            group_wait 2m;
            group_interval 5m;
            repeat_interval 20m;
        }
    };
    let sent = run(&config, 60, 33);
    // A resolution within group_interval of the last notification waits for it.
    let quick = run(&config, 60, 24);
    assert_eq!(
        quick.iter().map(|(m, s, _)| (*m, *s)).collect::<Vec<_>>(),
        vec![(2, AlertState::Firing), (22, AlertState::Firing), (27, AlertState::Resolved)]
    );
    let minutes: Vec<(u32, AlertState)> = sent.iter().map(|(m, s, _)| (*m, *s)).collect();
    // Fires at minute 0; first notification after group_wait (minute 2);
    // repeated after repeat_interval while unchanged (minute 22); resolves at
    // minute 33 (the last errors slid out of the 1m window), and since a
    // group_interval has passed since the last notification, the resolution
    // goes out at once.
    assert_eq!(minutes, vec![(2, AlertState::Firing), (22, AlertState::Firing), (33, AlertState::Resolved)]);
    let keys: Vec<&String> = sent.iter().map(|(_, _, k)| k).collect();
    assert!(keys[0] != keys[1] && keys[1] != keys[2], "each notification has its own key");
    assert_eq!(
        run(&config, 60, 33).iter().map(|(_, _, k)| k.clone()).collect::<Vec<_>>(),
        sent.iter().map(|(_, _, k)| k.clone()).collect::<Vec<_>>(),
        "keys are deterministic"
    );
}

#[test]
fn an_alert_resolved_before_its_group_wait_is_never_notified() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule blip { when errors > 3 within 1m; notify ops; group_wait 5m; }
    };
    assert!(run(&config, 30, 2).is_empty());
}

#[test]
fn a_critical_alert_inhibits_lower_ones_with_the_same_labels() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        destination chat = console;
        rule many { when errors > 3 within 1m; severity warning; notify chat; group_by function; group_wait 1s; }
        rule very_many { when errors > 8 within 1m; severity critical; notify ops, chat; group_by function; group_wait 1s; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig::default());
    let tags = BTreeMap::new();
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 10);
    engine.record_occurrences(clock.now(), &occurrence("refund", Severity::Error, &tags), 5);
    router.route(clock.now(), &engine.evaluate(clock.now()));
    clock.advance(Duration::from_secs(2));
    let sent = router.route(clock.now(), &engine.evaluate(clock.now()));
    let mut seen: Vec<(String, String, String)> = sent
        .iter()
        .map(|n| (n.alert.rule.clone(), n.alert.labels["function"].clone(), n.destination.clone()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("many".into(), "refund".into(), "chat".into()),
            ("very_many".into(), "charge".into(), "chat".into()),
            ("very_many".into(), "charge".into(), "ops".into()),
        ],
        "the warning for `charge` is muted by the critical one; `refund` is not"
    );
    assert_eq!(router.counts().inhibited, 1);
    for _ in 0..5 {
        clock.advance(Duration::from_secs(2));
        router.route(clock.now(), &engine.evaluate(clock.now()));
    }
    assert_eq!(router.counts().inhibited, 1, "a muting is counted once, however often the router looks");
}

#[test]
fn a_one_off_alert_that_outlived_its_group_wait_between_two_looks_is_still_notified() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule came_back { when regression; notify ops; group_wait 1s; group_interval 1s; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig::default());
    let tags = BTreeMap::new();
    engine.record_group(clock.now(), &occurrence("charge", Severity::Error, &tags), true);
    assert!(router.route(clock.now(), &engine.evaluate(clock.now())).is_empty(), "group_wait first");
    // The next look comes after both the group_wait and the alert's life.
    clock.advance(Duration::from_secs(5));
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts[0].state, AlertState::Resolved);
    let sent = router.route(clock.now(), &alerts);
    assert_eq!(sent.len(), 1, "the firing was due before the resolution");
    assert_eq!((sent[0].alert.state, sent[0].alert.ends_at), (AlertState::Firing, None));
    clock.advance(Duration::from_secs(1));
    let sent_later = router.route(clock.now(), &engine.evaluate(clock.now()));
    assert_eq!(sent_later.len(), 1);
    assert_eq!(sent_later[0].alert.state, AlertState::Resolved);
    assert_ne!(sent_later[0].key, sent[0].key);
    assert!(router.is_idle());
}

#[test]
fn a_full_held_queue_keeps_its_limit_and_counts_what_it_drops() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule per_function { when errors > 1 within 1h; notify ops; group_by function; group_wait 0s; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig { per_destination_per_minute: 1, held_per_destination: 2 });
    let tags = BTreeMap::new();
    for name in ["f0", "f1", "f2", "f3", "f4"] {
        engine.record_occurrences(clock.now(), &occurrence(name, Severity::Error, &tags), 2);
    }
    let sent = router.route(clock.now(), &engine.evaluate(clock.now()));
    assert_eq!(sent.len(), 1);
    let counts = router.counts();
    assert_eq!((counts.rate_limited, counts.dropped), (4, 2), "{counts:?}");
    let held: Vec<String> = router.release_all().into_iter().map(|n| n.alert.labels["function"].clone()).collect();
    let mut all: Vec<String> = sent.iter().map(|n| n.alert.labels["function"].clone()).chain(held.clone()).collect();
    all.sort();
    all.dedup();
    assert_eq!((held.len(), all.len()), (2, 3), "one sent, two held, two dropped: {held:?}");
}

#[test]
fn a_destination_over_its_rate_gets_the_rest_later_in_order() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule per_function { when errors > 1 within 1m; notify ops; group_by function; group_wait 1s; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig { per_destination_per_minute: 10, held_per_destination: 100 });
    let tags = BTreeMap::new();
    let names: Vec<String> = (0..15).map(|i| format!("f{i:02}")).collect();
    for name in &names {
        engine.record_occurrences(clock.now(), &occurrence(name, Severity::Error, &tags), 2);
    }
    router.route(clock.now(), &engine.evaluate(clock.now()));
    clock.advance(Duration::from_secs(1));
    let first = router.route(clock.now(), &engine.evaluate(clock.now()));
    assert_eq!(first.len(), 10, "10 per minute");
    assert_eq!(router.counts().rate_limited, 5);
    clock.advance(Duration::from_secs(30)); // 5 tokens come back
    // A new alert now waits behind the held ones: they go first.
    engine.record_occurrences(clock.now(), &occurrence("late", Severity::Error, &tags), 2);
    let mut later = router.route(clock.now(), &engine.evaluate(clock.now()));
    clock.advance(Duration::from_secs(1));
    later.extend(router.route(clock.now(), &engine.evaluate(clock.now())));
    assert_eq!(later.len(), 5, "5 tokens came back; the new alert is held");
    assert!(later.iter().all(|n| n.alert.labels["function"] != "late"), "held notifications go first");
    let mut told: Vec<String> = first.iter().chain(&later).map(|n| n.alert.labels["function"].clone()).collect();
    told.sort();
    assert_eq!(told, names, "every function told exactly once");
    clock.advance(Duration::from_secs(6)); // one token
    let last = router.route(clock.now(), &engine.evaluate(clock.now()));
    assert_eq!(last.iter().map(|n| n.alert.labels["function"].as_str()).collect::<Vec<_>>(), ["late"]);
    assert_eq!(router.counts().sent, 16);
    assert_eq!(router.counts().dropped, 0);
}

/// Five alerts at once, each notified to `pager` (its own limit) and `ops`
/// (the router's default of 10 a minute): what each destination is told at
/// the first look, and the router, engine and clock to go on with.
fn burst(config: &monitor_runtime::alerts::AlertConfig) -> (Vec<String>, Vec<String>, Router, Engine, ManualClock) {
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(config, RouterConfig::default());
    let tags = BTreeMap::new();
    for function in ["a", "b", "c", "d", "e"] {
        engine.record_occurrences(clock.now(), &occurrence(function, Severity::Error, &tags), 2);
    }
    assert!(router.route(clock.now(), &engine.evaluate(clock.now())).is_empty(), "group_wait first");
    clock.advance(Duration::from_secs(1));
    let first = router.route(clock.now(), &engine.evaluate(clock.now()));
    let told = |destination: &str| -> Vec<String> {
        first.iter().filter(|n| n.destination == destination).map(|n| n.alert.labels["function"].clone()).collect()
    };
    (told("pager"), told("ops"), router, engine, clock)
}

#[test]
fn a_destination_with_its_own_limit_holds_the_rest_and_the_others_keep_the_default() {
    let config = monitor_runtime::alerts! {
        destination pager = console at most 1 per minute;
        destination ops = console;
        rule per_function { when errors > 1 within 1h; notify pager, ops; group_by function; group_wait 1s; }
    };
    assert_eq!(config.destination("pager").unwrap().per_minute, Some(1));
    let (pager, ops, mut router, mut engine, clock) = burst(&config);
    assert_eq!(ops.len(), 5, "ops keeps the default of 10 a minute: nothing held");
    assert_eq!(pager.len(), 1, "1 a minute");
    assert_eq!(pager[0], ops[0], "the first alert of the burst");
    assert_eq!(router.counts().rate_limited, 4);

    // The rest go to the pager one a minute, in the order they came.
    let mut told = pager;
    for minute in 1..=4 {
        clock.advance(Duration::from_secs(30));
        assert!(router.route(clock.now(), &engine.evaluate(clock.now())).is_empty(), "half a token at {minute}m");
        clock.advance(Duration::from_secs(30));
        let released = router.route(clock.now(), &engine.evaluate(clock.now()));
        assert_eq!(released.len(), 1, "one more at {minute}m: {released:?}");
        assert_eq!(released[0].destination, "pager");
        told.push(released[0].alert.labels["function"].clone());
    }
    assert_eq!(told, ops, "the pager was told every alert, in the order ops was");
    assert_eq!((router.counts().sent, router.counts().dropped), (10, 0));
    clock.advance(10 * MINUTE);
    assert!(router.route(clock.now(), &engine.evaluate(clock.now())).is_empty(), "nothing more held");
}

#[test]
fn a_reload_takes_a_destinations_new_limit() {
    let config = monitor_runtime::alerts! {
        destination pager = console at most 1 per minute;
        destination ops = console;
        rule per_function { when errors > 1 within 1h; notify pager, ops; group_by function; group_wait 1s; }
    };
    let (pager, _, mut router, mut engine, clock) = burst(&config);
    assert_eq!(pager.len(), 1);
    router.reload(&monitor_runtime::alerts! {
        destination pager = console at most 10 per minute;
        destination ops = console;
        rule per_function { when errors > 1 within 1h; notify pager, ops; group_by function; group_wait 1s; }
    });
    clock.advance(Duration::from_secs(30)); // 5 tokens at 10 a minute; half of one at 1 a minute
    let released = router.route(clock.now(), &engine.evaluate(clock.now()));
    assert_eq!(released.len(), 4, "{released:?}");
    assert!(released.iter().all(|n| n.destination == "pager"));
}

/// Counts per duration bucket: `n` calls that each took `each`.
fn calls(n: u64, each: Duration) -> [u64; DURATION_BUCKETS] {
    let mut buckets = [0; DURATION_BUCKETS];
    let index = (0..DURATION_BUCKETS).rfind(|&i| bucket_lower_bound(i) <= each).unwrap_or(0);
    buckets[index] = n;
    buckets
}

#[test]
fn a_latency_percentile_fires_per_function_and_resolves_when_fast_calls_take_over() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule slow_payments {
            when p95(function = "payments::*") > 2s over 15m;
            severity warning;
            notify ops;
            group_by function;
        }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    // 90 fast calls and 10 slow ones: p95 is slow.
    engine.record_calls(clock.now(), "shop::payments", "charge", &calls(90, Duration::from_millis(40)));
    engine.record_calls(clock.now(), "shop::payments", "charge", &calls(10, Duration::from_millis(3500)));
    // Slow, but not a payment function: not selected.
    engine.record_calls(clock.now(), "shop::catalog", "search", &calls(100, Duration::from_secs(5)));
    // A payment function under the threshold. (Percentiles are read from
    // buckets about 14% wide: 1.6 s is clearly under 2 s, 1.9 s might not be.)
    engine.record_calls(clock.now(), "shop::payments", "refund", &calls(100, Duration::from_millis(1600)));
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert.labels.get("function").map(String::as_str), Some("charge"));
    assert!(alert.value > 2.0 && alert.value < 4.5, "p95 estimate {} s", alert.value);
    assert_eq!(alert.threshold, 2.0);
    assert_eq!(alert.details.occurrences, 100);
    assert!(alert.summary.starts_with("p95 of charge was"), "{}", alert.summary);

    // Ten minutes of fast calls later, the slow ones are 5% of the window.
    clock.advance(10 * MINUTE);
    engine.record_calls(clock.now(), "shop::payments", "charge", &calls(900, Duration::from_millis(40)));
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts[0].state, AlertState::Resolved, "{alerts:?}");
}

#[test]
fn memory_and_cpu_are_checked_on_their_period_and_resolve_below_the_threshold() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule memory { when memory > 512MiB every 15m; notify ops; }
        rule cpu { when cpu > 90; notify ops; }
    };
    let sample = |mib: u64, cpu_seconds: f64| ResourceSample {
        resident_bytes: Some(mib << 20),
        cpu_time: Some(Duration::from_secs_f64(cpu_seconds)),
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    assert!(engine.resources_due(clock.now()), "the first check is at start");
    // A process busy starting up: its CPU is not judged over this instant.
    engine.record_resources(clock.now(), sample(600, 10.0));
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].rule == "memory" && alerts[0].summary.contains("600.0 MiB"), "{alerts:?}");

    clock.advance(14 * MINUTE);
    assert!(!engine.resources_due(clock.now()), "both check every 15 minutes");
    engine.record_resources(clock.now(), sample(100, 20.0));
    assert_eq!(engine.evaluate(clock.now()).len(), 1, "a sample before the period changes nothing");
    clock.advance(MINUTE);
    assert!(engine.resources_due(clock.now()));
    // 855 s of CPU over the 900 s since the CPU rule's first check: 95%.
    engine.record_resources(clock.now(), sample(100, 865.0));
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(alerts.iter().any(|a| a.rule == "memory" && a.state == AlertState::Resolved), "{alerts:?}");
    assert!(alerts.iter().any(|a| a.rule == "cpu" && a.state == AlertState::Firing && a.value == 95.0), "{alerts:?}");

    clock.advance(15 * MINUTE);
    engine.record_resources(clock.now(), sample(100, 910.0));
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].rule == "cpu" && alerts[0].state == AlertState::Resolved && alerts[0].value == 5.0, "{alerts:?}");
    assert!(engine.evaluate(clock.now()).is_empty());
}

/// Monday 2026-11-23 00:00 UTC.
fn monday() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_392_000)
}

fn scheduled_run(outside: &str, start_at: SystemTime, hours: u32) -> (Vec<(u32, AlertState)>, RouterCounts) {
    let text = format!(
        r#"
        [destinations]
        ops = {{ console = true }}
        [schedules]
        office = {{ days = "mon-fri", hours = "08:00-18:00", timezone = "Europe/Amsterdam" }}
        [[rules]]
        name = "too_many"
        when = "errors > 3 within 1h"
        notify = ["ops"]
        group_wait = "1m"
        during = "office"
        outside = "{outside}"
        "#
    );
    let config = monitor_runtime::alerts::AlertConfig::from_toml_str(&text).unwrap();
    let clock = ManualClock::new(start_at);
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig::default());
    let tags = BTreeMap::new();
    let mut sent = Vec::new();
    for hour in 0..hours {
        if hour < 2 {
            engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 5);
        }
        for _ in 0..60 {
            for notification in router.route(clock.now(), &engine.evaluate(clock.now())) {
                sent.push((hour, notification.alert.state));
            }
            clock.advance(MINUTE);
        }
    }
    (sent, router.counts())
}

#[test]
fn outside_business_hours_notifications_are_held_until_the_office_opens() {
    // Saturday 10:00 UTC: errors for two hours, resolved by the afternoon.
    let saturday = monday() - Duration::from_secs(2 * 86_400) + Duration::from_secs(10 * 3600);
    let (sent, counts) = scheduled_run("hold", saturday, 72);
    // Monday 08:00 in Amsterdam is 07:00 UTC, 45 hours after Saturday 10:00:
    // both the firing and the resolution go out then, in order.
    assert_eq!(sent, vec![(45, AlertState::Firing), (45, AlertState::Resolved)]);
    assert_eq!(counts.held_by_schedule, 2);
}

#[test]
fn outside_business_hours_notifications_can_be_dropped_instead() {
    let saturday = monday() - Duration::from_secs(2 * 86_400) + Duration::from_secs(10 * 3600);
    let (sent, counts) = scheduled_run("drop", saturday, 72);
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(counts.dropped_by_schedule, 2);
    // The same errors on a Monday morning go out as they happen.
    let (sent, _) = scheduled_run("drop", monday() + Duration::from_secs(8 * 3600), 4);
    // (The last errors, at the start of hour 1, slide out of the 1h window in hour 2.)
    assert_eq!(sent, vec![(0, AlertState::Firing), (2, AlertState::Resolved)]);
}

#[test]
fn a_reload_keeps_unchanged_rules_and_resolves_the_alerts_of_removed_ones() {
    let both = monitor_runtime::alerts! {
        destination ops = console;
        rule kept { when errors > 3 within 1h; notify ops; }
        rule removed { when errors(severity >= error) > 1 within 1h; notify ops; }
    };
    let only_kept = monitor_runtime::alerts! {
        destination ops = console;
        rule kept { when errors > 3 within 1h; notify ops; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(both, clock.now());
    let tags = BTreeMap::new();
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 5);
    assert_eq!(engine.evaluate(clock.now()).len(), 2);
    let resolved = engine.reload(only_kept, clock.now());
    assert_eq!(resolved.len(), 1);
    assert_eq!((resolved[0].rule.as_str(), resolved[0].state), ("removed", AlertState::Resolved));
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1);
    assert_eq!((alerts[0].rule.as_str(), alerts[0].value), ("kept", 5.0), "the kept rule kept its window");
}

#[test]
fn the_router_says_when_its_next_timer_is_due() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule too_many { when errors > 3 within 1h; notify ops; group_wait 2m; group_interval 5m; repeat_interval 1h; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig::default());
    let tags = BTreeMap::new();
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 5);
    assert!(router.route(clock.now(), &engine.evaluate(clock.now())).is_empty());
    assert_eq!(router.next_due(), Some(start() + 2 * MINUTE), "group_wait");
    clock.advance(2 * MINUTE);
    assert_eq!(router.route(clock.now(), &engine.evaluate(clock.now())).len(), 1);
    assert_eq!(router.next_due(), Some(start() + 62 * MINUTE), "repeat_interval while it stays the same");
}

#[test]
fn rules_without_labels_neither_mute_nor_are_muted() {
    // The README's shape: a critical error count over the whole service,
    // beside rules about other things, none of them grouped.
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule too_many_errors { when errors > 8 within 1h; severity critical; notify ops; group_wait 1s; }
        rule some_errors { when errors > 3 within 1h; severity warning; notify ops; group_wait 1s; }
        rule failed_sepa { when audit(status = failed) > 1 within 1h; severity error; notify ops; group_wait 1s; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig::default());
    let tags = BTreeMap::new();
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 10);
    let failed = AuditRecordBuilder::new("sepa_payment_processing", "collect", ComplianceStatus::Failed).finish();
    engine.record_audit(clock.now(), &failed);
    engine.record_audit(clock.now(), &failed);
    router.route(clock.now(), &engine.evaluate(clock.now()));
    clock.advance(Duration::from_secs(2));
    let mut rules: Vec<String> =
        router.route(clock.now(), &engine.evaluate(clock.now())).into_iter().map(|n| n.alert.rule).collect();
    rules.sort();
    assert_eq!(rules, ["failed_sepa", "some_errors", "too_many_errors"]);
    assert_eq!(router.counts().inhibited, 0);
}

#[test]
fn shutdown_releases_what_the_router_holds_in_order() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        schedule office { days "mon-fri"; hours "09:00-17:00"; timezone "UTC"; }
        rule per_function { when errors > 1 within 1h; notify ops; group_by function; group_wait 0s; }
        rule office_only { when new_group; notify ops; group_wait 0s; during office; outside hold; }
    };
    // Sunday: the office is shut, so office_only is held; two a minute
    // lets one per_function alert through and holds the rest.
    let clock = ManualClock::new(monday() - Duration::from_secs(3600));
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig { per_destination_per_minute: 1, ..RouterConfig::default() });
    let tags = BTreeMap::new();
    for function in ["a", "b", "c"] {
        engine.record_occurrences(clock.now(), &occurrence(function, Severity::Error, &tags), 2);
    }
    let first = occurrence("a", Severity::Error, &tags);
    engine.record_group(clock.now(), &first, false);
    let sent = router.route(clock.now(), &engine.evaluate(clock.now()));
    assert_eq!(sent.len(), 1, "{sent:?}");
    let released = router.release_all();
    let held: Vec<(String, Option<String>)> =
        released.iter().map(|n| (n.alert.rule.clone(), n.alert.labels.get("function").cloned())).collect();
    assert_eq!(held.len(), 3, "{held:?}");
    assert!(held.contains(&("office_only".into(), None)), "{held:?}");
    let counts = router.counts();
    assert_eq!((counts.released_at_shutdown, counts.sent), (3, 4));
    assert!(router.release_all().is_empty(), "released once");
}

#[test]
fn a_zero_group_wait_notifies_at_the_first_look() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule too_many { when errors > 3 within 1h; notify ops; group_wait 0s; group_interval 1m; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig::default());
    let tags = BTreeMap::new();
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 4);
    let sent = router.route(clock.now(), &engine.evaluate(clock.now()));
    assert_eq!(sent.len(), 1, "no wait: {sent:?}");
    assert_eq!(router.next_due(), Some(start() + 4 * 60 * MINUTE), "then the default repeat_interval");
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 1);
    assert!(router.route(clock.now(), &engine.evaluate(clock.now())).is_empty(), "a change waits for group_interval");
}

#[test]
fn an_error_rate_fires_per_function_and_resolves_when_calls_succeed_again() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule failing_payments {
            when error_rate(function = "payments::*") > 5% over 15m;
            severity error;
            notify ops;
            group_by function;
        }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    engine.record_call_outcomes(clock.now(), "shop::payments", "charge", 100, 8);
    engine.record_call_outcomes(clock.now(), "shop::payments", "refund", 100, 5); // 5% is not above 5%
    engine.record_call_outcomes(clock.now(), "shop::catalog", "search", 10, 10); // not a payment function
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].labels["function"], "charge");
    assert_eq!((alerts[0].value, alerts[0].threshold), (8.0, 5.0));
    assert_eq!(alerts[0].details.occurrences, 8);
    assert!(alerts[0].summary.contains("8.0% of calls of charge failed over 15m (8 of 100"), "{}", alerts[0].summary);

    // 200 good calls later the share is 8 of 300: under 5%.
    clock.advance(5 * MINUTE);
    engine.record_call_outcomes(clock.now(), "shop::payments", "charge", 200, 0);
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts[0].state, AlertState::Resolved, "{alerts:?}");
    assert!(alerts[0].summary.starts_with("back to 2.7%"), "{}", alerts[0].summary);

    // The window slides: a burst of failures alone is 100% of the calls in it.
    clock.advance(20 * MINUTE);
    engine.record_call_outcomes(clock.now(), "shop::payments", "charge", 3, 3);
    assert_eq!(engine.evaluate(clock.now())[0].value, 100.0);
}

#[test]
fn an_error_rate_with_a_minimum_of_calls_waits_for_enough_calls_to_judge() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule failing_refunds {
            when error_rate(function = "refund") > 20% over 10m with at least 50 calls;
            notify ops;
        }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    // Two failures out of three calls is 67%, but three calls are too few.
    engine.record_call_outcomes(clock.now(), "shop::payments", "refund", 3, 2);
    assert!(engine.evaluate(clock.now()).is_empty(), "three calls are fewer than 50");
    clock.advance(MINUTE);
    engine.record_call_outcomes(clock.now(), "shop::payments", "refund", 47, 10);
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].value, 24.0, "12 of 50 calls");

    // The first three calls leave the window: 47 calls remain, under the minimum.
    clock.advance(9 * MINUTE + Duration::from_secs(30));
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts[0].state, AlertState::Resolved, "{alerts:?}");
    assert_eq!(alerts[0].summary, "only 47 calls over 10m, fewer than the 50 the rule needs (10 failed)");
}

#[test]
fn a_rule_tracks_at_most_max_label_sets_and_counts_the_rest() {
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule per_user { when errors > 1 within 1h; notify ops; group_by tag.user; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config, clock.now());
    let users = MAX_LABEL_SETS + 5;
    for user in 0..users {
        let tags = BTreeMap::from([("user".to_owned(), format!("u{user}"))]);
        engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 2);
    }
    assert_eq!(engine.evaluate(clock.now()).len(), MAX_LABEL_SETS, "one alert per tracked user");
    assert_eq!(engine.over_label_limit(), 5);
    // A user already tracked is still counted.
    let tags = BTreeMap::from([("user".to_owned(), "u0".to_owned())]);
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 1);
    assert_eq!(engine.over_label_limit(), 5);
    // Once the window has emptied, room is made again.
    clock.advance(2 * 60 * MINUTE);
    assert_eq!(engine.evaluate(clock.now()).len(), MAX_LABEL_SETS, "all resolve");
    let tags = BTreeMap::from([("user".to_owned(), "late".to_owned())]);
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 2);
    let alerts = engine.evaluate(clock.now());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].labels["tag.user"], "late");
}

#[test]
fn an_acknowledged_alert_sends_no_repeats_until_it_worsens_and_its_resolution_still_goes_out() {
    use monitor_runtime::alerting::AcknowledgedAlert;
    let config = monitor_runtime::alerts! {
        destination ops = console;
        rule too_many { when errors > 3 within 10m; notify ops; group_wait 0s; group_interval 1m; repeat_interval 5m; }
    };
    let clock = ManualClock::new(start());
    let mut engine = Engine::new(config.clone(), clock.now());
    let mut router = Router::new(&config, RouterConfig::default());
    let tags = BTreeMap::new();
    let look = |engine: &mut Engine, router: &mut Router| {
        let sent = router.route(clock.now(), &engine.evaluate(clock.now()));
        clock.advance(MINUTE);
        sent.into_iter().map(|n| n.alert.state).collect::<Vec<_>>()
    };
    engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 5);
    assert_eq!(look(&mut engine, &mut router), [AlertState::Firing]);
    let acknowledged = |severity| AcknowledgedAlert { rule: "too_many".into(), labels: Default::default(), severity };
    router.set_acknowledged([acknowledged(Severity::Error)]);
    let mut sent = Vec::new();
    for _ in 0..8 {
        engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 1);
        sent.extend(look(&mut engine, &mut router));
    }
    assert!(sent.is_empty(), "no repeat while acknowledged: {sent:?}");
    assert_eq!(router.counts().acknowledged_repeats, 1, "one suppressed repeat in 8 minutes of a 5 minute interval");

    // Acknowledged at a lower severity than it fires with now: it worsened, repeats go out.
    router.set_acknowledged([acknowledged(Severity::Warning)]);
    let mut sent = Vec::new();
    for _ in 0..6 {
        engine.record_occurrences(clock.now(), &occurrence("charge", Severity::Error, &tags), 1);
        sent.extend(look(&mut engine, &mut router));
    }
    assert_eq!(sent, [AlertState::Firing]);

    // Acknowledged again, then it stops failing: the resolution is sent.
    router.set_acknowledged([acknowledged(Severity::Critical)]);
    let mut sent = Vec::new();
    for _ in 0..12 {
        sent.extend(look(&mut engine, &mut router));
    }
    assert_eq!(sent, [AlertState::Resolved]);
}
