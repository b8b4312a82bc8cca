//! The store's records as rows: field names, values as the store prints
//! them, field selection and its errors, and the compliance summary.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use monitor_export::{Cell, Export, Fields, Format, Record, RecordKind, Report, audit_compliance_summary};
use monitor_runtime::audit::{ComplianceStatus, Reference};
use monitor_runtime::{Context, EventKind, GroupKey, GroupStatus, Location, Severity};
use monitor_sinks::store::{StoredAudit, StoredEvent, StoredGroup};

fn location() -> Location {
    Location {
        module: Cow::Borrowed("payments::sepa"),
        function: Cow::Borrowed("create"),
        file: Cow::Borrowed("src/sepa.rs"),
        line: 42,
    }
}

fn audit(seq: i64, process: &str, status: ComplianceStatus) -> StoredAudit {
    StoredAudit {
        seq,
        timestamp: UNIX_EPOCH + Duration::from_millis(1_714_566_896_789),
        process: process.to_owned(),
        action: "create_mandate".to_owned(),
        status,
        reference: Some(Reference { kind: Cow::Borrowed("mandate"), id: "MND-1".to_owned() }),
        actor: Some("Zoë".to_owned()),
        trace_id: None,
        service: Some("payments".to_owned()),
        details: serde_json::json!({"iban": "DE89 **** 3000", "city": "Zürich"}),
        truncated: true,
        detail_errors: Vec::new(),
        prev_hash: "00".to_owned(),
        hash: "ab".to_owned(),
        key_id: None,
    }
}

#[test]
fn field_lists_are_the_kinds_fields() {
    assert_eq!(Fields::<StoredAudit>::all().names(), RecordKind::Audit.fields());
    assert_eq!(Fields::<StoredGroup>::all().names(), RecordKind::Groups.fields());
    assert_eq!(Fields::<StoredEvent>::all().names(), RecordKind::Events.fields());
    assert_eq!(StoredAudit::FIELDS.len(), 15);
    assert_eq!(StoredGroup::FIELDS.len(), 14);
    assert_eq!(StoredEvent::FIELDS.len(), 19);
}

#[test]
fn an_unknown_field_is_named_with_the_valid_ones() {
    let error = Fields::<StoredGroup>::parse("key,colour").unwrap_err().to_string();
    assert!(error.contains("unknown groups field `colour`"), "{error}");
    assert!(error.contains("key, template, severity, status, count, first_seen, last_seen"), "{error}");
    assert!(Fields::<StoredGroup>::parse("").is_err());
    assert_eq!(Fields::<StoredGroup>::parse("count, key,").unwrap().names(), ["count", "key"]);
}

#[test]
fn audit_rows_as_the_store_prints_them() {
    let row = Fields::<StoredAudit>::all().row(&audit(3, "bank_submission", ComplianceStatus::PendingReview));
    assert_eq!(row[0], Cell::Integer(3));
    assert_eq!(row[1].to_text(), "2024-05-01T12:34:56.789Z");
    assert_eq!(row[4], Cell::Text("pending_review".into()));
    assert_eq!(row[5], Cell::Text("mandate".into()));
    assert_eq!(row[6], Cell::Text("MND-1".into()));
    assert_eq!(row[8], Cell::Null);
    let details: serde_json::Value = serde_json::from_str(&row[10].to_text()).unwrap();
    assert_eq!(details["city"], "Zürich");
    assert_eq!(row[11], Cell::Bool(true));
    assert_eq!(row[14], Cell::Null);
}

