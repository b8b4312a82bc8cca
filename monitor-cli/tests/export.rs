//! `monitor export` writes audit records, groups and events in every
//! format, and real readers accept each file: Python's csv and json,
//! openpyxl, lxml, poppler's pdftotext. Formulas are neutralised, text
//! survives, and nothing the store masked or scrubbed shows.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{NAMES, RAW_IBAN, SECRET, Schema, monitor, ok, pdf_text, read_back, seed};

const FORMATS: [&str; 6] = ["csv", "json", "ndjson", "xml", "xlsx", "pdf"];

/// Every text a reader gave back, joined: what a person would see.
fn all_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(all_text).collect::<Vec<_>>().join("\n"),
        Value::Object(fields) => fields.values().map(all_text).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

/// The data rows a reader gave back (headers and report parts aside).
fn data_rows(format: &str, value: &Value) -> usize {
    match format {
        "csv" => value.as_array().unwrap().len() - 1,
        "json" | "ndjson" => value.as_array().unwrap().len(),
        "xml" => value["records"].as_array().unwrap().len(),
        "xlsx" => value[0]["rows"].as_array().unwrap().len() - 1,
        other => panic!("{other}"),
    }
}

fn export_everything(db: &str, dir: &Path) {
    for (what, rows) in [("audit", 16), ("groups", 0), ("events", 0)] {
        for format in FORMATS {
            let out = dir.join(format!("{what}.{format}"));
            let out_text = out.to_str().unwrap();
            ok(&["--db", db, "export", "--what", what, "--format", format, "--out", out_text]);
            let text = if format == "pdf" {
                let text = pdf_text(&out);
                assert!(text.contains("Müller"), "{what}.pdf: {text}");
                text
            } else {
                let value = read_back(&out, format);
                let count = data_rows(format, &value);
                if rows > 0 {
                    assert_eq!(count, rows, "{what}.{format}");
                } else {
                    assert!(count > 0, "{what}.{format} has rows");
                }
                all_text(&value)
            };
            assert!(!text.contains(RAW_IBAN), "{what}.{format} shows the IBAN the store masked");
            assert!(!text.contains(SECRET), "{what}.{format} shows the secret the store scrubbed");
            if what == "audit" && format != "pdf" {
                for name in NAMES {
                    // In the details (JSON text in every format, so quotes
                    // come back escaped) and at the start of the reference.
                    let escaped = name.replace('"', "\\\"");
                    assert!(text.contains(&escaped), "{what}.{format} lost {escaped:?}:\n{text}");
                    let reference = format!("{name}-0");
                    let formula = name.starts_with(['=', '@']) && matches!(format, "csv" | "xlsx");
                    let shown = if formula { format!("'{reference}") } else { reference };
                    assert!(text.contains(&shown), "{what}.{format} shows {shown:?} otherwise:\n{text}");
                }
            }
            if what == "audit" && format == "pdf" {
                assert!(text.contains("sepa_mandate_creation"), "the compliance summary names the process: {text}");
            }
        }
    }
}

#[test]
fn every_format_of_a_sqlite_store_is_read_back_by_a_real_reader() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    export_everything(db.to_str().unwrap(), dir.path());
}

#[test]
fn every_format_of_a_postgres_store_is_read_back_by_a_real_reader() {
    let schema = Schema::new("cli_export");
    seed(&schema.url());
    let dir = tempfile::tempdir().unwrap();
    export_everything(&schema.url(), dir.path());
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    let out = dir.path().join("audit.csv");
    ok(&[
        "--db",
        db.to_str().unwrap(),
        "export",
        "--what",
        "audit",
        "--out",
        out.to_str().unwrap(),
        "--fields",
        "seq,reference_id,status,details",
    ]);
    let rows = read_back(&out, "csv");
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows[0],
        serde_json::json!(["seq", "reference_id", "status", "details"]),
        "the fields asked for, in order"
    );
    for row in &rows[1..] {
        for cell in row.as_array().unwrap() {
            let cell = cell.as_str().unwrap();
            assert!(!cell.starts_with(['=', '+', '@']), "a live formula: {cell}");
        }
    }
}

#[test]
fn filters_select_the_rows_and_the_pdf_report_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    let db = db.to_str().unwrap();
    let out = dir.path().join("failed.json");
    ok(&["--db", db, "export", "--what", "audit", "--out", out.to_str().unwrap(), "--compliance", "failed"]);
    let failed = read_back(&out, "json");
    assert_eq!(failed.as_array().unwrap().len(), 4);
    assert!(failed.as_array().unwrap().iter().all(|row| row["status"] == "failed"));
    let pdf = dir.path().join("failed.pdf");
    ok(&["--db", db, "export", "--what", "audit", "--out", pdf.to_str().unwrap(), "--compliance", "failed"]);
    let text = pdf_text(&pdf);
    assert!(text.contains("compliance") && text.contains("failed"), "{text}");
    let events = dir.path().join("events.ndjson");
    ok(&["--db", db, "export", "--what", "events", "--out", events.to_str().unwrap(), "--text", "Zürich"]);
    let found = read_back(&events, "ndjson");
    assert_eq!(found.as_array().unwrap().len(), 1, "the error about Zürich (its repeat only counted): {found}");
}

#[test]
fn mistakes_are_one_clear_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    let db = db.to_str().unwrap();
    let out = dir.path().join("x.csv");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["--db", db, "export", "--what", "alerts", "--out", out], "use one of audit, groups, events"),
        (
            &["--db", db, "export", "--what", "audit", "--out", out, "--fields", "seq,proces"],
            "unknown audit field `proces`",
        ),
        (
            &["--db", db, "export", "--what", "audit", "--out", "x.doc"],
            "give --format csv, json, ndjson, xml, xlsx or pdf",
        ),
        (
            &["--db", db, "export", "--what", "events", "--out", out, "--min-severity", "loud"],
            "unknown severity `loud`",
        ),
        (&["--db", "missing.db", "export", "--what", "audit", "--out", out], "`missing.db` does not exist"),
    ];
    for (args, says) in cases {
        let output = monitor(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    assert!(!Path::new("missing.db").exists(), "a missing database is not created");
}

#[test]
fn a_sqlite_file_of_something_else_or_of_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.db");
    let connection = rusqlite::Connection::open(&other).unwrap();
    connection.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY)").unwrap();
    drop(connection);
    let output = monitor(&["--db", other.to_str().unwrap(), "audit", "verify"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a monitor store"));
    let tables: i64 = rusqlite::Connection::open(&other)
        .unwrap()
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |row| row.get(0))
        .unwrap();
    assert_eq!(tables, 1, "nothing was added to it");

    let newer = dir.path().join("newer.db");
    seed(newer.to_str().unwrap());
    let connection = rusqlite::Connection::open(&newer).unwrap();
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
    connection.pragma_update(None, "user_version", version + 1).unwrap();
    drop(connection);
    let output = monitor(&["--db", newer.to_str().unwrap(), "audit", "verify"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("newer than"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
