//! `monitor report`: what a scheduled summary says of a period, from a
//! store a real monitor wrote, as text and as `monitor.summary.v1` JSON.

mod support;

use support::{fails, json, ok, seed, seed_alerts};

#[test]
fn a_report_says_what_the_period_held_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let db = db.to_str().unwrap();
    seed_alerts(db);
    seed(db);

    let report = json(&["--db", db, "report", "--since", "1h", "--json"]);
    assert_eq!(report["schema"], "monitor.summary.v1");
    let occurrences: u64 = report["occurrences"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    let groups: u64 = report["top_groups"].as_array().unwrap().iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert!(occurrences >= groups && groups > 0, "{report:#}");
    assert!(report["new_groups"].as_u64().unwrap() >= 5, "{report:#}");
    let alerts = report["alerts"].as_array().unwrap();
    assert!(alerts.iter().any(|a| a["rule"] == "card_trouble" && a["incidents"] == 1), "{report:#}");
    let mandates = report["audit"].as_array().unwrap().iter().find(|p| p["process"] == "sepa_mandate_creation");
    let mandates = mandates.expect("the audit records");
    assert_eq!((mandates["records"].as_u64(), mandates["failed"].as_u64()), (Some(16), Some(4)));
    assert_eq!(mandates["compliant_percent"], 75.0);

    let text = ok(&["--db", db, "report"]);
    assert!(text.starts_with(&format!("Summary report: {occurrences} errors")), "{text}");
    assert!(text.contains("(1 d)"), "the default period: {text}");
    assert!(text.contains("\nTop groups\n- "), "{text}");
    assert!(text.contains("- sepa_mandate_creation: 16 records, 75.0% compliant, 4 failed"), "{text}");
    assert!(text.contains("- card_trouble: 1 incident, 0 acknowledged, 0 resolved"), "{text}");

    let past = ok(&["--db", db, "report", "--since", "3d", "--until", "2d"]);
    assert!(past.starts_with("Summary report: 0 errors\n") && past.contains("No errors."), "{past}");
    let refused = fails(&["--db", db, "report", "--since", "1h", "--until", "2h"], 2);
    assert!(refused.contains("the period is empty") && refused.contains("earlier --since"), "{refused}");
}
