//! `monitor groups`, `show` and `events` on both stores: filters select the
//! groups they name, pages follow each other without repeats, and `--json`
//! carries what the table shows.

mod support;

use serde_json::Value;
use support::{Schema, fails, json, ok, seed_operations};

fn keys(page: &Value) -> Vec<String> {
    page["groups"].as_array().unwrap().iter().map(|group| group["key"].as_str().unwrap().to_owned()).collect()
}

fn functions(page: &Value) -> Vec<String> {
    page["groups"].as_array().unwrap().iter().map(|group| group["function"].as_str().unwrap().to_owned()).collect()
}

fn groups_show_and_events(db: &str) {
    let all = json(&["--db", db, "groups", "--json"]);
    assert_eq!(keys(&all).len(), 5, "five kinds of error: {all:#}");
    assert!(all["next"].is_null());

    let charges = json(&["--db", db, "groups", "--function", "charge", "--json"]);
    assert_eq!(functions(&charges), ["charge", "charge"], "{charges:#}");
    assert!(charges["groups"].as_array().unwrap().iter().all(|group| group["severity"] == "warning"));
    for (filter, value, expected) in [
        ("--severity", "warning", 2),
        ("--min-severity", "error", 3),
        ("--user", "alice", 3),
        ("--tag", "tenant=globex", 2),
        ("--service", "payments", 5),
        ("--service", "nobody", 0),
        ("--status", "open", 5),
        ("--kind", "error", 5),
        ("--environment", "staging", 0),
        ("--module", "*::sepa", 3),
        ("--text", "cut-off", 1),
        ("--since", "1h", 5),
        ("--until", "1h", 0),
    ] {
        let page = json(&["--db", db, "groups", filter, value, "--json"]);
        assert_eq!(keys(&page).len(), expected, "{filter} {value}: {page:#}");
    }

    // Pages of two follow each other: every group once, the cursor printed.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["--db", db, "groups", "--sort", "first-seen", "--limit", "2", "--json"];
        if let Some(cursor) = &after {
            args.extend(["--after", cursor.as_str()]);
        }
        let page = json(&args);
        seen.extend(keys(&page));
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (5, 5), "{seen:?}");
    let table = support::monitor(&["--db", db, "groups", "--limit", "2"]);
    assert!(String::from_utf8_lossy(&table.stderr).contains("more: add --after "), "the next cursor is printed");

    // The table: aligned columns under a header, one row per group.
    let table = ok(&["--db", db, "groups", "--function", "submit"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("KEY") && lines[0].contains("TEMPLATE"), "{table}");
    assert_eq!(lines.len(), 4, "{table}");
    let column = lines[0].find("STATUS").unwrap();
    assert!(lines[1..].iter().all(|line| line[column..].starts_with("open")), "aligned: {table}");

    // One group in detail, and its events.
    let key = keys(&json(&["--db", db, "groups", "--text", "cut-off", "--json"]))[0].clone();
    let shown = json(&["--db", db, "show", &key, "--json"]);
    assert_eq!(shown["group"]["key"], key.as_str());
    assert!(shown["group"]["template"].as_str().unwrap().contains("cut-off"), "{shown:#}");
    assert_eq!(shown["group"]["function"], "submit");
    assert_eq!(shown["history"], serde_json::json!([]));
    let frames = shown["backtrace"]["frames"].as_array().unwrap_or_else(|| panic!("no backtrace: {shown:#}"));
    assert!(frames[0].as_str().unwrap().contains("operations::sepa::submit at "), "{frames:#?}");
    let text = ok(&["--db", db, "show", &key]);
    assert!(text.contains("cut-off") && text.contains("no triage yet"), "{text}");
    assert!(
        text.contains("backtrace (event ") && text.contains("  groups::support::operations::sepa::submit at "),
        "{text}"
    );

    let events = json(&["--db", db, "events", &key, "--json"]);
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["group"], key.as_str());
    assert_eq!(events[0]["user"], "alice");
    assert_eq!(events[0]["tags"]["tenant"], "acme");
    assert!(events[0]["message"].as_str().unwrap().contains("cut-off"));
    assert_eq!(events[0]["backtrace"], shown["backtrace"]["frames"], "the group's one event is its first");
    let table = ok(&["--db", db, "events", &key]);
    assert!(table.lines().next().unwrap().starts_with("ID") && table.contains("cut-off"), "{table}");

    // Keys that are not keys, or of no group: one line, exit 2.
    assert!(fails(&["--db", db, "show", "not-a-key"], 2).contains("is not a group key"));
    assert!(fails(&["--db", db, "events", "00000000000000ff"], 2).contains("no group 00000000000000ff"));
    assert!(fails(&["--db", db, "groups", "--sort", "loudest"], 2).contains("unknown sort `loudest`"));
    assert!(fails(&["--db", db, "groups", "--after", "garbage"], 2).contains("not a cursor"));
}

#[test]
fn groups_show_and_events_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed_operations(db.to_str().unwrap());
    groups_show_and_events(db.to_str().unwrap());
}

#[test]
fn groups_show_and_events_on_postgres() {
    let schema = Schema::new("cli_groups");
    seed_operations(&schema.url());
    groups_show_and_events(&schema.url());
}
