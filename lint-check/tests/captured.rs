//! The lint-clean crate's functions still do what the macros promise: errors
//! are captured under the function's name, audit events are masked, and the
//! alert rules are all there.

#![deny(warnings, clippy::pedantic)]

use monitor::audit::{AuditEvent, ComplianceStatus};
use monitor::{EventKind, MemorySink, Monitor, Severity};
use monitor_lint_check::{
    AsyncStore, Counter, Document, Exported, FileSkipped, Greeter, ImportsPaused, Ledger, LedgerError, Maintenance,
    MandateCreated, Member, MemberStatus, PaymentEvent, Price, RowImported, Store, Synced, Tag, Wrapper, add_pair,
    alert_config, balance, check_limit, close_account, double, draft_id, evens, first_or, first_word, give_up, journal,
    largest, parse_amount, settle, sum_pair, transfer,
};

/// Calls every monitored function, failing some, and checks the values are
/// what the functions return without the attribute.
fn call_everything() {
    assert_eq!(parse_amount(""), Ok(0));
    assert_eq!(parse_amount(" 125 "), Ok(125));
    assert!(parse_amount("twelve").is_err());
    assert_eq!(transfer(1, 2, 500), Ok(500));
    assert_eq!(transfer(0, 2, 500), Err(LedgerError { code: 404 }));
    assert_eq!(check_limit(true), Err(LedgerError { code: 429 }));
    let mut lines = Vec::new();
    journal(&mut lines, "opened");
    assert_eq!(lines, ["opened"]);
    assert_eq!(double(21), 42);
    assert_eq!(largest(&[3, 9, 4]), Some(9));
    assert_eq!(first_or::<u8, &str>(&[], "empty"), Err("empty"));
    assert_eq!(evens(7).collect::<Vec<_>>(), [0, 2, 4, 6]);
    assert!(std::panic::catch_unwind(|| give_up("test")).is_err());
    assert!(close_account(42));
    assert!(!close_account(0));

    assert_eq!(add_pair((" 2", "3 "), 10).map_err(|error| error.to_string()), Ok(50));
    assert_eq!(add_pair(("x", "3"), 1).map_err(|error| error.to_string()), Err("invalid digit found in string".into()));
    assert_eq!(sum_pair((1, 2), [3, 4]), 10);
    assert_eq!(first_word("  hello world"), "hello");
    assert_eq!(draft_id(), 1);
    let wrapper = Wrapper::new(5_u8).unwrap();
    assert_eq!(wrapper.get(), 5);
    assert_eq!(Box::new(wrapper).unbox(), 5);
    let mut clerk = mandate();
    assert_eq!(clerk.greet().as_deref(), Ok("hello clerk-7"));
    clerk.clerk.clear();
    assert_eq!(clerk.greet(), Err(LedgerError { code: 400 }));
    let mut counter = Counter::default();
    counter.reset(true);

    let mut ledger = Ledger::default();
    assert!(ledger.push(0).is_err());
    assert_eq!(ledger.push(7).map(|ledger| ledger.total()), Ok(7));
    assert_eq!(ledger.load(0), Ok(7));
    assert_eq!(ledger.load(3), Err(LedgerError { code: 416 }));

    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        assert_eq!(balance(3).await, Ok(300));
        assert_eq!(balance(0).await, Err(LedgerError { code: 404 }));
        settle().await;
        assert_eq!(ledger.total_later().await, Ok(7));
        assert_eq!(ledger.fetch(0).await, Ok(7));
        assert_eq!(ledger.fetch(5).await, Err(LedgerError { code: 416 }));
        assert_eq!(counter.add(4).await.map_err(|error| error.to_string()), Ok(4));
        assert_eq!(counter.add(0).await.map_err(|error| error.to_string()), Err("nothing to add".into()));
        assert_eq!(counter.add(38).await.map_err(|error| error.to_string()), Ok(42));
        assert_eq!(counter.digits().await.collect::<String>(), "42");
    });
    counter.reset(false);
    assert_eq!(runtime.block_on(counter.digits()).count(), 1, "reset to 0");
    assert_eq!(ledger.into_entries(), [7]);
}

