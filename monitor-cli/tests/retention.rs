//! `monitor retention plan|apply` and `monitor audit verify --archive` on
//! both stores: the plan says what apply then removes, audit rows go only
//! into archive files, and the archive with the rows left proves one chain.

mod support;

use std::path::{Path, PathBuf};

use support::{Schema, monitor, ok, seed};

fn archives(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
}

fn retention_and_archive(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let archive_dir = dir.path().join("archive");
    std::fs::create_dir(&archive_dir).unwrap();
    let archive = archive_dir.to_str().unwrap();
    // Everything seeded is seconds old: an age of 1ms takes all of it.
    let plan: serde_json::Value = serde_json::from_str(&ok(&[
        "--db",
        db,
        "retention",
        "plan",
        "--max-age",
        "1ms",
        "--audit-older-than",
        "1ms",
        "--archive-dir",
        archive,
        "--json",
    ]))
    .unwrap();
    assert_eq!(plan["events"]["age"], 4, "the first error of each name is stored, its repeat counted: {plan}");
    let to_archive = plan["audit_rows"].as_u64().unwrap();
    assert!(to_archive > 0 && to_archive < 16, "the last audit row stays: {plan}");
    assert!(archives(&archive_dir).is_empty(), "a plan changes nothing");
    assert_eq!(plan["counts"]["group_counts"], 0, "counts seconds old stay 400 days: {plan}");

    let report: serde_json::Value = serde_json::from_str(&ok(&[
        "--db",
        db,
        "retention",
        "apply",
        "--max-age",
        "1ms",
        "--audit-older-than",
        "1ms",
        "--archive-dir",
        archive,
        "--json",
    ]))
    .unwrap();
    assert_eq!(report["events"], plan["events"], "apply removes what the plan said");
    assert_eq!(report["counts"], plan["counts"]);
    let files = archives(&archive_dir);
    assert!(!files.is_empty());
    let remaining = ok(&["--db", db, "retention", "plan", "--max-age", "1ms"]);
    assert!(remaining.contains("would remove 0 events"), "{remaining}");
    assert!(remaining.contains("would remove 0 count rows") && remaining.contains("kept 400 days"), "{remaining}");
    let forever = ok(&["--db", db, "retention", "plan", "--counts-max-age", "none"]);
    assert!(forever.contains("counts are kept forever"), "{forever}");

    let verified = ok(&["--db", db, "audit", "verify"]);
    assert!(verified.contains("no break found") && verified.contains("were archived"), "{verified}");
    let mut args = vec!["--db", db, "audit", "verify", "--archive"];
    args.extend(files.iter().map(|file| file.to_str().unwrap()));
    let with_files = ok(&args);
    assert!(with_files.contains("archive files checked"), "{with_files}");

    // An edited archive is a break, named by its row: exit 1.
    let text = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::write(&files[0], text.replacen("clerk-7", "clerk-8", 1)).unwrap();
    let output = monitor(&args);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(String::from_utf8_lossy(&output.stdout).contains("BROKEN at row"));
}

#[test]
fn retention_plan_apply_and_archive_verify_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    retention_and_archive(db.to_str().unwrap());
}

#[test]
fn retention_plan_apply_and_archive_verify_on_postgres() {
    let schema = Schema::new("cli_retention");
    seed(&schema.url());
    retention_and_archive(&schema.url());
}

#[test]
fn a_bad_policy_is_refused_before_anything_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed(db.to_str().unwrap());
    let db = db.to_str().unwrap();
    for (args, says) in [
        (vec!["--keep", "loud=1d"], "loud"),
        (vec!["--max-size", "lots"], "lots"),
        (vec!["--keep", "critical"], "is not NAME=AGE"),
        (vec!["--counts-max-age", "soon"], "soon"),
    ] {
        let mut all = vec!["--db", db, "retention", "apply"];
        all.extend(args.iter().copied());
        let output = monitor(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(says),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let plan = ok(&["--db", db, "retention", "plan", "--max-age", "1ms"]);
    assert!(plan.contains("would remove 4 events"), "nothing was removed: {plan}");
}
