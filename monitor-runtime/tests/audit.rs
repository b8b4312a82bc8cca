//! Typed audit events: what the derives generate, masking, and recording
//! through the pipeline (never deduplicated, bounded wait when full).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use monitor_runtime::audit::{AuditError, AuditEvent, Audited, ComplianceStatus, audit};
use monitor_runtime::{Batch, Context, MemorySink, Monitor, Sink, SinkError, async_trait};

fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).collect()
}

#[derive(AuditEvent)]
#[audit(process = "sepa_mandate_creation", action = "create_mandate", status = compliant)]
struct MandateCreated {
    #[audit(reference = "mandate")]
    mandate_id: String,
    #[audit(actor)]
    clerk: String,
    #[audit(mask = iban)]
    iban: String,
    #[audit(mask = email)]
    debtor_email: Option<String>,
    #[audit(mask = with_fn(initials))]
    debtor_name: String,
    #[audit(redact)]
    signature: Vec<u8>,
    #[audit(skip)]
    #[allow(dead_code)]
    internal_note: String,
    amount_cents: u64,
}

#[derive(AuditEvent)]
#[audit(process = "payment_processing")]
enum PaymentEvent {
    Settled {
        #[audit(reference = "payment")]
        payment: u64,
        #[audit(mask = card)]
        card: String,
    },
    #[audit(action = "reject", status = failed)]
    Rejected {
        #[audit(reference = "payment")]
        payment: u64,
        reason: String,
    },
    Reviewed(#[audit(reference = "payment")] u64, #[audit(status)] ComplianceStatus),
    Paused,
}

#[derive(Audited, Clone)]
#[audit(process = "member_lifecycle", reference = "member")]
struct Member {
    #[audit(id)]
    number: u32,
    #[audit(track)]
    status: MemberStatus,
    #[audit(track, mask = email)]
    email: String,
    #[allow(dead_code)]
    nickname: String,
}

#[derive(Clone, Debug, PartialEq)]
enum MemberStatus {
    Active,
    Suspended,
}

fn mandate() -> MandateCreated {
    MandateCreated {
        mandate_id: "MNDT-2026-0001".into(),
        clerk: "clerk-7".into(),
        iban: "DE89370400440532013000".into(),
        debtor_email: Some("jane.doe@example.org".into()),
        debtor_name: "Jane Doe".into(),
        signature: vec![1, 2, 3, 4],
        internal_note: "call back tomorrow".into(),
        amount_cents: 12_500,
    }
}

#[test]
fn a_struct_becomes_a_record_with_masked_details() {
    let record = mandate().audit_record();
    assert_eq!((&*record.process, &*record.action), ("sepa_mandate_creation", "create_mandate"));
    assert_eq!(record.status, ComplianceStatus::Compliant);
    let reference = record.reference.clone().unwrap();
    assert_eq!((&*reference.kind, reference.id.as_str()), ("mandate", "MNDT-2026-0001"));
    assert_eq!(record.actor.as_deref(), Some("clerk-7"));
    assert_eq!(record.details["iban"], "DE89****3000");
    assert_eq!(record.details["debtor_email"], "j***@example.org");
    assert_eq!(record.details["debtor_name"], "JD");
    assert_eq!(record.details["signature"], "[REDACTED]");
    assert_eq!(record.details["amount_cents"], 12500);
    assert!(!record.details.contains_key("internal_note"));
    let everything = serde_json::to_string(&record).unwrap();
    for raw in ["370400440532013000", "jane.doe", "Jane Doe", "call back", "[1,2,3,4]"] {
        assert!(!everything.contains(raw), "{raw} leaked: {everything}");
    }
}

#[test]
fn each_enum_variant_is_an_action() {
    let settled = PaymentEvent::Settled { payment: 9, card: "4111 1111 1111 1111".into() }.audit_record();
    assert_eq!(
        (&*settled.process, &*settled.action, settled.status),
        ("payment_processing", "settled", ComplianceStatus::Compliant)
    );
    assert_eq!(settled.details["card"], "****1111");
    let rejected = PaymentEvent::Rejected { payment: 9, reason: "insufficient funds".into() }.audit_record();
    assert_eq!((&*rejected.action, rejected.status), ("reject", ComplianceStatus::Failed));
    let reviewed = PaymentEvent::Reviewed(9, ComplianceStatus::Exception).audit_record();
    assert_eq!((&*reviewed.action, reviewed.status), ("reviewed", ComplianceStatus::Exception));
    assert_eq!(reviewed.reference.unwrap().id, "9");
    assert_eq!(&*PaymentEvent::Paused.audit_record().action, "paused");
}

#[test]
fn audited_types_yield_a_change_event_per_changed_tracked_field() {
    let before =
        Member { number: 17, status: MemberStatus::Active, email: "old@example.org".into(), nickname: "a".into() };
    let mut after = before.clone();
    after.nickname = "b".into();
    assert!(before.audit_changes(&after).is_empty(), "untracked fields are not audited");
    after.status = MemberStatus::Suspended;
    after.email = "new.address@example.org".into();
    let changes = before.audit_changes(&after);
    assert_eq!(changes.len(), 2);
    assert_eq!((changes[0].field, changes[0].old.as_str(), changes[0].new.as_str()), ("status", "Active", "Suspended"));
    assert_eq!((changes[1].old.as_str(), changes[1].new.as_str()), ("o***@example.org", "n***@example.org"));
    let record = changes[0].audit_record();
    assert_eq!((&*record.process, &*record.action), ("member_lifecycle", "status_changed"));
    assert_eq!(record.reference.unwrap().id, "17");
}

#[test]
fn records_go_through_the_pipeline_and_are_never_deduplicated() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().service("sepa").sink(sink.clone()).install().unwrap();
    {
        let _request = Context::new().trace_id("trace-77").user("ops-1").enter();
        for _ in 0..3 {
            audit(&mandate()).unwrap();
        }
        audit(&PaymentEvent::Paused).unwrap();
    }
    let stats = guard.shutdown();
    let audits = sink.audits();
    assert_eq!(audits.len(), 4, "identical records are all kept");
    assert_eq!(stats.audits_queued, 4);
    assert_eq!(stats.audits_delivered.get("memory"), Some(&4));
    assert_eq!(audits[0].trace_id.as_deref(), Some("trace-77"), "trace id from the context");
    assert_eq!(audits[0].actor.as_deref(), Some("clerk-7"), "the event's own actor wins");
    assert_eq!(audits[3].actor.as_deref(), Some("ops-1"), "else the context's user");
    assert_eq!(audits[0].service.as_deref(), Some("sepa"));
}

