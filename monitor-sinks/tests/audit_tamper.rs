//! The keyed audit chain against someone who can write the database file:
//! the real sink writes a real SQLite file, Python's sqlite3 plays the
//! attacker (recomputing the unkeyed SHA-256 links where that would fool an
//! unkeyed chain), and verification must name the first bad row.

use std::path::{Path, PathBuf};
use std::process::Command;

use monitor_runtime::Monitor;
use monitor_runtime::Stats;
use monitor_runtime::audit::{AuditEvent, ComplianceStatus, audit};
use monitor_sinks::sqlite::{
    AuditChainOptions, AuditKey, AuditKeyRing, AuditQuery, ChainCheck, ChainReport, CheckpointStatus, SqliteOptions,
    SqliteSink, SqliteStore,
};

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
    },
}

fn key(byte: u8) -> AuditKey {
    AuditKey::from_bytes(&[byte; 32]).unwrap()
}

/// Six audit records through the real pipeline and sink.
fn write_six(sink: SqliteSink) -> Stats {
    let guard = Monitor::builder().sink(sink).install().unwrap();
    for batch in 1..=6 {
        let status = if batch % 3 == 0 { ComplianceStatus::Failed } else { ComplianceStatus::Compliant };
        audit(&Submission::Submitted { batch, clerk: if batch % 2 == 0 { "anna" } else { "ben" }, status }).unwrap();
    }
    guard.shutdown()
}

/// A log of six rows signed with `key(1)`.
fn keyed_log(dir: &Path) -> PathBuf {
    let path = dir.join("audit.db");
    let stats = write_six(SqliteSink::new(&path).audit_keys(key(1)));
    assert_eq!(stats.audits_delivered.get("sqlite"), Some(&6), "{stats:?}");
    path
}

fn open_keyed(path: &Path, keys: impl Into<AuditKeyRing>) -> SqliteStore {
    let options = SqliteOptions { audit: AuditChainOptions::keyed(keys), ..SqliteOptions::default() };
    SqliteStore::open_with(path, &options).unwrap()
}

fn verify_keyed(path: &Path) -> ChainReport {
    open_keyed(path, key(1)).verify_audit_chain().unwrap()
}

/// What the attacker knows: the table, and how the unkeyed links were made.
const ATTACKER: &str = r#"
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.row_factory = sqlite3.Row

def rows():
    return [dict(r) for r in db.execute("SELECT * FROM audit_log ORDER BY seq")]

def unkeyed_hash(r):
    fields = [r["seq"], r["timestamp_ms"], r["process"], r["action"], r["status"], r["reference_kind"],
              r["reference_id"], r["actor"], r["trace_id"], r["service"], r["details"], bool(r["truncated"]),
              r["detail_errors"], r["prev_hash"]]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()

def relink(first, last=None):
    # Recomputes the links of rows first..last as the unkeyed scheme makes them.
    prev = None
    for r in rows():
        if r["seq"] >= first and (last is None or r["seq"] <= last):
            if prev is not None:
                r["prev_hash"] = prev
            r["hash"] = unkeyed_hash(r)
            db.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (r["prev_hash"], r["hash"], r["seq"]))
        prev = r["hash"]

def drop_triggers():
    for name in ("audit_log_no_update", "audit_log_no_delete", "audit_log_insert_at_end"):
        db.execute("DROP TRIGGER IF EXISTS " + name)

def insert_or_replace(r):
    columns = ", ".join(r)
    marks = ", ".join("?" for _ in r)
    db.execute("INSERT OR REPLACE INTO audit_log (" + columns + ") VALUES (" + marks + ")", list(r.values()))
"#;

