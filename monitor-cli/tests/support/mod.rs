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

/// The operations a store of [`seed_operations`] holds, by function: what
/// a filter on `--function` selects.
pub mod operations {
    use monitor::Context;

    #[derive(Debug)]
    pub struct BankError(pub String);

    impl std::fmt::Display for BankError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for BankError {}

    pub mod sepa {
        use super::BankError;

        #[monitor::monitor]
        pub fn submit(message: &str) -> Result<(), BankError> {
            Err(BankError(message.to_owned()))
        }
    }

    pub mod cards {
        use super::BankError;

        #[monitor::monitor(severity = warning)]
        pub fn charge(message: &str) -> Result<(), BankError> {
            Err(BankError(message.to_owned()))
        }
    }

    /// Three groups of `sepa::submit` (tenant acme), two of `cards::charge`
    /// (warnings, user bob, tenant globex).
    pub fn run() {
        let acme = Context::new().tag("tenant", "acme").user("alice");
        acme.scope(|| {
            let _ = sepa::submit("the bank refused the batch after its cut-off");
            let _ = sepa::submit("mandate reference unknown to the debtor bank");
            let _ = sepa::submit("creditor identifier rejected by the clearing house");
        });
        let globex = Context::new().tag("tenant", "globex").user("bob");
        globex.scope(|| {
            let _ = cards::charge("card declined by the issuer");
            let _ = cards::charge("gateway timeout while authorising");
        });
    }
}

/// Which sink writes to `db` (a SQLite path or a postgres:// URL).
fn with_store(builder: monitor::MonitorBuilder, db: &str) -> monitor::MonitorBuilder {
    if db.starts_with("postgres://") { builder.sink(PostgresSink::new(db)) } else { builder.sink(SqliteSink::new(db)) }
}

/// Seeds `db` with the five groups of [`operations::run`].
pub fn seed_operations(db: &str) {
    let guard = with_store(Monitor::builder().service("payments"), db).install().expect("the monitor installs");
    operations::run();
    drop(guard);
}

/// Seeds `db` with incidents: a rule that fires on every new kind of error,
/// driven by a manual clock past its `group_wait`.
pub fn seed_alerts(db: &str) {
    let clock = monitor::alerting::ManualClock::new(std::time::SystemTime::now());
    let rules = monitor::alerts! {
        destination ops = console;
        rule new_kind_of_error { when new_group(severity >= error); notify ops; group_wait 1s; }
        rule card_trouble { when errors(severity >= warning) > 1 within 1h; severity critical; notify ops; group_wait 1s; }
    };
    let guard = with_store(Monitor::builder().service("payments").alerts(rules).clock(clock.clone()), db)
        .install()
        .expect("the monitor installs");
    operations::run();
    guard.flush(std::time::Duration::from_secs(10));
    clock.advance(std::time::Duration::from_secs(5));
    guard.flush(std::time::Duration::from_secs(10));
    drop(guard);
}

/// Stores one more error, with `message`, as a running service would.
pub fn store_error(db: &str, message: &str) {
    let guard = with_store(Monitor::builder().service("payments"), db).install().expect("the monitor installs");
    let _ = operations::sepa::submit(message);
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

/// Runs it with environment variables set (`Some`) or removed (`None`).
pub fn monitor_env(args: &[&str], env: &[(&str, Option<&str>)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_monitor"));
    command
        .args(args)
        .env_remove("MONITOR_DATABASE_URL")
        .env_remove("MONITOR_AUDIT_KEY")
        .env_remove("MONITOR_AUDIT_KEY_FILE");
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command.output().expect("the monitor binary runs")
}

/// Runs it, checks it succeeded, and reads its standard output as JSON.
pub fn json(args: &[&str]) -> serde_json::Value {
    let out = ok(args);
    serde_json::from_str(&out).unwrap_or_else(|error| panic!("monitor {args:?} printed no JSON ({error}): {out}"))
}

/// Runs it and checks it exited with `code`; its standard error.
pub fn fails(args: &[&str], code: i32) -> String {
    let output = monitor(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "monitor {args:?}: {stderr}");
    stderr
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

    /// Runs SQL in this schema.
    pub fn sql(&self, sql: &str) {
        psql(&format!("SET search_path TO {}; {sql}", self.name));
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