/// The only test that installs a monitor: one install per process.
#[test]
fn monitored_functions_are_captured_under_their_names() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).panic_hook(true).install().unwrap();
    call_everything();
    guard.shutdown();
    let events = sink.events();
    let errors: Vec<_> = events.iter().filter(|event| event.kind == EventKind::Error).collect();
    let functions: Vec<&str> = errors.iter().map(|event| &*event.location.function).collect();
    for expected in [
        "parse_amount",
        "ledger::transfer",
        "check_limit",
        "first_or",
        "push",
        "Ledger::load",
        "balance",
        "fetch",
        "add_pair",
        "Greeter::greet",
        "add",
    ] {
        assert!(functions.contains(&expected), "no error event from {expected}: {functions:?}");
    }
    for quiet in [
        "double",
        "largest",
        "evens",
        "journal",
        "settle",
        "total",
        "total_later",
        "Ledger::into_entries",
        "sum_pair",
        "first_word",
        "new",
        "get",
        "unbox",
        "digits",
        "reset",
    ] {
        assert!(!functions.contains(&quiet), "{quiet} returned no error: {functions:?}");
    }
    let closed = errors.iter().find(|event| event.location.function == "close").expect("close(0) failed");
    assert_eq!(closed.message, "no such account");
    assert_eq!(closed.args, [("number".into(), "0".to_owned())]);

    let transfer = errors.iter().find(|event| event.location.function == "ledger::transfer").unwrap();
    assert_eq!(transfer.severity, Severity::Critical);
    assert_eq!(transfer.message, "ledger error 404");
    assert_eq!(transfer.args, [("from".into(), "0".to_owned()), ("to".into(), "2".to_owned())]);
    let parse = errors.iter().find(|event| event.location.function == "parse_amount").unwrap();
    assert_eq!(parse.error_type.as_deref(), Some("core::num::error::ParseIntError"));
    let limit = errors.iter().find(|event| event.location.function == "check_limit").unwrap();
    assert_eq!(limit.severity, Severity::Warning);
    let push = errors.iter().find(|event| event.location.function == "push").unwrap();
    assert_eq!(push.args.len(), 2, "self and cents: {:?}", push.args);

    let panics: Vec<&str> =
        events.iter().filter(|event| event.kind == EventKind::Panic).map(|event| &*event.location.function).collect();
    assert!(panics.contains(&"give_up"), "{panics:?}");
}

fn mandate() -> MandateCreated {
    MandateCreated {
        mandate_id: "MNDT-0001".into(),
        clerk: "clerk-7".into(),
        trace: "trace-1".into(),
        iban: "DE89370400440532013000".into(),
        card: Some("4111 1111 1111 1111".into()),
        debtor_email: "jane.doe@example.org".into(),
        debtor_name: "Jane Doe".into(),
        signature: vec![1, 2, 3],
        internal_note: "call back".into(),
        amount_cents: 12_500,
    }
}

#[test]
fn audit_events_are_masked() {
    let record = mandate().audit_record();
    assert_eq!((&*record.process, &*record.action), ("sepa_mandate_creation", "create_mandate"));
    assert_eq!(record.reference.as_ref().map(|r| r.id.as_str()), Some("MNDT-0001"));
    assert_eq!(record.actor.as_deref(), Some("clerk-7"));
    assert_eq!(record.trace_id.as_deref(), Some("trace-1"));
    assert_eq!(record.details["iban"], "DE89****3000");
    assert_eq!(record.details["card"], "****1111");
    assert_eq!(record.details["debtor_email"], "j***@example.org");
    assert_eq!(record.details["debtor"], "JD");
    assert_eq!(record.details["signature"], "[REDACTED]");
    assert_eq!(record.details["amount_cents"], 12_500);
    assert!(!record.details.contains_key("internal_note"));

    let rejected = PaymentEvent::Rejected {
        payment: 9,
        notified: Some("ops@example.org".into()),
        reason: "insufficient funds".into(),
        bank_answer: "AM04".into(),
        retry_token: "secret".into(),
    }
    .audit_record();
    assert_eq!((&*rejected.action, rejected.status), ("reject", ComplianceStatus::Failed));
    assert_eq!(rejected.details["notified"], "o***@example.org");
    assert_eq!(rejected.details["bank_answer"], "[REDACTED]");
    assert!(!rejected.details.contains_key("retry_token"));
    let settled =
        PaymentEvent::Settled { payment: 9, card: "4111 1111 1111 1111".into(), iban: "NL91ABNA0417164300".into() }
            .audit_record();
    assert_eq!((&*settled.action, settled.status), ("settled", ComplianceStatus::Compliant));
    assert_eq!(settled.details["iban"], "NL91****4300");
    let reviewed = PaymentEvent::Reviewed(9, ComplianceStatus::Exception, 1).audit_record();
    assert_eq!((&*reviewed.action, reviewed.status), ("reviewed", ComplianceStatus::Exception));
    assert_eq!(&*PaymentEvent::Paused.audit_record().action, "paused");
    let exported = Exported { id: "EXP-1", rows: 3 }.audit_record();
    assert_eq!(exported.reference.map(|r| r.id), Some("EXP-1".to_owned()));

    let row = RowImported {
        file: "2026-05.csv",
        iban: "NL91ABNA0417164300",
        email: "jane.doe@example.org".into(),
        card: "4111 1111 1111 1111".into(),
        other_email: Some("jd@example.net"),
        amount: 12.5,
        retry: false,
    }
    .audit_record();
    assert_eq!((&*row.action, row.status), ("import_row", ComplianceStatus::PendingReview));
    assert_eq!(row.details["iban"], "NL91****4300");
    assert_eq!(row.details["email"], "j***@example.org");
    assert_eq!(row.details["card"], "****1111");
    assert_eq!(row.details["other_email"], "j***@example.net");
    assert_eq!(row.details["amount"], 12.5);
    let skipped = FileSkipped("2026-06.csv".into(), "empty".into(), 3).audit_record();
    assert_eq!((&*skipped.action, skipped.status), ("file_skipped", ComplianceStatus::Exception));
    assert_eq!(skipped.details["1"], "empty");
    assert!(!skipped.details.contains_key("2"));
    assert_eq!(&*ImportsPaused.audit_record().action, "imports_paused");
    assert_eq!(&*Maintenance::Finished.audit_record().action, "finished");
    assert_eq!(Synced::One(7).audit_record().reference.map(|r| r.id), Some("7".to_owned()));
    assert_eq!(Synced::<u8>::Many { count: 2 }.audit_record().details["count"], 2);
}