/// Runs `script` with Python's sqlite3 on the file; returns whether it
/// succeeded and its stderr.
fn try_attack(path: &Path, script: &str) -> (bool, String) {
    let output = Command::new("python3")
        .arg("-c")
        .arg(format!("{ATTACKER}\n{script}\ndb.close()\n"))
        .arg(path)
        .output()
        .expect("python3 runs");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn attack(path: &Path, script: &str) {
    let (succeeded, stderr) = try_attack(path, script);
    assert!(succeeded, "the attacker's script failed: {stderr}");
}

fn broken_at(report: &ChainReport) -> i64 {
    report.first_broken.as_ref().unwrap_or_else(|| panic!("the tampering is found: {report}")).seq
}

#[test]
fn a_keyed_log_verifies_as_keyed_with_a_signed_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = keyed_log(dir.path());
    let store = open_keyed(&path, key(1));
    let report = store.verify_audit_chain().unwrap();
    assert!(report.is_authentic(), "{report}");
    assert_eq!(report.check, ChainCheck::Keyed);
    assert_eq!((report.rows, report.keyed_rows, report.unkeyed_rows), (6, 6, 0));
    assert_eq!(report.checkpoint, CheckpointStatus::Signed { seq: 6, key_id: key(1).id().to_owned() });
    let rows = store.audit_records(&AuditQuery::default()).unwrap();
    assert!(rows.iter().all(|row| row.key_id.as_deref() == Some(key(1).id())));

    let checkpoint = store.audit_checkpoint_path().unwrap();
    assert_eq!(checkpoint, dir.path().join("audit.db.audit-checkpoint"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(checkpoint).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn a_rewritten_row_whose_links_were_recomputed_fails_keyed_verification() {
    let rewrite = "drop_triggers()\ndb.execute(\"UPDATE audit_log SET status = 'compliant' WHERE seq = 3\")\nrelink(3)";

    // Against an unkeyed chain the attack works: all links are consistent,
    // and the report says plainly that is all it checked.
    let dir = tempfile::tempdir().unwrap();
    let unkeyed = dir.path().join("unkeyed.db");
    write_six(SqliteSink::new(&unkeyed));
    attack(&unkeyed, rewrite);
    let report = SqliteStore::open(&unkeyed).unwrap().verify_audit_chain().unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.check, ChainCheck::UnkeyedLinksOnly);
    assert!(!report.is_authentic());

    // Against a keyed chain it is found at the rewritten row.
    let keyed = keyed_log(dir.path());
    attack(&keyed, rewrite);
    let report = verify_keyed(&keyed);
    assert_eq!(broken_at(&report), 3, "{report}");
    assert!(report.first_broken.unwrap().reason.contains("MAC does not match"));
}

#[test]
fn drop_trigger_and_update_is_found_at_the_edited_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = keyed_log(dir.path());
    attack(&path, "drop_triggers()\ndb.execute(\"UPDATE audit_log SET actor = 'mallory' WHERE seq = 4\")");
    let report = verify_keyed(&path);
    assert_eq!(broken_at(&report), 4, "{report}");
    assert!(!report.is_authentic());

    // The first row too, and the report still says the check was keyed.
    attack(&path, "db.execute(\"UPDATE audit_log SET actor = 'mallory' WHERE seq = 1\")");
    let report = verify_keyed(&path);
    assert_eq!(broken_at(&report), 1, "{report}");
    assert_eq!(report.check, ChainCheck::Keyed);
}

#[test]
fn insert_or_replace_is_refused_and_a_replaced_middle_row_is_found() {
    let replace_row_3 = "r = rows()[2]\nr['status'] = 'compliant'\nr['hash'] = unkeyed_hash(r)\ninsert_or_replace(r)";

    // With the triggers in place the replacement is refused.
    let dir = tempfile::tempdir().unwrap();
    let path = keyed_log(dir.path());
    let (succeeded, stderr) = try_attack(&path, replace_row_3);
    assert!(!succeeded && stderr.contains("append-only"), "{stderr}");
    assert!(verify_keyed(&path).is_authentic());

    // Around them, the replaced row is found: kept as a keyed row…
    attack(&path, &format!("drop_triggers()\n{replace_row_3}"));
    let report = verify_keyed(&path);
    assert_eq!(broken_at(&report), 3, "{report}");

    // …or passed off as an unkeyed row of an older version.
    let other = tempfile::tempdir().unwrap();
    let path = keyed_log(other.path());
    attack(
        &path,
        "drop_triggers()\nr = rows()[2]\nr['status'] = 'compliant'\nr['key_id'] = None\nr['hash'] = \
         unkeyed_hash(r)\ninsert_or_replace(r)\nrelink(3)",
    );
    let report = verify_keyed(&path);
    assert_eq!(broken_at(&report), 3, "{report}");
    assert!(report.first_broken.unwrap().reason.contains("unkeyed row after keyed rows"));
}

#[test]
fn reordered_rows_are_found_at_the_first_moved_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = keyed_log(dir.path());
    attack(
        &path,
        "drop_triggers()
db.execute('UPDATE audit_log SET seq = -2 WHERE seq = 2')
db.execute('UPDATE audit_log SET seq = 2 WHERE seq = 4')
db.execute('UPDATE audit_log SET seq = 4 WHERE seq = -2')
relink(2)",
    );
    let report = verify_keyed(&path);
    assert_eq!(broken_at(&report), 2, "{report}");
}

