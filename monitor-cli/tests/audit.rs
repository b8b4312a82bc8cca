//! `monitor audit list|summary|verify|export`: records selected by their
//! filters and paged, counted per process, status and day, a tampered row
//! found and named (exit 1), and the export alias writing what `export
//! --what audit` writes.

mod support;

use serde_json::Value;
use support::{Schema, fails, json, monitor, ok, read_back, seed};

fn seqs(page: &Value) -> Vec<i64> {
    page["records"].as_array().unwrap().iter().map(|record| record["seq"].as_i64().unwrap()).collect()
}

fn list_and_summary(db: &str) {
    let all = json(&["--db", db, "audit", "list", "--json"]);
    assert_eq!(seqs(&all).len(), 16, "{all:#}");
    assert!(all["next_after"].is_null());
    let record = &all["records"][0];
    assert_eq!(record["process"], "sepa_mandate_creation");
    assert_eq!(record["reference_kind"], "mandate");
    assert!(!record["details"].to_string().contains(support::RAW_IBAN), "the IBAN was masked");

    for (filter, value, expected) in [
        ("--status", "failed", 4),
        ("--status", "compliant", 12),
        ("--process", "sepa_mandate_creation", 16),
        ("--process", "payments", 0),
        ("--action", "create_mandate", 16),
        ("--actor", "clerk-7", 16),
        ("--actor", "clerk-8", 0),
        ("--reference", "=SUM(A1:A9)-3", 1),
        ("--reference-kind", "mandate", 16),
        ("--since", "1h", 16),
        ("--until", "1h", 0),
    ] {
        let page = json(&["--db", db, "audit", "list", filter, value, "--json"]);
        assert_eq!(seqs(&page).len(), expected, "{filter} {value}: {page:#}");
    }
    let failed = json(&["--db", db, "audit", "list", "--status", "failed", "--json"]);
    assert!(failed["records"].as_array().unwrap().iter().all(|record| record["status"] == "failed"));

    // Pages of five, oldest first, each after the last.
    let first = json(&["--db", db, "audit", "list", "--limit", "5", "--json"]);
    assert_eq!(seqs(&first).len(), 5);
    let after = first["next_after"].as_i64().unwrap().to_string();
    let second = json(&["--db", db, "audit", "list", "--limit", "5", "--after", &after, "--json"]);
    assert!(seqs(&second)[0] > *seqs(&first).last().unwrap(), "{first:#} {second:#}");
    let table = ok(&["--db", db, "audit", "list", "--status", "failed"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("SEQ") && lines.len() == 5, "{table}");

    let summary = json(&["--db", db, "audit", "summary", "--json"]);
    let processes = summary["processes"].as_array().unwrap();
    assert_eq!(processes.len(), 1, "{summary:#}");
    let sepa = &processes[0];
    assert_eq!(sepa["process"], "sepa_mandate_creation");
    assert_eq!(
        (sepa["compliant"].as_u64(), sepa["failed"].as_u64(), sepa["total"].as_u64()),
        (Some(12), Some(4), Some(16))
    );
    let days = summary["days"].as_array().unwrap();
    let per_day: u64 = days.iter().map(|day| day["total"].as_u64().unwrap()).sum();
    assert_eq!(per_day, 16, "{summary:#}");
    assert!(days.iter().all(|day| day["day"].as_str().unwrap().len() == 10));
    let text = ok(&["--db", db, "audit", "summary"]);
    assert!(text.contains("sepa_mandate_creation") && text.contains("PENDING_REVIEW"), "{text}");
    let none = json(&["--db", db, "audit", "summary", "--process", "payments", "--json"]);
    assert_eq!(none["processes"], serde_json::json!([]));

    assert!(fails(&["--db", db, "audit", "list", "--status", "fine"], 2).contains("unknown compliance status"));
}

#[test]
fn audit_list_and_summary_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    list_and_summary(db.to_str().unwrap());
}

#[test]
fn audit_list_and_summary_on_postgres() {
    let schema = Schema::new("cli_audit");
    seed(&schema.url());
    list_and_summary(&schema.url());
}

#[test]
fn a_row_edited_around_the_triggers_is_a_break_named_by_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    let db = db.to_str().unwrap();
    let intact = json(&["--db", db, "audit", "verify", "--json"]);
    assert_eq!(intact["intact"], true, "{intact:#}");

    let connection = rusqlite::Connection::open(db).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET actor = 'mallory' WHERE seq = 5;",
        )
        .unwrap();
    drop(connection);
    let output = monitor(&["--db", db, "audit", "verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("BROKEN at row 5"), "{stdout}");
    let output = monitor(&["--db", db, "audit", "verify", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["intact"], false);
    assert_eq!(report["first_broken"]["seq"], 5);
}

#[test]
fn audit_export_writes_what_export_what_audit_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    let db = db.to_str().unwrap();
    let alias = dir.path().join("alias.json");
    let long = dir.path().join("long.json");
    ok(&["--db", db, "audit", "export", "--out", alias.to_str().unwrap(), "--compliance", "failed"]);
    ok(&["--db", db, "export", "--what", "audit", "--out", long.to_str().unwrap(), "--compliance", "failed"]);
    let alias = read_back(&alias, "json");
    assert_eq!(alias.as_array().unwrap().len(), 4);
    assert_eq!(alias, read_back(&long, "json"));
}
