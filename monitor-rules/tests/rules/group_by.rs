//! `group_by` labels are checked against what each kind of rule carries.

use monitor_rules::AlertConfig;

fn file(rules: &str) -> String {
    format!("[destinations]\nops = {{ console = true }}\n{rules}")
}

#[test]
fn each_kind_of_rule_accepts_its_own_labels() {
    let text = file(
        r#"
        [[rules]]
        name = "audit_by_process"
        when = "audit(status = failed) > 5 within 1h"
        notify = ["ops"]
        group_by = ["process", "status"]

        [[rules]]
        name = "errors_by_tag"
        when = "errors > 10 within 1h"
        notify = ["ops"]
        group_by = ["function", "tag.tenant"]

        [[rules]]
        name = "slow_by_module"
        when = "p95 > 2s over 15m"
        notify = ["ops"]
        group_by = ["module"]
        "#,
    );
    let config = AlertConfig::from_toml_str(&text).unwrap();
    assert_eq!(config.rules[0].group_by, ["process", "status"]);
}

#[test]
fn labels_a_rule_cannot_have_are_placed_and_named() {
    let text = file(
        r#"
[[rules]]
name = "audit_by_function"
when = "audit(status = failed) > 5 within 1h"
notify = ["ops"]
group_by = ["function"]

[[rules]]
name = "slow_by_tag"
when = "p95 > 2s over 15m"
notify = ["ops"]
group_by = ["tag.tenant"]

[[rules]]
name = "health"
when = "absent(heartbeat = \"health\") for 20m"
notify = ["ops"]
group_by = ["module"]
"#,
    );
    let errors = AlertConfig::from_toml_str(&text).unwrap_err();
    let shown: Vec<String> = errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect();
    assert_eq!(
        shown,
        [
            "8:13 unknown group_by label `function` for this kind of rule: expected `process`, `action`, `status`",
            "14:13 unknown group_by label `tag.tenant` for this kind of rule: expected `function`, `module`",
            "20:13 `group_by module`: this kind of rule has one alert only; remove `group_by`",
        ]
    );
}
