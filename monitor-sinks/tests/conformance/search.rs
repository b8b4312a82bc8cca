//! Search, pages and aggregations: the same answers from every store.

use std::sync::Arc;
use std::time::Duration;

use monitor_runtime::audit::ComplianceStatus;
use monitor_runtime::{Event, EventKind, GroupStatus, Severity, SinkErrorKind};
use monitor_sinks::store::{
    Breakdown, BucketCount, Buckets, EventFilter, EventQuery, GroupQuery, GroupSort, Store, StoredEvent,
};
use serde_json::json;

use super::{Group, TestDatabase, at, audit, batch, event, event_of, key};

/// An event of group `n` whose context and location are changed by `edit`
/// (a JSON merge of the event's serde form).
fn event_with(n: u64, message: &str, secs: u64, edit: serde_json::Value) -> Event {
    let mut value = serde_json::to_value(event(n, message, at(secs))).unwrap();
    for (field, changed) in edit.as_object().unwrap() {
        match (value.get_mut(field), changed) {
            (Some(serde_json::Value::Object(inner)), serde_json::Value::Object(changes)) => {
                inner.extend(changes.clone());
            }
            _ => value[field] = changed.clone(),
        }
    }
    serde_json::from_value(value).unwrap()
}

fn messages(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|event| event.message.as_str()).collect()
}

async fn search(store: &Arc<dyn Store>, query: EventQuery) -> Vec<String> {
    store.events_matching(&query).await.unwrap().iter().map(|event| event.message.clone()).collect()
}

fn context(filter: EventFilter) -> EventQuery {
    EventQuery { context: filter, ..EventQuery::default() }
}

/// The events every search case stores: three services, users, traces,
/// tags, kinds, severities and texts.
async fn seeded(database: &Arc<impl TestDatabase>) -> Arc<dyn Store> {
    let store = database.open().await.unwrap();
    let events = vec![
        event_with(
            1,
            "mandate DE89 rejected by bank: timeout after 30s",
            1,
            json!({"context": {"service": "billing", "environment": "production", "release": "2.1.0",
                    "user": "alice", "trace_id": "trace-a", "tags": {"tenant": "acme", "region": "eu"}}}),
        ),
        event_with(
            2,
            "Überweisung für Zürich abgelehnt",
            2,
            json!({"context": {"service": "billing", "environment": "staging", "user": "bob", "tags": {"tenant": "globex"}},
                   "location": {"module": "payments::sepa::transfers", "function": "send", "file": "src/t.rs", "line": 7},
                   "error_type": "TransferError"}),
        ),
        event_with(
            3,
            "ledger lock timed out on db-east.internal:5432",
            3,
            json!({"context": {"service": "ledger", "environment": "production", "user": "alice", "trace_id": "trace-c"},
                   "location": {"module": "ledger::posting", "function": "post", "file": "src/l.rs", "line": 9},
                   "severity": "critical", "kind": "panic"}),
        ),
        event_of(4, "slow payment export", at(4), Severity::Warning, EventKind::Slow),
    ];
    let groups = [
        Group::new(1, "payments::sepa", 1, at(1), at(1)),
        Group::new(2, "payments::sepa::transfers", 1, at(2), at(2)),
        Group::new(3, "ledger::posting", 1, at(3), at(3)).severity(Severity::Critical),
        Group::new(4, "payments::export", 1, at(4), at(4)).severity(Severity::Warning),
    ];
    store.write_batch(&batch(events, &groups, vec![], vec![])).await.unwrap();
    store
}

