//! `monitor alerts` and `monitor ack`: the incidents a rule fired through a
//! real monitor, listed, acknowledged with a comment, and listed again.

mod support;

use serde_json::Value;
use support::{fails, json, ok, seed_alerts};

fn ids_and_statuses(list: &Value) -> Vec<(i64, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_i64().unwrap(), a["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn incidents_are_listed_acknowledged_and_listed_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let db = db.to_str().unwrap();
    seed_alerts(db);

    let firing = json(&["--db", db, "alerts", "--json"]);
    let incidents = ids_and_statuses(&firing);
    assert!(!incidents.is_empty(), "the rules fired: {firing:#}");
    assert!(incidents.iter().all(|(_, status)| status == "active"), "{firing:#}");
    let rules: Vec<&str> = firing.as_array().unwrap().iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"card_trouble"), "{rules:?}");
    let table = ok(&["--db", db, "alerts"]);
    assert!(table.starts_with("ID") && table.contains("card_trouble"), "{table}");

    let card = firing.as_array().unwrap().iter().find(|a| a["rule"] == "card_trouble").unwrap();
    let id = card["id"].as_i64().unwrap().to_string();
    let acked = json(&["--db", db, "ack", &id, "--comment", "gateway is being replaced", "--by", "alice", "--json"]);
    assert_eq!(acked["changed"], true);
    assert_eq!(acked["alert"]["status"], "acknowledged");
    assert_eq!(acked["alert"]["acknowledged_by"], "alice");
    assert_eq!(acked["alert"]["ack_comment"], "gateway is being replaced");
    let again = ok(&["--db", db, "ack", &id, "--by", "bob"]);
    assert!(again.contains("already acknowledged by alice"), "{again}");

    // Still firing, so still listed by default; the status filter finds it.
    let firing = ids_and_statuses(&json(&["--db", db, "alerts", "--json"]));
    assert_eq!(firing.len(), incidents.len(), "an acknowledged incident is still firing");
    let acknowledged = ids_and_statuses(&json(&["--db", db, "alerts", "--status", "acknowledged", "--json"]));
    assert_eq!(acknowledged, [(id.parse().unwrap(), "acknowledged".to_owned())]);
    let active = ids_and_statuses(&json(&["--db", db, "alerts", "--status", "active", "--json"]));
    assert_eq!(active.len(), incidents.len() - 1);
    let history = ids_and_statuses(&json(&["--db", db, "alerts", "--history", "--json"]));
    assert_eq!(history.len(), incidents.len());
    let by_rule = ids_and_statuses(&json(&["--db", db, "alerts", "--history", "--rule", "card_trouble", "--json"]));
    assert_eq!(by_rule.len(), 1);
    let none = json(&["--db", db, "alerts", "--history", "--until", "1h", "--json"]);
    assert_eq!(none, serde_json::json!([]), "they all started within the hour");

    // The acknowledgement is audited under the operator's name.
    let audit = json(&["--db", db, "audit", "list", "--process", "monitoring", "--actor", "alice", "--json"]);
    assert_eq!(audit["records"].as_array().unwrap().len(), 1, "{audit:#}");

    assert!(fails(&["--db", db, "ack", "999999", "--by", "alice"], 2).contains("no incident 999999"));
    assert!(fails(&["--db", db, "alerts", "--status", "loud"], 2).contains("unknown alert status"));
}