#[test]
fn a_deleted_middle_row_is_found_even_when_the_rest_is_renumbered() {
    let dir = tempfile::tempdir().unwrap();
    let path = keyed_log(dir.path());
    attack(&path, "drop_triggers()\ndb.execute('DELETE FROM audit_log WHERE seq = 4')");
    assert_eq!(broken_at(&verify_keyed(&path)), 4);

    attack(
        &path,
        "db.execute('UPDATE audit_log SET seq = seq - 1 WHERE seq > 4')
relink(4)",
    );
    let report = verify_keyed(&path);
    assert_eq!(broken_at(&report), 4, "{report}");
}

#[test]
fn a_deleted_tail_is_reported_from_the_checkpoint_and_not_buried_by_new_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = keyed_log(dir.path());
    attack(&path, "drop_triggers()\ndb.execute('DELETE FROM audit_log WHERE seq >= 5')");

    let report = verify_keyed(&path);
    assert_eq!(broken_at(&report), 5, "{report}");
    assert!(report.first_broken.as_ref().unwrap().reason.contains("the last rows were deleted"), "{report}");
    assert_eq!(report.checkpoint, CheckpointStatus::Signed { seq: 6, key_id: key(1).id().to_owned() });

    // The sink does not extend a truncated chain (a new checkpoint would
    // hide the loss): its audit records are refused and counted.
    let stats = write_six(SqliteSink::new(&path).audit_keys(key(1)));
    assert_eq!(stats.dropped.get("sqlite:audit_rejected"), Some(&6), "{stats:?}");
    assert_eq!(broken_at(&verify_keyed(&path)), 5);
}

#[test]
fn a_forged_or_removed_checkpoint_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = keyed_log(dir.path());
    let checkpoint = dir.path().join("audit.db.audit-checkpoint");
    // Cut the tail and move the checkpoint back to the new head, keeping its
    // old signature: the attacker cannot sign.
    attack(
        &path,
        &format!(
            "drop_triggers()
db.execute('DELETE FROM audit_log WHERE seq >= 5')
head = rows()[-1]
checkpoint = json.load(open({checkpoint:?}))
checkpoint['seq'] = head['seq']
checkpoint['head_mac'] = head['hash']
json.dump(checkpoint, open({checkpoint:?}, 'w'))",
            checkpoint = checkpoint.display().to_string()
        ),
    );
    let report = verify_keyed(&path);
    assert_eq!(report.checkpoint, CheckpointStatus::BadSignature { seq: 4 });
    assert!(!report.is_intact() && !report.is_authentic(), "{report}");

    std::fs::remove_file(&checkpoint).unwrap();
    let report = verify_keyed(&path);
    assert_eq!(report.checkpoint, CheckpointStatus::Missing { path: checkpoint });
    assert!(report.is_intact(), "{report}");
    assert!(!report.is_authentic(), "without its checkpoint a keyed log cannot be shown complete: {report}");
}