pub async fn events_are_found_by_context_tags_location_and_time(database: Arc<impl TestDatabase>) {
    let store = seeded(&database).await;
    let all = search(&store, EventQuery::default()).await;
    assert_eq!(all.len(), 4);
    assert_eq!(all[0], "slow payment export", "newest first");
    let billing = context(EventFilter { service: Some("billing".into()), ..EventFilter::default() });
    assert_eq!(
        search(&store, billing).await,
        ["Überweisung für Zürich abgelehnt", "mandate DE89 rejected by bank: timeout after 30s"]
    );
    let production_alice = context(EventFilter {
        environment: Some("production".into()),
        user: Some("alice".into()),
        ..EventFilter::default()
    });
    assert_eq!(search(&store, production_alice).await.len(), 2);
    let trace = context(EventFilter { trace_id: Some("trace-c".into()), ..EventFilter::default() });
    assert_eq!(search(&store, trace).await, ["ledger lock timed out on db-east.internal:5432"]);
    let release = context(EventFilter { release: Some("2.1.0".into()), ..EventFilter::default() });
    assert_eq!(search(&store, release).await.len(), 1);
    let acme_eu = context(EventFilter {
        tags: vec![("tenant".into(), "acme".into()), ("region".into(), "eu".into())],
        ..EventFilter::default()
    });
    assert_eq!(search(&store, acme_eu).await, ["mandate DE89 rejected by bank: timeout after 30s"]);
    let acme_us = context(EventFilter {
        tags: vec![("tenant".into(), "acme".into()), ("region".into(), "us".into())],
        ..EventFilter::default()
    });
    assert!(search(&store, acme_us).await.is_empty(), "every tag must match");

    let sepa = EventQuery { module: Some("payments::sepa".into()), ..EventQuery::default() };
    assert_eq!(search(&store, sepa).await.len(), 3, "the module and its submodules");
    let glob = EventQuery { module: Some("payments::*".into()), ..EventQuery::default() };
    assert_eq!(search(&store, glob).await.len(), 3, "not ledger::posting");
    let function = EventQuery { function: Some("sepa::*::send".into()), ..EventQuery::default() };
    assert_eq!(search(&store, function).await, ["Überweisung für Zürich abgelehnt"], "leading modules may be left out");
    let by_name = EventQuery { function: Some("po*".into()), ..EventQuery::default() };
    assert_eq!(search(&store, by_name).await, ["ledger lock timed out on db-east.internal:5432"]);
    let case = EventQuery { module: Some("Payments::*".into()), ..EventQuery::default() };
    assert!(search(&store, case).await.is_empty(), "module paths are case-sensitive");
    let error_type = EventQuery { error_type: Some("TransferError".into()), ..EventQuery::default() };
    assert_eq!(search(&store, error_type).await.len(), 1);
    let critical = EventQuery { min_severity: Some(Severity::Critical), ..EventQuery::default() };
    assert_eq!(search(&store, critical).await.len(), 1);
    let warning = EventQuery { severity: Some(Severity::Warning), ..EventQuery::default() };
    assert_eq!(search(&store, warning).await, ["slow payment export"]);
    let panics = EventQuery { kind: Some(EventKind::Panic), ..EventQuery::default() };
    assert_eq!(search(&store, panics).await.len(), 1);
    let window = EventQuery { since: Some(at(2)), until: Some(at(4)), ..EventQuery::default() };
    assert_eq!(search(&store, window).await.len(), 2, "since is inclusive, until is not");
    let group = EventQuery { group: Some(key(3)), ..EventQuery::default() };
    assert_eq!(search(&store, group).await.len(), 1);
}

pub async fn free_text_finds_words_and_their_beginnings_in_any_script(database: Arc<impl TestDatabase>) {
    let store = seeded(&database).await;
    let text = |words: &str| context(EventFilter { text: Some(words.into()), ..EventFilter::default() });
    assert_eq!(search(&store, text("timeout")).await, ["mandate DE89 rejected by bank: timeout after 30s"]);
    assert_eq!(search(&store, text("TIME")).await.len(), 2, "case-insensitive, a word's beginning: timeout, timed");
    assert_eq!(search(&store, text("zürich")).await, ["Überweisung für Zürich abgelehnt"]);
    assert_eq!(search(&store, text("db-east")).await.len(), 1, "a host name's parts are words");
    assert_eq!(search(&store, text("internal 5432")).await.len(), 1);
    assert_eq!(search(&store, text("bank rejected")).await.len(), 1, "every word, in any order");
    assert!(search(&store, text("bank accepted")).await.is_empty());
    assert!(search(&store, text("imeout")).await.is_empty(), "words, not any substring");
    // Templates too: every seeded event's template is `payment <*> failed`.
    assert_eq!(search(&store, text("failed")).await.len(), 4);

    let error = store.events_matching(&text(" :: ")).await.unwrap_err();
    assert_eq!(error.kind, SinkErrorKind::Rejected);
    assert!(error.message.contains("no letters or digits"), "{error}");
}

