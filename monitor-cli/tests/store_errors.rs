//! Every command that reads or changes a store refuses a database that is
//! missing or is not a monitor store: one line, exit 2, nothing created.

mod support;

use support::{Schema, fails, seed_operations};

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

#[test]
fn a_postgres_schema_without_a_monitor_store_or_of_a_newer_release_is_refused() {
    let empty = Schema::new("cli_empty");
    let foreign = Schema::new("cli_foreign");
    foreign.sql("CREATE TABLE invoices (id integer PRIMARY KEY)");
    for (schema, says) in [(&empty, "has no tables"), (&foreign, "has 1 table, none of them monitor's")] {
        for command in [&["groups"][..], &["resolve", "--all", "--yes", "--by", "alice"], &["audit", "verify"]] {
            let url = schema.url();
            let mut args = vec!["--db", url.as_str()];
            args.extend(command);
            let stderr = fails(&args, 2);
            assert!(stderr.contains("is not a monitor store") && stderr.contains(says), "{args:?}: {stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        }
        // Nothing was created there.
        schema.sql("DO $$ BEGIN IF to_regclass('monitor_schema_versions') IS NOT NULL THEN RAISE EXCEPTION 'created'; END IF; END $$");
    }

    let newer = Schema::new("cli_newer");
    seed_operations(&newer.url());
    newer.sql("INSERT INTO monitor_schema_versions (version, description) VALUES (10000, 'from a later release')");
    let url = newer.url();
    let stderr = fails(&["--db", &url, "groups"], 2);
    assert!(stderr.contains("newer than"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}