#[test]
fn a_store_without_the_key_reads_and_says_it_checked_unkeyed_links_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = keyed_log(dir.path());

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.audit_records(&AuditQuery::default()).unwrap().len(), 6);
    let report = store.verify_audit_chain().unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.check, ChainCheck::UnkeyedLinksOnly);
    assert_eq!(report.keyed_rows, 0);
    assert!(!report.is_authentic());
    assert!(report.to_string().contains("UNKEYED LINKS ONLY"), "{report}");

    let wrong_key = open_keyed(&path, key(9)).verify_audit_chain().unwrap();
    assert_eq!(wrong_key.check, ChainCheck::KeyMissing { key_ids: vec![key(1).id().to_owned()] });
    assert!(!wrong_key.is_authentic());
    assert!(wrong_key.to_string().contains(&format!("KEY MISSING for key id {}", key(1).id())), "{wrong_key}");

    // Appending unkeyed rows to a keyed chain is refused, not done.
    let stats = write_six(SqliteSink::new(&path));
    assert_eq!(stats.dropped.get("sqlite:audit_rejected"), Some(&6), "{stats:?}");
    assert!(verify_keyed(&path).is_authentic());
}

#[test]
fn rows_of_an_older_version_stay_unkeyed_links_and_key_rotations_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    write_six(SqliteSink::new(&path));
    // Back to the schema of the version before keys (and before triage, fleet rules and backtraces), as such a
    // file is.
    attack(
        &path,
        "for step in ['DROP TABLE group_counts', 'DROP TABLE leadership', 'ALTER TABLE groups DROP COLUMN kind',
        'DROP TABLE group_history', 'DROP TABLE alerts', 'DROP INDEX groups_by_status_change',
        'DROP INDEX groups_by_module', 'ALTER TABLE groups DROP COLUMN assignee',
        'ALTER TABLE groups DROP COLUMN status_changed_ms', 'ALTER TABLE events DROP COLUMN backtrace']:
    db.execute(step)
db.execute('DROP TRIGGER audit_log_insert_at_end')
db.execute('ALTER TABLE audit_log DROP COLUMN key_id')
db.execute('PRAGMA user_version = 4')",
    );

    write_six(SqliteSink::new(&path).audit_keys(key(1)));
    let report = verify_keyed(&path);
    assert!(report.is_authentic(), "{report}");
    assert_eq!((report.rows, report.unkeyed_rows, report.keyed_rows), (13, 6, 7));
    assert!(report.to_string().contains("6 rows are unkeyed SHA-256 links"), "{report}");

    let ring = AuditKeyRing::new(key(2)).with_previous(key(1));
    write_six(SqliteSink::new(&path).audit_keys(ring.clone()));
    let report = open_keyed(&path, ring).verify_audit_chain().unwrap();
    assert!(report.is_authentic(), "{report}");
    assert_eq!((report.rows, report.keyed_rows), (20, 14));

    let store = SqliteStore::open(&path).unwrap();
    let rotations = store
        .audit_records(&AuditQuery {
            process: Some("monitor.audit".into()),
            action: Some("key_rotation".into()),
            ..AuditQuery::default()
        })
        .unwrap();
    let recorded: Vec<_> = rotations.iter().map(|row| (row.seq, row.details.clone())).collect();
    assert_eq!(
        recorded,
        vec![
            (7, serde_json::json!({ "from_key_id": null, "to_key_id": key(1).id() })),
            (14, serde_json::json!({ "from_key_id": key(1).id(), "to_key_id": key(2).id() })),
        ]
    );

    let without_old_key = open_keyed(&path, key(2)).verify_audit_chain().unwrap();
    assert_eq!(without_old_key.check, ChainCheck::KeyMissing { key_ids: vec![key(1).id().to_owned()] });

    // The old unkeyed rows are anchored by the first keyed row, which signs
    // the link of the row before it: rewriting them and their links is found.
    attack(
        &path,
        "drop_triggers()
db.execute(\"UPDATE audit_log SET actor = 'mallory' WHERE seq = 2\")
relink(2, 6)",
    );
    let report = open_keyed(&path, AuditKeyRing::new(key(2)).with_previous(key(1))).verify_audit_chain().unwrap();
    assert_eq!(broken_at(&report), 6, "{report}");
    assert!(report.first_broken.unwrap().reason.contains("an unkeyed row before it was edited"));
}