pub async fn groups_are_found_by_what_their_events_carry(database: Arc<impl TestDatabase>) {
    let store = seeded(&database).await;
    let keys = |query: GroupQuery| {
        let store = store.clone();
        async move { store.groups(&query).await.unwrap().iter().map(|group| group.key).collect::<Vec<_>>() }
    };
    let production = GroupQuery {
        events: EventFilter { environment: Some("production".into()), ..EventFilter::default() },
        ..GroupQuery::default()
    };
    assert_eq!(keys(production).await, [key(3), key(1)]);
    let text = GroupQuery {
        events: EventFilter { text: Some("Zürich".into()), ..EventFilter::default() },
        ..GroupQuery::default()
    };
    assert_eq!(keys(text).await, [key(2)]);
    let glob = GroupQuery { module: Some("payments::sepa*".into()), ..GroupQuery::default() };
    assert_eq!(keys(glob).await, [key(2), key(1)]);
    let critical = GroupQuery { severity: Some(Severity::Critical), ..GroupQuery::default() };
    assert_eq!(keys(critical).await, [key(3)]);
    let function = GroupQuery { function: Some("submit".into()), ..GroupQuery::default() };
    assert_eq!(keys(function).await, [key(4), key(3), key(2), key(1)], "the groups' own location: all `submit`");
    let error_type = GroupQuery { error_type: Some("BankError".into()), ..GroupQuery::default() };
    assert_eq!(keys(error_type).await.len(), 4);
    let kind = GroupQuery { kind: Some(EventKind::Error), status: Some(GroupStatus::Open), ..GroupQuery::default() };
    assert_eq!(keys(kind).await.len(), 4);
    // Bulk triage takes the same filters.
    let change = monitor_sinks::store::GroupChange::by("alice").status(GroupStatus::Investigating);
    let billing = GroupQuery {
        events: EventFilter { service: Some("billing".into()), ..EventFilter::default() },
        ..GroupQuery::all()
    };
    assert_eq!(store.change_groups(&billing, &change).await.unwrap(), 2);
    let investigating = GroupQuery { status: Some(GroupStatus::Investigating), ..GroupQuery::default() };
    assert_eq!(keys(investigating).await, [key(2), key(1)]);
}

