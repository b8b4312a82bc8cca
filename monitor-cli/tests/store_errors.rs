//! Every command that reads or changes a store refuses a database that is
//! missing or is not a monitor store: one line, exit 2, nothing created.

mod support;

use support::fails;

#[test]
fn every_store_command_refuses_a_missing_or_foreign_database_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let missing = missing.to_str().unwrap();
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        .unwrap();
    let other = other.to_str().unwrap();
    let commands: [&[&str]; 12] = [
        &["groups"],
        &["show", "00000000000000ff"],
        &["events", "00000000000000ff"],
        &["resolve", "00000000000000ff", "--by", "alice"],
        &["assign", "--all", "--to", "bob", "--yes", "--by", "alice"],
        &["alerts"],
        &["ack", "1", "--by", "alice"],
        &["audit", "list"],
        &["audit", "summary"],
        &["audit", "verify"],
        &["tail"],
        &["audit", "export", "--out", "x.csv"],
    ];
    for command in commands {
        for (db, says) in [(missing, "does not exist"), (other, "is not a monitor store")] {
            let mut args = vec!["--db", db];
            args.extend(command);
            let stderr = fails(&args, 2);
            assert!(stderr.contains(says), "{args:?}: {stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        }
    }
    assert!(!std::path::Path::new(missing).exists(), "a missing database is not created");
    assert!(!std::path::Path::new("x.csv").exists());
}
