//! The audit log in a real SQLite file: append-only, hash-chained, and the
//! chain check finds an edit made with plain SQL.

use std::time::{Duration, SystemTime};

use monitor_runtime::Monitor;
use monitor_runtime::audit::{AuditEvent, ComplianceStatus, audit};
use monitor_sinks::sqlite::AuditQuery;
use monitor_sinks::sqlite::{SqliteSink, SqliteStore};

#[derive(AuditEvent)]
#[audit(process = "bank_submission")]
enum Submission {
    #[audit(action = "submit")]
    Submitted {
        #[audit(reference = "batch")]
        batch: u32,
        #[audit(actor)]
        clerk: &'static str,
        #[audit(status)]
        status: ComplianceStatus,
        #[audit(mask = iban)]
        creditor_iban: &'static str,
    },
}

fn submit(batch: u32, clerk: &'static str, status: ComplianceStatus) -> Submission {
    Submission::Submitted { batch, clerk, status, creditor_iban: "NL91ABNA0417164300" }
}

fn write_log(path: &std::path::Path) {
    let guard = Monitor::builder().sink(SqliteSink::new(path)).install().unwrap();
    for batch in 1..=6 {
        let status = if batch % 3 == 0 { ComplianceStatus::Failed } else { ComplianceStatus::Compliant };
        audit(&submit(batch, if batch % 2 == 0 { "anna" } else { "ben" }, status)).unwrap();
    }
    let stats = guard.shutdown();
    assert_eq!(stats.audits_delivered.get("sqlite"), Some(&6));
}

#[test]
fn the_chain_is_intact_and_queries_find_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let before = SystemTime::now() - Duration::from_secs(1);
    write_log(&path);
    write_log(&path); // a second process run continues the same chain

    let store = SqliteStore::open(&path).unwrap();
    let report = store.verify_audit_chain().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows, 12);

    let failed = store
        .audit_records(&AuditQuery {
            process: Some("bank_submission".into()),
            status: Some(ComplianceStatus::Failed),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(failed.len(), 4);
    let by_anna = store.audit_records(&AuditQuery { actor: Some("anna".into()), ..AuditQuery::default() }).unwrap();
    assert_eq!(by_anna.len(), 6);
    let batch_3 = store
        .audit_records(&AuditQuery {
            reference_kind: Some("batch".into()),
            reference_id: Some("3".into()),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(batch_3.len(), 2);
    assert_eq!(batch_3[0].details["creditor_iban"], "NL91****4300");
    let in_window = store
        .audit_records(&AuditQuery { since: Some(before), action: Some("submit".into()), ..AuditQuery::default() })
        .unwrap();
    assert_eq!(in_window.len(), 12);
    let summary = store.audit_summary().unwrap();
    assert_eq!(
        summary,
        vec![
            ("bank_submission".to_owned(), ComplianceStatus::Compliant, 8),
            ("bank_submission".to_owned(), ComplianceStatus::Failed, 4)
        ]
    );
}

#[test]
fn updates_and_deletes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    write_log(&path);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let update = raw.execute("UPDATE audit_log SET status = 'compliant' WHERE seq = 3", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = raw.execute("DELETE FROM audit_log WHERE seq = 3", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn an_edit_around_the_triggers_is_found_at_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    write_log(&path);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET status = 'compliant' WHERE seq = 3;",
    )
    .unwrap();
    let report = SqliteStore::open(&path).unwrap().verify_audit_chain().unwrap();
    let broken = report.first_broken.expect("the edit is found");
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("edited"), "{}", broken.reason);
}

#[test]
fn a_deleted_row_is_found_where_the_chain_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    write_log(&path);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 4;").unwrap();
    let report = SqliteStore::open(&path).unwrap().verify_audit_chain().unwrap();
    // The first bad sequence number is the first one missing.
    assert_eq!(report.first_broken.map(|b| b.seq), Some(4));
}
