//! `monitor rules check`: a good file is counted and OK (exit 0); a file
//! with several mistakes gets each one as `file:line:column: message`
//! (exit 1), at the token that is wrong.

mod support;

use std::path::Path;

use support::{fails, json, ok};

const GOOD: &str = r#"
[destinations]
ops = { slack = "https://hooks.slack.com/services/T0/B0/secret" }
oncall = { email = ["oncall@example.org"] }

[[rules]]
name = "too_many_errors"
when = "errors(severity >= error) > 10 within 1h"
severity = "critical"
notify = ["ops", "oncall"]

[[rules]]
name = "new_kind_of_error"
when = "new_group(severity >= error)"
notify = ["ops"]

[[rules]]
name = "failed_collections"
when = 'audit(process = "sepa_payment_processing", status = failed) > 5 within 1h'
notify = ["oncall"]
"#;

const BAD: &str = r#"
[destinations]
ops = { slack = "https://hooks.slack.com/services/T0/B0/secret" }

[[rules]]
name = "too_many_errors"
when = "errors > 10 within 1h"
notify = ["opps"]

[[rules]]
name = "too_many_errors"
when = "errors > 10 within 1h"
notify = ["ops"]

[[rules]]
name = "slow_payments"
when = "errors > 10 within 1h"
severity = "loud"
notify = ["ops"]
"#;

/// The 1-based line and column where `needle` starts, after `after`.
fn position(text: &str, after: &str, needle: &str) -> (usize, usize) {
    let start = text.find(after).unwrap();
    let offset = start + text[start..].find(needle).unwrap();
    let before = &text[..offset];
    (before.matches('\n').count() + 1, before.rsplit('\n').next().unwrap().chars().count() + 1)
}

#[test]
fn a_good_rule_file_is_counted_and_ok() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("alerts.toml");
    std::fs::write(&good, GOOD).unwrap();
    let out = ok(&["rules", "check", good.to_str().unwrap()]);
    assert_eq!(out.trim(), format!("{}: 3 rules, 2 destinations: OK", good.display()));
    let report = json(&["rules", "check", good.to_str().unwrap(), "--json"]);
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["files"][0]["rules"],
        serde_json::json!(["too_many_errors", "new_kind_of_error", "failed_collections"])
    );
}

#[test]
fn every_mistake_of_every_file_is_reported_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, GOOD).unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, BAD).unwrap();
    let missing = dir.path().join("missing.toml");
    let bad_name = bad.to_str().unwrap();
    let stderr = fails(&["rules", "check", good.to_str().unwrap(), bad_name, missing.to_str().unwrap()], 1);
    let lines: Vec<&str> = stderr.lines().collect();

    let at = |after: &str, needle: &str| {
        let (line, column) = position(BAD, after, needle);
        format!("{bad_name}:{line}:{column}: ")
    };
    let expected = [
        (at("notify = [\"opps", "\"opps\""), "unknown destination `opps`"),
        (
            at(
                "[[rules]]\nname = \"too_many_errors\"\nwhen = \"errors > 10 within 1h\"\nnotify = [\"ops\"]",
                "\"too_many_errors\"",
            ),
            "too_many_errors",
        ),
        (at("severity = \"loud", "\"loud\""), "loud"),
    ];
    for (prefix, says) in &expected {
        assert!(
            lines.iter().any(|line| line.starts_with(prefix.as_str()) && line.contains(says)),
            "no `{prefix}…{says}` in:\n{stderr}"
        );
    }
    let in_bad = lines.iter().filter(|line| line.starts_with(bad_name)).count();
    assert_eq!(in_bad, expected.len(), "one line per mistake:\n{stderr}");
    assert!(
        lines.iter().any(|line| line.starts_with(&format!("{}:1:1: ", missing.display()))),
        "a file that cannot be read is a mistake at 1:1:\n{stderr}"
    );
    assert!(!stderr.contains("good.toml"), "{stderr}");

    let report = support::monitor(&["rules", "check", bad_name, "--json"]);
    assert_eq!(report.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["files"][0]["errors"].as_array().unwrap().len(), expected.len(), "{report:#}");
    assert!(report["files"][0]["errors"][0]["line"].as_u64().unwrap() > 1);
    assert!(Path::new(bad_name).exists());
}