/// Text alone is answered from each group's words: every word any of its
/// events held, written by whichever instance stored the event.
pub async fn groups_are_found_by_the_words_of_any_of_their_events(database: Arc<impl TestDatabase>) {
    let store = seeded(&database).await;
    // A later event of group 1, from another instance of the service.
    let other = database.open().await.unwrap();
    let later = event_with(1, "mandate MND-77 rejected: Timeout after retry", 5, json!({}));
    other
        .write_batch(&batch(vec![later], &[Group::new(1, "payments::sepa", 1, at(1), at(5))], vec![], vec![]))
        .await
        .unwrap();
    let keys = |text: &str| {
        let store = store.clone();
        let query = GroupQuery {
            events: EventFilter { text: Some(text.into()), ..EventFilter::default() },
            ..GroupQuery::default()
        };
        async move { store.groups(&query).await.unwrap().iter().map(|group| group.key).collect::<Vec<_>>() }
    };
    assert_eq!(keys("mnd").await, [key(1)], "a word of the later event");
    assert_eq!(keys("DE89").await, [key(1)], "a word of the first event");
    assert_eq!(keys("tim").await, [key(1), key(3)], "a word's beginning, case-insensitively: timeout, timed");
    assert_eq!(keys("retry bank").await, [key(1)], "every word, from any of the group's events");
    assert!(keys("retry zürich").await.is_empty(), "every word, not any");
    assert_eq!(keys("ÜBERWEISUNG").await, [key(2)]);
    assert!(keys("imeout").await.is_empty(), "words, not any substring");
    assert_eq!(keys(&"x".repeat(200)).await, Vec::<monitor_runtime::GroupKey>::new());
    // The same word written again by both instances is one row, and found once.
    let again = event_with(1, "timeout once more", 6, json!({}));
    store
        .write_batch(&batch(vec![again], &[Group::new(1, "payments::sepa", 1, at(1), at(6))], vec![], vec![]))
        .await
        .unwrap();
    assert_eq!(keys("timeout").await, [key(1)]);
    // With another event filter, one event must hold them all.
    let one_event = GroupQuery {
        events: EventFilter {
            text: Some("retry bank".into()),
            service: Some("billing".into()),
            ..EventFilter::default()
        },
        ..GroupQuery::default()
    };
    assert!(store.groups(&one_event).await.unwrap().is_empty());
    let error = store
        .groups(&GroupQuery {
            events: EventFilter { text: Some("::".into()), ..EventFilter::default() },
            ..GroupQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind, SinkErrorKind::Rejected);
}

pub async fn pages_stay_steady_while_new_events_arrive(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    let events: Vec<Event> = (0..5).map(|n| event(1, &format!("payment {n} failed"), at(n))).collect();
    store.write_batch(&batch(events, &[], vec![], vec![])).await.unwrap();
    let first = store.event_page(&EventQuery { limit: 2, ..EventQuery::default() }).await.unwrap();
    assert_eq!(messages(&first.items), ["payment 4 failed", "payment 3 failed"]);
    // New events arrive between two pages: the next page goes on where the first ended.
    let newer: Vec<Event> = (5..8).map(|n| event(1, &format!("payment {n} failed"), at(n))).collect();
    store.write_batch(&batch(newer, &[], vec![], vec![])).await.unwrap();
    let second =
        store.event_page(&EventQuery { limit: 2, after: first.next.clone(), ..EventQuery::default() }).await.unwrap();
    assert_eq!(messages(&second.items), ["payment 2 failed", "payment 1 failed"]);
    let last =
        store.event_page(&EventQuery { limit: 2, after: second.next.clone(), ..EventQuery::default() }).await.unwrap();
    assert_eq!(messages(&last.items), ["payment 0 failed"]);
    assert_eq!(last.next, None, "the last page says so");

    let groups: Vec<Group> = (1..=5).map(|n| Group::new(n, "payments", n * 10, at(n), at(100 - n))).collect();
    store.write_batch(&batch(vec![], &groups, vec![], vec![])).await.unwrap();
    let by_count = GroupQuery { sort: GroupSort::Count, limit: 2, ..GroupQuery::default() };
    let mut seen = Vec::new();
    let mut page = store.group_page(&by_count).await.unwrap();
    loop {
        seen.extend(page.items.iter().map(|group| (group.key, group.count)));
        let Some(next) = page.next else { break };
        // A new group between pages, with more occurrences than any: it
        // belongs before the pages already read, and does not shift them.
        store
            .write_batch(&batch(
                vec![],
                &[Group::new(90 + seen.len() as u64, "payments", 1000, at(0), at(0))],
                vec![],
                vec![],
            ))
            .await
            .unwrap();
        page = store.group_page(&GroupQuery { after: Some(next), ..by_count.clone() }).await.unwrap();
    }
    assert_eq!(seen, [(key(5), 50), (key(4), 40), (key(3), 30), (key(2), 20), (key(1), 10)]);
    let by_first = GroupQuery { sort: GroupSort::FirstSeen, limit: 1, ..GroupQuery::default() };
    let newest = store.group_page(&by_first).await.unwrap();
    assert_eq!(newest.items[0].key, key(5));
    let wrong = GroupQuery { after: newest.next.clone(), ..by_count.clone() };
    let error = store.group_page(&wrong).await.unwrap_err();
    assert!(error.message.contains("sorted by first_seen, not by count"), "{error}");
    let forged = EventQuery { after: Some("no cursor".into()), ..EventQuery::default() };
    assert_eq!(store.event_page(&forged).await.unwrap_err().kind, SinkErrorKind::Rejected);
}

pub async fn charts_count_occurrences_new_groups_top_groups_and_audit_records(database: Arc<impl TestDatabase>) {
    let (one, two) = (database.open().await.unwrap(), database.open().await.unwrap());
    // Hour 0: group 1 (error) 3 + 4 occurrences from two instances, group 2
    // (critical) 2; hour 1: group 1 5 more, group 3 (a panic) 1.
    one.write_batch(&batch(vec![], &[Group::new(1, "payments", 3, at(0), at(10))], vec![], vec![])).await.unwrap();
    two.write_batch(&batch(vec![], &[Group::new(1, "payments", 4, at(0), at(20))], vec![], vec![])).await.unwrap();
    let critical = Group::new(2, "ledger", 2, at(30), at(30)).severity(Severity::Critical);
    one.write_batch(&batch(vec![], &[critical], vec![], vec![])).await.unwrap();
    one.write_batch(&batch(vec![], &[Group::new(1, "payments", 5, at(0), at(3700))], vec![], vec![])).await.unwrap();
    let panic = event_of(3, "worker panicked", at(3800), Severity::Error, EventKind::Panic);
    let mut panic_group = Group::new(3, "jobs", 1, at(3800), at(3800));
    panic_group.severity = Severity::Error;
    two.write_batch(&batch(vec![panic], &[panic_group], vec![], vec![])).await.unwrap();

    let day = Buckets::hourly(at(0), at(7200));
    let counts = one.occurrence_counts(&day, Breakdown::Severity, &GroupQuery::default()).await.unwrap();
    let bucket = |start, label: &str, count| BucketCount { start, label: label.to_owned(), count };
    assert_eq!(counts, [bucket(at(0), "critical", 2), bucket(at(0), "error", 7), bucket(at(3600), "error", 6)]);
    let payments = GroupQuery { module: Some("payments".into()), ..GroupQuery::default() };
    let counts = one.occurrence_counts(&day, Breakdown::Severity, &payments).await.unwrap();
    assert_eq!(counts, [bucket(at(0), "error", 7), bucket(at(3600), "error", 5)], "only the groups selected");
    let new = one.new_group_counts(&day, &GroupQuery::default()).await.unwrap();
    assert_eq!(new, [bucket(at(0), "", 2), bucket(at(3600), "", 1)]);

    let top = two.top_groups(at(0), at(3600), 2).await.unwrap();
    let top: Vec<_> = top.iter().map(|entry| (entry.group.key, entry.count)).collect();
    assert_eq!(top, [(key(1), 7), (key(2), 2)], "most first, counted in the window only");

    let audits = vec![
        audit("sepa_mandate", "create", ComplianceStatus::Compliant, 1),
        audit("sepa_mandate", "create", ComplianceStatus::Compliant, 2),
        audit("sepa_mandate", "create", ComplianceStatus::Failed, 3),
        audit("bank_submission", "send", ComplianceStatus::PendingReview, 4),
    ];
    one.write_batch(&batch(vec![], &[], audits, vec![])).await.unwrap();
    let now = std::time::SystemTime::now();
    let daily = Buckets::daily(now - Duration::from_secs(2 * 86_400), now + Duration::from_secs(86_400));
    let per_process: Vec<_> = one
        .audit_counts(&daily)
        .await
        .unwrap()
        .into_iter()
        .map(|count| (count.process, count.status, count.count))
        .collect();
    let expected = [
        ("bank_submission".to_owned(), "pending_review".to_owned(), 1),
        ("sepa_mandate".to_owned(), "compliant".to_owned(), 2),
        ("sepa_mandate".to_owned(), "failed".to_owned(), 1),
    ];
    assert_eq!(per_process, expected);

    let bad = Buckets { width: Duration::from_secs(90), ..day };
    let error = one.occurrence_counts(&bad, Breakdown::Kind, &GroupQuery::default()).await.unwrap_err();
    assert!(error.message.contains("whole number of minutes"), "{error}");
}

/// Sums counts per label over every bucket.
fn totals(counts: &[BucketCount]) -> std::collections::BTreeMap<String, u64> {
    let mut totals = std::collections::BTreeMap::new();
    for count in counts {
        *totals.entry(count.label.clone()).or_default() += count.count;
    }
    totals
}

/// Charts read whole hours from hourly totals and the partial hours at
/// either end from the rows: the same counts as reading every row.
pub async fn charts_from_hourly_totals_count_what_the_rows_count(database: Arc<impl TestDatabase>) {
    let store = database.open().await.unwrap();
    // Occurrences every 7 minutes for 6 hours, from two groups; the
    // expected totals of [00:30, 05:30) counted here.
    let mut expected = std::collections::BTreeMap::<String, u64>::new();
    for minute in (0..360u64).step_by(7) {
        let (n, severity) = if minute % 2 == 0 { (1, Severity::Error) } else { (2, Severity::Critical) };
        let group = Group::new(n, "payments", minute % 5 + 1, at(0), at(minute * 60)).severity(severity);
        store.write_batch(&batch(vec![], &[group], vec![], vec![])).await.unwrap();
        if (30..330).contains(&minute) {
            *expected.entry(severity.as_str().to_owned()).or_default() += minute % 5 + 1;
        }
    }
    let daily = Buckets::daily(at(1800), at(5 * 3600 + 1800));
    let by_quarter = Buckets { width: Duration::from_secs(900), ..daily };
    let from_totals = store.occurrence_counts(&daily, Breakdown::Severity, &GroupQuery::default()).await.unwrap();
    let from_rows = store.occurrence_counts(&by_quarter, Breakdown::Severity, &GroupQuery::default()).await.unwrap();
    assert_eq!(totals(&from_totals), expected);
    assert_eq!(totals(&from_rows), expected);
    assert_eq!(from_totals.len(), 2, "one day, two severities: {from_totals:?}");
    // Group 1 is the errors, group 2 the critical ones.
    let mut top: Vec<_> = [(key(1), expected["error"]), (key(2), expected["critical"])].into();
    top.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    let found = store.top_groups(at(1800), at(5 * 3600 + 1800), 5).await.unwrap();
    assert_eq!(found.iter().map(|entry| (entry.group.key, entry.count)).collect::<Vec<_>>(), top);

    let audits = (0..5).map(|n| audit("sepa_mandate", "create", ComplianceStatus::Compliant, n)).collect();
    store.write_batch(&batch(vec![], &[], audits, vec![])).await.unwrap();
    let now = std::time::SystemTime::now();
    for (before, after) in [(3 * 3600, 1), (9000, 3 * 3600), (60, 60)] {
        let range = (now - Duration::from_secs(before), now + Duration::from_secs(after));
        let daily = Buckets::daily(range.0, range.1);
        let by_minute = Buckets { width: Duration::from_secs(60), ..daily };
        for buckets in [daily, by_minute] {
            let counted: u64 = store.audit_counts(&buckets).await.unwrap().iter().map(|count| count.count).sum();
            assert_eq!(counted, 5, "{buckets:?}");
        }
    }
}

fn call_counts(
    module: &'static str,
    function: &'static str,
    secs: u64,
    calls: u64,
    errors: u64,
    bucket: usize,
) -> monitor_runtime::CallCounts {
    let mut counts = monitor_runtime::CallCounts::new(module, function, at(secs));
    counts.calls = calls;
    counts.errors = errors;
    counts.total_duration = Duration::from_micros(calls * 100);
    counts.duration_buckets[bucket] = calls;
    counts
}

pub async fn calls_per_function_add_up_across_instances_with_their_percentiles(database: Arc<impl TestDatabase>) {
    let (one, two) = (database.open().await.unwrap(), database.open().await.unwrap());
    let write = |store: Arc<dyn Store>, calls: Vec<monitor_runtime::CallCounts>| async move {
        let mut batch = batch(vec![], &[], vec![], vec![]);
        batch.calls = calls;
        store.write_batch(&batch).await.unwrap();
    };
    // Hour 0: `charge` 90 fast calls on one instance, 10 slow ones with 5
    // errors on the other; hour 1: 20 more. `post` in another module.
    write(one.clone(), vec![call_counts("billing::cards", "charge", 0, 90, 0, 10)]).await;
    write(two.clone(), vec![call_counts("billing::cards", "charge", 60, 10, 5, 40)]).await;
    write(one.clone(), vec![call_counts("billing::cards", "charge", 3600, 20, 0, 10)]).await;
    write(two.clone(), vec![call_counts("ledger", "post", 0, 7, 7, 20)]).await;

    let hours = Buckets::hourly(at(0), at(7200));
    let charge = one.function_stats(&hours, Some("billing::*"), None).await.unwrap();
    let rows: Vec<_> = charge.iter().map(|s| (s.start, s.function.as_str(), s.calls, s.errors)).collect();
    assert_eq!(rows, [(at(0), "charge", 100, 5), (at(3600), "charge", 20, 0)]);
    assert!((charge[0].error_rate - 0.05).abs() < 1e-9);
    assert!(charge[0].p50 < charge[0].p95, "the slow tenth shows in the p95: {:?}", charge[0]);
    assert_eq!(charge[0].mean, Duration::from_micros(100));
    let by_function = two.function_stats(&hours, None, Some("cards::charge")).await.unwrap();
    assert_eq!(by_function.len(), 2, "a path with its leading modules left out");
    let everything = two.function_stats(&Buckets::daily(at(0), at(86_400)), None, None).await.unwrap();
    let names: Vec<_> = everything.iter().map(|s| (s.module.as_str(), s.calls)).collect();
    assert_eq!(names, [("billing::cards", 120), ("ledger", 7)]);
}

/// The top groups of a window count the window alone, exactly, whether a
/// store narrows the groups it sums by their all-time counts or not: old
/// busy groups quiet in the window, ties at the edge (broken by key), a
/// minute just before the window, counts from two instances, and then more
/// old busy groups than a store would narrow to.
pub async fn top_groups_count_the_window_alone_whatever_the_groups_did_before(database: Arc<impl TestDatabase>) {
    const DAY: u64 = 86_400;
    let (one, two) = (database.open().await.unwrap(), database.open().await.unwrap());
    let write = |store: &Arc<dyn Store>, groups: Vec<(u64, u64, u64)>| {
        let store = Arc::clone(store);
        async move {
            let groups: Vec<Group> =
                groups.into_iter().map(|(n, count, secs)| Group::new(n, "ledger", count, at(0), at(secs))).collect();
            store.write_batch(&batch(vec![], &groups, vec![], vec![])).await.unwrap();
        }
    };
    let mut in_window: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
    // Groups 1–8 were busy before the window (500 each) and are quiet in it.
    write(&one, (1..=8).map(|n| (n, 500, 100)).collect()).await;
    let quiet: Vec<(u64, u64, u64)> = (1..=8).map(|n| (n, n, DAY + 60 * n)).collect();
    // Groups 11–30 are new in the window; 14 and 15 tie for fifth place,
    // 13 is counted by two instances, 16 also had 50 just before the window
    // and 17 had 90 just after it.
    let fresh: Vec<(u64, u64, u64)> =
        (11..=30).map(|n| (n, [40, 25, 12, 9, 9, 8, 3][((n - 11) as usize).min(6)], DAY + 7 * n)).collect();
    for &(n, count, _) in quiet.iter().chain(&fresh) {
        *in_window.entry(n).or_default() += count;
    }
    write(&one, quiet).await;
    write(&two, fresh).await;
    write(&one, vec![(13, 10, DAY + 3600)]).await;
    *in_window.entry(13).or_default() += 10;
    write(&two, vec![(16, 50, DAY - 30), (17, 90, 2 * DAY)]).await;

    let expected = |in_window: &std::collections::BTreeMap<u64, u64>, limit: usize| {
        let mut totals: Vec<_> = in_window.iter().map(|(&n, &count)| (key(n), count)).collect();
        totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.to_string().cmp(&b.0.to_string())));
        totals.truncate(limit);
        totals
    };
    let top = |store: Arc<dyn Store>, limit| async move {
        let found = store.top_groups(at(DAY), at(2 * DAY), limit).await.unwrap();
        found.iter().map(|entry| (entry.group.key, entry.count)).collect::<Vec<_>>()
    };
    assert_eq!(
        top(Arc::clone(&one), 5).await,
        expected(&in_window, 5),
        "narrowed by the busiest groups' window totals"
    );
    assert_eq!(top(Arc::clone(&one), 4).await, expected(&in_window, 4), "a tie at the edge goes to the smaller key");
    assert_eq!(top(Arc::clone(&two), 1).await, [(key(11), 40)]);
    for limit in [12, 20] {
        assert_eq!(top(Arc::clone(&one), limit).await, expected(&in_window, limit), "down to the quiet groups");
    }
    assert_eq!(top(Arc::clone(&one), 100).await, expected(&in_window, 100), "every group of the window");
    assert_eq!(top(Arc::clone(&one), 0).await, []);
    assert_eq!(one.top_groups(at(3 * DAY), at(4 * DAY), 5).await.unwrap().len(), 0, "an empty window");

    // 1,100 more groups, each busy before the window and seen once in it:
    // too many to narrow to, so the window's rows are summed whole.
    write(&one, (1_000..2_100).map(|n| (n, 1_000, 200)).collect()).await;
    write(&two, (1_000..2_100).map(|n| (n, 1, DAY + 5)).collect()).await;
    in_window.extend((1_000..2_100).map(|n| (n, 1)));
    assert_eq!(top(Arc::clone(&two), 5).await, expected(&in_window, 5), "summed whole");
    assert_eq!(top(Arc::clone(&two), 40).await, expected(&in_window, 40), "ties at one, broken by key");

    // A window of part hours at both ends: minutes before its first whole
    // hour (45), in its whole hours (44) and after its last (40, 41), and
    // the same groups' older occurrences left out. 40 and 41 are the
    // busiest of all time, 44 and 45 are summed as candidates.
    let (since, until) = (DAY + 1_800, 2 * DAY - 1_800);
    write(&one, vec![(40, 270, DAY - 7_200), (41, 252, DAY - 7_200), (44, 71, DAY - 7_200), (45, 40, 1_000)]).await;
    write(&two, vec![(40, 30, until - 100), (41, 28, until - 200), (44, 29, DAY + 5 * 3_600), (45, 31, since + 100)])
        .await;
    write(&one, vec![(45, 500, since - 60), (40, 500, until)]).await;
    let found = one.top_groups(at(since), at(until), 3).await.unwrap();
    let found: Vec<_> = found.iter().map(|entry| (entry.group.key, entry.count)).collect();
    assert_eq!(found, [(key(45), 31), (key(40), 30), (key(44), 29)], "minutes, whole hours, minutes");
}
