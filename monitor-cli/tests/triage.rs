//! Triage from the command line on both stores: one group by its key, or
//! every group filters select after a confirmation (`--yes` off a
//! terminal); each change leaves history and an audit record.

mod support;

use serde_json::Value;
use support::{Schema, fails, json, ok, seed_operations};

/// Each group's status and assignee, by template.
fn states(db: &str) -> Vec<(String, String, Option<String>)> {
    let page = json(&["--db", db, "groups", "--json"]);
    let mut states: Vec<_> = page["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            (
                group["template"].as_str().unwrap().to_owned(),
                group["status"].as_str().unwrap().to_owned(),
                group["assignee"].as_str().map(str::to_owned),
            )
        })
        .collect();
    states.sort();
    states
}

fn key_of(db: &str, text: &str) -> String {
    let page = json(&["--db", db, "groups", "--text", text, "--json"]);
    assert_eq!(page["groups"].as_array().unwrap().len(), 1, "{text}: {page:#}");
    page["groups"][0]["key"].as_str().unwrap().to_owned()
}

fn triage(db: &str) {
    let before = states(db);
    assert!(before.iter().all(|(_, status, assignee)| status == "open" && assignee.is_none()));

    // A bulk change off a terminal without --yes: refused, nothing changed.
    let stderr = fails(&["--db", db, "resolve", "--function", "charge", "--by", "alice"], 2);
    assert!(stderr.contains("2 groups match") && stderr.contains("--yes"), "{stderr}");
    assert_eq!(states(db), before, "nothing changed");
    // Without a key or a filter, a bulk change must say --all.
    assert!(fails(&["--db", db, "resolve", "--yes", "--by", "alice"], 2).contains("--all"));
    // A key and filters at once are refused.
    let key = key_of(db, "cut-off");
    assert!(fails(&["--db", db, "resolve", &key, "--function", "charge", "--by", "alice"], 2).contains("not both"));

    // With --yes: exactly the groups that match, and the count says so.
    let done =
        json(&["--db", db, "resolve", "--function", "charge", "--yes", "--by", "alice", "-m", "card fix", "--json"]);
    assert_eq!((done["matched"].as_u64(), done["changed"].as_u64()), (Some(2), Some(2)), "{done:#}");
    let after = states(db);
    for (template, status, _) in &after {
        let expected = if template.contains("card") || template.contains("gateway") { "resolved" } else { "open" };
        assert_eq!(status, expected, "{template}: {after:?}");
    }
    let again = ok(&["--db", db, "resolve", "--function", "charge", "--yes", "--by", "alice"]);
    assert!(again.contains("no group matches") || again.contains("0 groups"), "{again}");

    // One group by its key: investigate, assign, note, then reopen.
    ok(&["--db", db, "investigate", &key, "--by", "alice"]);
    ok(&["--db", db, "assign", &key, "--to", "bob", "--by", "alice"]);
    ok(&["--db", db, "note", &key, "-m", "the bank moved its cut-off", "--by", "carol"]);
    let unchanged = ok(&["--db", db, "investigate", &key, "--by", "alice"]);
    assert!(unchanged.contains("already investigating"), "{unchanged}");
    let shown = json(&["--db", db, "show", &key, "--json"]);
    assert_eq!(shown["group"]["status"], "investigating");
    assert_eq!(shown["group"]["assignee"], "bob");
    let history: Vec<(String, String, Value)> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (entry["by"].as_str().unwrap().to_owned(), entry["field"].as_str().unwrap().to_owned(), entry["to"].clone())
        })
        .collect();
    assert_eq!(
        history,
        [
            ("alice".to_owned(), "status".to_owned(), Value::from("investigating")),
            ("alice".to_owned(), "assignee".to_owned(), Value::from("bob")),
            ("carol".to_owned(), "note".to_owned(), Value::from("the bank moved its cut-off")),
        ]
    );
    let text = ok(&["--db", db, "show", &key]);
    assert!(text.contains("status: open -> investigating") && text.contains("note: the bank moved"), "{text}");

    // Bulk assignment of the open `submit` groups: the one investigated is
    // not open, so two change.
    let assigned = json(&[
        "--db",
        db,
        "assign",
        "--function",
        "submit",
        "--status",
        "open",
        "--to",
        "dora",
        "--yes",
        "--by",
        "alice",
        "--json",
    ]);
    assert_eq!(assigned["changed"], 2, "{assigned:#}");
    let by_assignee = json(&["--db", db, "groups", "--assignee", "dora", "--json"]);
    assert_eq!(by_assignee["groups"].as_array().unwrap().len(), 2);

    // Ignore and reopen by filters, then every group is open again.
    let ignored = json(&["--db", db, "ignore", "--assignee", "dora", "--yes", "--by", "alice", "--json"]);
    assert_eq!(ignored["changed"], 2);
    json(&["--db", db, "reopen", "--all", "--yes", "--by", "alice", "--json"]);
    assert!(states(db).iter().all(|(_, status, _)| status == "open"), "{:?}", states(db));

    // Every change is in the audit log, under the operator's name.
    let audit = json(&["--db", db, "audit", "list", "--process", "monitoring", "--actor", "carol", "--json"]);
    assert_eq!(audit["records"].as_array().unwrap().len(), 1, "{audit:#}");
    assert_eq!(audit["records"][0]["action"], "group.triage");

    // Mistakes: an unknown key, an empty note, nobody named.
    assert!(fails(&["--db", db, "resolve", "00000000000000ff", "--by", "alice"], 2).contains("no group"));
    assert!(fails(&["--db", db, "note", &key, "-m", " ", "--by", "alice"], 2).contains("note is empty"));
    let nobody = support::monitor_env(&["--db", db, "resolve", &key], &[("USER", None), ("USERNAME", None)]);
    assert_eq!(nobody.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("--by NAME"));
    // The actor defaults to USER.
    let by_user = support::monitor_env(&["--db", db, "resolve", &key], &[("USER", Some("erin"))]);
    assert!(by_user.status.success(), "{}", String::from_utf8_lossy(&by_user.stderr));
    let shown = json(&["--db", db, "show", &key, "--json"]);
    assert_eq!(shown["history"].as_array().unwrap().last().unwrap()["by"], "erin");
}

#[test]
fn triage_one_group_and_in_bulk_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    seed_operations(db.to_str().unwrap());
    triage(db.to_str().unwrap());
}

#[test]
fn triage_one_group_and_in_bulk_on_postgres() {
    let schema = Schema::new("cli_triage");
    seed_operations(&schema.url());
    triage(&schema.url());
}