#[test]
fn group_keys_are_printed_as_sixteen_hex_digits() {
    let group = StoredGroup {
        key: GroupKey(0x2a),
        template: "mandate <*> not found".into(),
        location: location(),
        error_type: None,
        severity: Severity::Error,
        status: GroupStatus::Investigating,
        count: 9,
        first_seen: UNIX_EPOCH,
        last_seen: UNIX_EPOCH + Duration::from_secs(60),
        merged_into: Some(GroupKey(0xbeef)),
        assignee: Some("Jürgen".into()),
    };
    let fields = Fields::<StoredGroup>::parse("key,severity,status,count,line,merged_into,error_type").unwrap();
    assert_eq!(
        fields.row(&group),
        [
            Cell::Text("000000000000002a".into()),
            Cell::Text("error".into()),
            Cell::Text("investigating".into()),
            Cell::Integer(9),
            Cell::Integer(42),
            Cell::Text("000000000000beef".into()),
            Cell::Null,
        ]
    );
}

#[test]
fn events_keep_lists_and_maps_as_json_text() {
    let mut tags = BTreeMap::new();
    tags.insert("region".to_owned(), "eu-central".to_owned());
    let event = StoredEvent {
        id: 5,
        timestamp: UNIX_EPOCH,
        kind: EventKind::Slow,
        severity: Severity::Warning,
        group_key: GroupKey(1),
        template: "slow <*>".into(),
        location: location(),
        error_type: Some("io::Error".into()),
        message: "slow \"call\"".into(),
        chain: vec!["outer".into(), "inner".into()],
        context: Context { user: Some("u1".into()), tags, ..Context::default() },
        args: vec![("b".into(), "2".into()), ("a".into(), "1".into())],
        duration: Some(Duration::from_micros(12_500)),
        occurrences: 1,
        backtrace: Vec::new(),
    };
    let fields = Fields::<StoredEvent>::parse("kind,group_key,user,tags,args,duration_ms,chain,release").unwrap();
    assert_eq!(
        fields.row(&event),
        [
            Cell::Text("slow".into()),
            Cell::Text("0000000000000001".into()),
            Cell::Text("u1".into()),
            Cell::Text(r#"{"region":"eu-central"}"#.into()),
            Cell::Text(r#"{"a":"1","b":"2"}"#.into()),
            Cell::Float(12.5),
            Cell::Text(r#"["outer","inner"]"#.into()),
            Cell::Null,
        ]
    );
}

#[test]
fn the_compliance_summary_counts_per_process_and_status() {
    let rows = [
        audit(1, "bank_submission", ComplianceStatus::Compliant),
        audit(2, "bank_submission", ComplianceStatus::Failed),
        audit(3, "batch_generation", ComplianceStatus::Exception),
        audit(4, "bank_submission", ComplianceStatus::Compliant),
    ];
    let table = audit_compliance_summary(&rows);
    let ints = |cells: &[Cell]| cells[1..].iter().map(|cell| cell.to_text()).collect::<Vec<_>>().join(" ");
    assert_eq!(table.rows[0][0], Cell::Text("bank_submission".into()));
    assert_eq!(ints(&table.rows[0]), "2 0 1 0 3");
    assert_eq!(ints(&table.rows[1]), "0 1 0 0 1");
    assert_eq!(table.rows[2][0], Cell::Text("all processes".into()));
    assert_eq!(ints(&table.rows[2]), "2 1 1 0 4");
}

#[test]
fn audit_rows_export_as_json() {
    let rows = [audit(1, "bank_submission", ComplianceStatus::Failed)];
    let fields = Fields::<StoredAudit>::parse("seq,status,details,truncated").unwrap();
    let mut bytes = Vec::new();
    let mut out =
        Export::new(Format::Ndjson, Report::new("Audit"), fields.names()).unwrap().to_writer(&mut bytes).unwrap();
    for row in &rows {
        out.write_row(&fields.row(row)).unwrap();
    }
    out.finish().unwrap();
    let line: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(line["seq"], 1);
    assert_eq!(line["status"], "failed");
    assert_eq!(line["truncated"], true);
    assert_eq!(serde_json::from_str::<serde_json::Value>(line["details"].as_str().unwrap()).unwrap()["city"], "Zürich");
}
