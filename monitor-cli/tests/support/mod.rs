#![allow(dead_code, unreachable_pub)]
//! What the command's tests share: a store seeded through the real
//! pipeline (masked audit events, scrubbed errors), the `monitor` binary,
//! PostgreSQL schemas of their own, and the real readers of each format.

use std::path::Path;
use std::process::{Command, Output};

use monitor::Monitor;
use monitor::audit::{AuditEvent, ComplianceStatus, audit};
use monitor::postgres::PostgresSink;
use monitor::sqlite::SqliteSink;

/// The IBAN the audit events carry: masked before it is stored, so no
/// export may show it.
pub const RAW_IBAN: &str = "DE89370400440532013000";
/// A secret in an error message: scrubbed before it is stored.
pub const SECRET: &str = "hunter2-very-secret";

#[derive(AuditEvent)]
#[audit(process = "sepa_mandate_creation", action = "create_mandate")]
struct MandateCreated {
    #[audit(reference = "mandate")]
    mandate: String,
    #[audit(actor)]
    clerk: String,
    #[audit(mask = iban)]
    debtor_iban: String,
    debtor_name: String,
    #[audit(status)]
    status: ComplianceStatus,
}

/// What each seeded record's free text holds: non-ASCII, spreadsheet
/// formulas and XML specials.
pub const NAMES: [&str; 4] = ["Müller & Söhne <GmbH>", "=SUM(A1:A9)", "Zürich \"Ελλάδα\" 日本", "@cmd|' /C calc'!A0"];

#[derive(Debug)]
struct PaymentError(String);

impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PaymentError {}

#[monitor::monitor]
fn collect(payer: &str, attempt: u32) -> Result<(), PaymentError> {
    Err(PaymentError(format!("collection {attempt} from {payer} failed: password={SECRET}")))
}

/// Seeds `db` (a SQLite path or a postgres:// URL) through an installed
/// monitor: 4 audit events per name (12 compliant, 4 failed) and 8 errors.
pub fn seed(db: &str) {
    let builder = Monitor::builder().service("billing");
    let builder = if db.starts_with("postgres://") {
        builder.sink(PostgresSink::new(db))
    } else {
        builder.sink(SqliteSink::new(db))
    };
    let guard = builder.install().expect("the monitor installs");
    for (n, name) in NAMES.iter().enumerate() {
        for attempt in 0..4u32 {
            let _ = n;
            let status = if attempt == 3 { ComplianceStatus::Failed } else { ComplianceStatus::Compliant };
            audit(&MandateCreated {
                // The name starts the reference: a formula starts a cell there.
                mandate: format!("{name}-{attempt}"),
                clerk: "clerk-7".into(),
                debtor_iban: RAW_IBAN.into(),
                debtor_name: (*name).into(),
                status,
            })
            .expect("the audit record is taken");
        }
        for attempt in 0..2 {
            let _ = collect(name, attempt);
        }
    }
    drop(guard);
}

/// Runs the `monitor` binary.
pub fn monitor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_monitor"))
        .args(args)
        .env_remove("MONITOR_DATABASE_URL")
        .env_remove("MONITOR_AUDIT_KEY")
        .env_remove("MONITOR_AUDIT_KEY_FILE")
        .output()
        .expect("the monitor binary runs")
}

/// Runs it and checks it succeeded; its standard output.
pub fn ok(args: &[&str]) -> String {
    let output = monitor(args);
    assert!(output.status.success(), "monitor {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The PostgreSQL server the tests use.
pub const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A schema of its own on the test server, dropped at the end.
pub struct Schema {
    pub name: String,
}

impl Schema {
    pub fn new(prefix: &str) -> Self {
        let name = format!("{prefix}_{}_{}", std::process::id(), rand_suffix());
        psql(&format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"));
        Schema { name }
    }

    /// The URL whose connections use only this schema.
    pub fn url(&self) -> String {
        format!("{POSTGRES}?options=-c%20search_path%3D{}", self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_007
}

fn psql(sql: &str) {
    let status = Command::new("psql")
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", sql])
        .status()
        .expect("psql runs (Debian: postgresql-client); the tests need PostgreSQL on 127.0.0.1:5432");
    assert!(status.success(), "psql -c {sql:?} failed");
}

#[path = "../../../monitor-export/tests/support/readers.rs"]
mod readers;
#[allow(unused_imports)]
pub use readers::pdf_text;

/// A file read back by a real reader, as JSON: Python's csv and json,
/// openpyxl, lxml. A missing reader fails naming its Debian package.
pub fn read_back(file: &Path, format: &str) -> serde_json::Value {
    match format {
        "csv" => readers::read_with("csv_read.py", "csv", "python3", file, &[]),
        "json" => readers::read_with("json_read.py", "json", "python3", file, &[]),
        "ndjson" => readers::read_with("json_read.py", "json", "python3", file, &["--lines"]),
        "xml" => readers::read_with("xml_read.py", "lxml", "python3-lxml", file, &[]),
        "xlsx" => readers::read_with("xlsx_read.py", "openpyxl", "python3-openpyxl", file, &[]),
        other => panic!("no reader for {other}"),
    }
}