#[test]
fn without_a_monitor_recording_says_so() {
    assert_eq!(audit(&PaymentEvent::Paused), Err(AuditError::NotInstalled));
}

/// A badly written sink that blocks its thread, which stalls the worker:
/// the case where the queue really fills up. It says when it has started.
struct ThreadBlockingSink(Arc<AtomicBool>);

#[async_trait]
impl Sink for ThreadBlockingSink {
    fn name(&self) -> &str {
        "blocking"
    }

    async fn write(&self, _batch: &Batch) -> Result<(), SinkError> {
        self.0.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(3));
        Ok(())
    }
}

#[test]
fn a_full_queue_waits_a_bounded_time_then_reports_and_counts() {
    let blocked = Arc::new(AtomicBool::new(false));
    let guard = Monitor::builder()
        .sink(ThreadBlockingSink(blocked.clone()))
        .queue_capacity(2)
        .batch_size(1)
        .shutdown_timeout(Duration::from_millis(100))
        .install()
        .unwrap();
    audit(&PaymentEvent::Paused).unwrap();
    // Wait (boundedly) until the sink holds the worker's thread.
    for _ in 0..5_000 {
        if blocked.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(blocked.load(Ordering::SeqCst), "the sink started writing");
    let outcomes: Vec<_> = (0..4).map(|_| audit(&PaymentEvent::Paused)).collect();
    assert_eq!(&outcomes[..2], &[Ok(()), Ok(())], "two fit in the queue");
    assert_eq!(
        &outcomes[2..],
        &[Err(AuditError::QueueTimeout), Err(AuditError::QueueTimeout)],
        "then each waits and gives up"
    );
    let failures = 2;
    let stats = guard.shutdown();
    assert_eq!(stats.dropped.get("audit_queue_timeout").copied(), Some(failures as u64));
    assert!(AuditError::QueueTimeout.to_string().contains("raise queue_capacity"));
}

#[test]
fn flush_takes_every_record_accepted_before_it() {
    let sink = MemorySink::new();
    // A long tick: only the nudges and the flush itself take the records.
    let guard =
        Monitor::builder().sink(sink.clone()).batch_size(8).flush_interval(Duration::from_secs(60)).install().unwrap();
    for round in 1..=3 {
        for _ in 0..37 {
            audit(&PaymentEvent::Paused).unwrap();
        }
        assert!(guard.flush(Duration::from_secs(10)));
        assert_eq!(sink.audits().len(), 37 * round, "round {round}");
    }
    let stats = guard.shutdown();
    assert_eq!(stats.audits_queued, 111);
    assert_eq!(stats.audits_delivered.get("memory"), Some(&111));
}

#[test]
fn every_accepted_record_is_stored_or_counted_when_shutdown_races_with_callers() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).queue_capacity(64).batch_size(16).install().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let (mut accepted, mut refused_at_shutdown) = (0u64, 0u64);
                while !stop.load(Ordering::SeqCst) {
                    match audit(&PaymentEvent::Paused) {
                        Ok(()) => accepted += 1,
                        Err(AuditError::ShutDown) => refused_at_shutdown += 1,
                        Err(AuditError::NotInstalled) => break,
                        Err(other) => panic!("unexpected {other:?}"),
                    }
                }
                (accepted, refused_at_shutdown)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    let stats = guard.shutdown();
    stop.store(true, Ordering::SeqCst);
    let (accepted, refused) = callers
        .into_iter()
        .map(|caller| caller.join().unwrap())
        .fold((0, 0), |(a, r), (accepted, refused)| (a + accepted, r + refused));
    let stored = sink.audits().len() as u64;
    // Dropped at shutdown, or by a sink's full queue: counted either way.
    let counted: u64 = stats.dropped.iter().filter(|(reason, _)| reason.contains("audit")).map(|(_, n)| n).sum();
    assert!(accepted > 0);
    assert_eq!(stats.dropped.get("audit_queue_timeout"), None);
    assert!(stored <= accepted, "stored {stored} of {accepted} accepted");
    // `counted` also holds records refused at shutdown (never accepted):
    // a refusal may come after the final counts were taken, so the sum is
    // exact only when there was none.
    let message = format!("accepted {accepted}, stored {stored}, counted {counted}, refused {refused}: {stats:?}");
    if refused == 0 {
        assert_eq!(accepted, stored + counted, "{message}");
    } else {
        assert!(accepted <= stored + counted, "{message}");
    }
}
