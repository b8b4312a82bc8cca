//! Secrets in audit events: masks hold in every role a field plays, details are scrubbed by name
//! and numbers like text, and tracked fields with a secret's name are redacted by default.

use monitor_runtime::audit::{AuditEvent, Audited, audit};
use monitor_runtime::{MemorySink, Monitor};

const IBAN: &str = "NL91ABNA0417164300";
const CARD: u64 = 4_111_111_111_111_111;

#[derive(AuditEvent)]
#[audit(process = "sepa_mandate_creation", action = "create_mandate")]
struct MaskedRoles {
    #[audit(reference = "account", mask = iban)]
    account: String,
    #[audit(actor, mask = email)]
    clerk: String,
    #[audit(trace_id, redact)]
    trace: String,
}

/// Nothing marked: the worker has to find every secret by itself.
#[derive(AuditEvent)]
#[audit(process = "account_security", action = "change_credentials")]
struct CredentialsChanged {
    #[audit(reference = "account")]
    account: String,
    #[audit(actor)]
    operator: String,
    new_password: String,
    api_token: String,
    card_number: u64,
    pin: u32,
    note: String,
}

#[derive(Audited, Clone)]
#[audit(process = "member_lifecycle", reference = "member")]
struct Login {
    #[audit(id)]
    member: u32,
    #[audit(track)]
    password_hash: String,
    #[audit(track)]
    recovery_pin: u32,
    #[audit(track, mask = email)]
    email: String,
    #[audit(track)]
    plan: String,
}

#[test]
fn a_mask_on_the_reference_or_actor_and_redact_on_the_trace_id_are_honoured() {
    let record =
        MaskedRoles { account: IBAN.into(), clerk: "jane.doe@example.org".into(), trace: "t-1".into() }.audit_record();
    assert_eq!(record.reference.map(|r| r.id).as_deref(), Some("NL91****4300"));
    assert_eq!(record.actor.as_deref(), Some("j***@example.org"));
    assert_eq!(record.trace_id.as_deref(), Some("[REDACTED]"));
}

#[test]
fn unmarked_secrets_of_an_audit_event_are_scrubbed_before_any_sink() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    audit(&CredentialsChanged {
        account: IBAN.to_lowercase(),
        operator: "jane.doe@example.org".into(),
        new_password: "correct horse battery staple".into(),
        api_token: "tok_9f8e7d6c5b4a".into(),
        card_number: CARD,
        pin: 4711,
        note: "requested by phone".into(),
    })
    .unwrap();
    guard.shutdown();

    let audits = sink.audits();
    let record = &audits[0];
    assert_eq!(record.details["new_password"], "[REDACTED]");
    assert_eq!(record.details["api_token"], "[REDACTED]");
    assert_eq!(record.details["card_number"], "****1111");
    assert_eq!(record.details["pin"], "[REDACTED]");
    assert_eq!(record.details["note"], "requested by phone", "ordinary details stay");
    assert_eq!(record.reference.as_ref().map(|r| r.id.as_str()), Some("nl91****4300"));
    assert_eq!(record.actor.as_deref(), Some("j***@example.org"));
    let everything = serde_json::to_string(&**record).unwrap();
    for raw in ["horse", "tok_9f8e", &CARD.to_string(), "4711", "0417164300", "jane.doe"] {
        assert!(!everything.contains(raw), "{raw} leaked: {everything}");
    }
}

#[test]
fn tracked_fields_named_like_secrets_are_redacted_unless_masked() {
    let before = Login {
        member: 17,
        password_hash: "$argon2id$v=19$old".into(),
        recovery_pin: 1234,
        email: "old@example.org".into(),
        plan: "basic".into(),
    };
    let after = Login {
        member: 17,
        password_hash: "$argon2id$v=19$new".into(),
        recovery_pin: 9876,
        email: "new@example.org".into(),
        plan: "premium".into(),
    };
    let changes: Vec<_> = before.audit_changes(&after).into_iter().map(|c| (c.field, c.old, c.new)).collect::<Vec<_>>();
    let shown = |field, old: &str, new: &str| (field, old.to_owned(), new.to_owned());
    assert_eq!(
        changes,
        [
            shown("password_hash", "[REDACTED]", "[REDACTED]"),
            shown("recovery_pin", "[REDACTED]", "[REDACTED]"),
            shown("email", "o***@example.org", "n***@example.org"),
            shown("plan", "\"basic\"", "\"premium\""),
        ]
    );
}