#[test]
fn audited_changes_are_listed() {
    let before = Member {
        number: 17,
        status: MemberStatus::Active,
        email: "old@example.org".into(),
        iban: None,
        password_hash: "aaa".into(),
        nickname: "a".into(),
    };
    let after = Member {
        status: MemberStatus::Suspended,
        iban: Some("DE89370400440532013000".into()),
        password_hash: "bbb".into(),
        nickname: "b".into(),
        ..before.clone()
    };
    let changes = before.audit_changes(&after);
    let fields: Vec<&str> = changes.iter().map(|change| change.field).collect();
    assert_eq!(fields, ["status", "iban", "password_hash"]);
    assert_eq!((changes[1].old.as_str(), changes[1].new.as_str()), ("None", "Some(\"DE89****3000\")"));
    assert_eq!((changes[2].old.as_str(), changes[2].new.as_str()), ("[REDACTED]", "[REDACTED]"));
    let record = changes[0].audit_record();
    assert_eq!((&*record.process, &*record.action), ("member_lifecycle", "status_changed"));
    assert_eq!(record.reference.map(|r| r.id), Some("17".to_owned()));
    assert!(changes.iter().all(|change| change.id == "17"), "every change names the member");
    assert!(before.audit_changes(&before.clone()).is_empty());

    // Floats are compared exactly: any change of the amount is recorded.
    let price = Price { sku: 4, amount: 0.1 };
    let repriced = Price { amount: 0.1 + f32::EPSILON, ..price };
    let changes = price.audit_changes(&repriced);
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].field, changes[0].id.as_str(), changes[0].old.as_str()), ("amount", "4", "0.1"));
    assert!(price.audit_changes(&price).is_empty());
    let document = Document { id: "DOC-1".into(), title: "Plan".into(), weight: 1.0 };
    let heavier = Document { id: "DOC-1".into(), title: "Plan B".into(), weight: 1.5 };
    let changes = document.audit_changes(&heavier);
    let ids: Vec<(&str, &str)> = changes.iter().map(|change| (change.field, change.id.as_str())).collect();
    assert_eq!(ids, [("title", "DOC-1"), ("weight", "DOC-1")]);
    let tag = Tag { name: "red".into() };
    assert!(tag.audit_changes(&Tag { name: "blue".into() }).is_empty(), "nothing is tracked");
}

#[test]
fn every_alert_rule_is_there() {
    let config = alert_config();
    assert_eq!(config.destinations.len(), 4);
    assert_eq!(config.destination("ops_chat").and_then(|d| d.per_minute), Some(30));
    let names: Vec<&str> = config.rules.iter().map(|rule| rule.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "too_many_errors",
            "slow_payments",
            "failing_payments",
            "failed_sepa",
            "new_kind_of_error",
            "error_came_back",
            "health",
            "memory_high",
            "cpu_high"
        ]
    );
    assert_eq!(config.schedules.len(), 1);
}
