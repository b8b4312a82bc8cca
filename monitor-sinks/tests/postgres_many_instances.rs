//! Many instances on one database: four processes, each capturing 50,000 errors
//! in 200 groups and recording audit records meanwhile, write to one
//! PostgreSQL schema at once. Every group's count is the sum of what each
//! process saw, and the audit log is one chain that verifies, keyed or not.
//!
//! The processes are this test binary itself, started again to run only
//! `instance_child_process` (ignored, and a no-op without the variables the
//! parent sets).

mod pg_support;

use std::process::{Command, Output};
use std::time::Duration;

use monitor_runtime::audit::{AuditError, AuditEvent, audit};
use monitor_runtime::{Monitor, Severity, capture_message};
use monitor_sinks::postgres::{AuditKey, PostgresOptions, PostgresSink, PostgresStore};
use monitor_sinks::store::{ChainCheck, CheckpointStatus, GroupQuery, Store};
use pg_support::TestSchema;

const PROCESSES: u64 = 4;
const ERRORS_PER_PROCESS: u64 = 50_000;
const GROUPS: u64 = 200;
const AUDITS_PER_PROCESS: u64 = 2_500;

const URL_VAR: &str = "MONITOR_INSTANCES_URL";
const SCHEMA_VAR: &str = "MONITOR_INSTANCES_SCHEMA";
const KEY_VAR: &str = "MONITOR_INSTANCES_KEY";
const CHECKPOINT_VAR: &str = "MONITOR_INSTANCES_CHECKPOINT";

#[test]
fn four_processes_add_up_in_one_database_and_keep_one_unkeyed_audit_chain() {
    let schema = TestSchema::new("instances_unkeyed");
    run_instances(&schema, None);
    let report = check_database(&schema, None);
    assert_eq!(report.check, ChainCheck::UnkeyedLinksOnly);
    assert_eq!(report.unkeyed_rows, PROCESSES * AUDITS_PER_PROCESS);
}

#[test]
fn four_processes_add_up_in_one_database_and_keep_one_keyed_audit_chain() {
    let schema = TestSchema::new("instances_keyed");
    let dir = tempfile::tempdir().unwrap();
    let keyed = Keyed { key: "a7".repeat(32), checkpoint: dir.path().join("audit-checkpoint") };
    run_instances(&schema, Some(&keyed));
    let report = check_database(&schema, Some(&keyed));
    assert!(report.is_authentic(), "{report}");
    assert_eq!(report.keyed_rows, PROCESSES * AUDITS_PER_PROCESS);
    assert!(matches!(report.checkpoint, CheckpointStatus::Signed { .. }), "{report}");
}

struct Keyed {
    key: String,
    checkpoint: std::path::PathBuf,
}

/// Starts the processes at once and waits for all of them.
fn run_instances(schema: &TestSchema, keyed: Option<&Keyed>) {
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            let mut command = Command::new(std::env::current_exe().unwrap());
            command
                .args(["--exact", "instance_child_process", "--ignored", "--nocapture", "--test-threads", "1"])
                .env(URL_VAR, &schema.url)
                .env(SCHEMA_VAR, &schema.name);
            if let Some(keyed) = keyed {
                command.env(KEY_VAR, &keyed.key).env(CHECKPOINT_VAR, &keyed.checkpoint);
            }
            command.spawn().expect("the test binary starts again")
        })
        .collect();
    for child in children {
        let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
        assert!(
            status.success(),
            "a child failed:\n{}\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    }
}

/// What the database holds once every process has shut down.
fn check_database(schema: &TestSchema, keyed: Option<&Keyed>) -> monitor_sinks::store::ChainReport {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut options: PostgresOptions = schema.options();
        if let Some(keyed) = keyed {
            options = options.audit_keys(AuditKey::from_hex(&keyed.key).unwrap()).audit_checkpoint(&keyed.checkpoint);
        }
        let store = PostgresStore::connect(&options).await.unwrap();
        let groups = store.groups(&GroupQuery::all()).await.unwrap();
        assert_eq!(groups.len() as u64, GROUPS, "one row per group: {:#?}", &groups[..3.min(groups.len())]);
        let share = ERRORS_PER_PROCESS / GROUPS;
        for group in &groups {
            assert_eq!(group.count, PROCESSES * share, "{}", group.template);
            assert!(group.merged_into.is_none());
        }
        assert_eq!(groups.iter().map(|group| group.count).sum::<u64>(), PROCESSES * ERRORS_PER_PROCESS);

        let report = store.verify_audit_chain().await.unwrap();
        assert!(report.is_intact(), "{report}");
        assert_eq!(report.rows, PROCESSES * AUDITS_PER_PROCESS, "{report}");
        report
    })
}

#[derive(AuditEvent)]
#[audit(process = "payment_processing", action = "settle", status = compliant)]
struct Settled {
    #[audit(reference = "payment")]
    payment: u64,
    #[audit(actor)]
    clerk: &'static str,
}

/// The group's word, in letters: digits would be masked as a variable, so
/// 200 numbered messages would be one group.
///
/// Messages differing in one word only are one group to the grouper once
/// it has seen enough values there (`user <*> not found`), so each group's
/// messages differ from the others' in two words.
fn word(group: u64) -> String {
    const DIGITS: [&str; 10] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    group.to_string().bytes().map(|digit| DIGITS[usize::from(digit - b'0')]).collect()
}

#[test]
#[ignore = "a child of the many-instance tests, started by them"]
fn instance_child_process() {
    let Ok(url) = std::env::var(URL_VAR) else { return };
    let schema = std::env::var(SCHEMA_VAR).unwrap();
    let mut sink = PostgresSink::new(url).schema(schema);
    if let Ok(key) = std::env::var(KEY_VAR) {
        sink =
            sink.audit_keys(AuditKey::from_hex(&key).unwrap()).audit_checkpoint(std::env::var(CHECKPOINT_VAR).unwrap());
    }
    let guard =
        Monitor::builder().service("fleet").shutdown_timeout(Duration::from_secs(120)).sink(sink).install().unwrap();

    let auditor = std::thread::spawn(|| {
        for payment in 0..AUDITS_PER_PROCESS {
            let settled = Settled { payment, clerk: "clerk-7" };
            // A full queue is an error, not a drop: try again until taken.
            loop {
                match audit(&settled) {
                    Ok(()) => break,
                    Err(AuditError::QueueTimeout) => continue,
                    Err(other) => panic!("audit record refused: {other}"),
                }
            }
        }
    });
    for group in 0..GROUPS {
        let (bank, branch) = (word(group), word(GROUPS + group));
        for batch in 0..ERRORS_PER_PROCESS / GROUPS {
            capture_message(&format!("{bank} payment via {branch} failed for batch {batch}"), Severity::Error);
        }
    }
    auditor.join().unwrap();
    let stats = guard.shutdown();
    assert_eq!(stats.audits_delivered.get("postgres"), Some(&AUDITS_PER_PROCESS), "{stats:#?}");
    assert_eq!(stats.captured, ERRORS_PER_PROCESS, "{stats:#?}");
    eprintln!("instance child done: {stats:?}");
}