#[test]
fn a_short_or_malformed_key_is_a_clear_error() {
    let short = AuditKey::from_bytes(&[7; 16]).unwrap_err().to_string();
    assert!(short.contains("16 bytes") && short.contains("at least 32 bytes"), "{short}");
    let not_hex = AuditKey::from_hex(&"zz".repeat(32)).unwrap_err().to_string();
    assert!(not_hex.contains("not hex"), "{not_hex}");
    let odd = AuditKey::from_hex(&"a".repeat(65)).unwrap_err().to_string();
    assert!(odd.contains("odd number"), "{odd}");

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-key");
    let error = AuditKeyRing::from_file(&missing).unwrap_err().to_string();
    assert!(error.contains("no-such-key"), "{error}");

    let file = dir.path().join("audit.key");
    std::fs::write(&file, format!("# current first\n{}\n{}\n", "11".repeat(32), "22".repeat(8))).unwrap();
    let error = AuditKeyRing::from_file(&file).unwrap_err().to_string();
    assert!(error.contains("audit.key") && error.contains("key 2") && error.contains("8 bytes"), "{error}");

    std::fs::write(&file, format!("# current first\n{}\n{}\n", "11".repeat(32), "22".repeat(32))).unwrap();
    let ring = AuditKeyRing::from_file(&file).unwrap();
    assert_eq!(ring.len(), 2);
    assert_eq!(ring.signing_key().unwrap().id(), AuditKey::from_bytes(&[0x11; 32]).unwrap().id());
}

/// Run by `keys_come_from_the_environment` in a child process with the
/// variables set (this crate forbids the `unsafe` that setting them in
/// process would take); `EXPECTED` says what it must find.
#[test]
#[ignore = "run by keys_come_from_the_environment with the environment set"]
fn environment_child() {
    let expected = std::env::var("EXPECTED").unwrap();
    match (AuditKeyRing::from_env(), expected.split_once(':').unwrap()) {
        (Ok(ring), ("ok", id)) => assert_eq!(ring.signing_key().unwrap().id(), id),
        (Err(error), ("error", text)) => assert!(error.to_string().contains(text), "{error}"),
        (found, _) => panic!("expected {expected}, found {found:?}"),
    }
}

#[test]
fn keys_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.key");
    std::fs::write(&file, "33".repeat(32)).unwrap();
    let id = |byte: u8| AuditKey::from_bytes(&[byte; 32]).unwrap().id().to_owned();
    let cases: [(&[(&str, String)], String); 4] = [
        (&[("MONITOR_AUDIT_KEY", format!("{},{}", "44".repeat(32), "55".repeat(32)))], format!("ok:{}", id(0x44))),
        (&[("MONITOR_AUDIT_KEY_FILE", file.display().to_string())], format!("ok:{}", id(0x33))),
        (
            &[("MONITOR_AUDIT_KEY", "abcd".to_owned())],
            "error:MONITOR_AUDIT_KEY: key 1: the audit key is 2 bytes".into(),
        ),
        (&[], "error:neither MONITOR_AUDIT_KEY nor MONITOR_AUDIT_KEY_FILE is set".into()),
    ];
    for (variables, expected) in cases {
        let mut child = Command::new(std::env::current_exe().unwrap());
        child.args(["--exact", "environment_child", "--ignored", "--quiet"]);
        child.env_remove("MONITOR_AUDIT_KEY").env_remove("MONITOR_AUDIT_KEY_FILE").env("EXPECTED", &expected);
        for (name, value) in variables {
            child.env(name, value);
        }
        let output = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success() && stdout.contains("1 passed"), "{expected}: {stdout}");
    }
}
