//! `across fleet`: an error count over every instance of a shared store.

use std::time::Duration;

use monitor_rules::{Condition, Field};

use crate::{mistakes, parse};

#[test]
fn an_error_count_across_the_fleet_is_its_own_kind_of_condition() {
    let condition = parse("errors(module = \"payments::*\") > 100 within 5m across fleet").unwrap();
    let Condition::FleetErrors { filters, above, window } = condition else { panic!("{condition:?}") };
    assert_eq!((above, window), (100, Duration::from_secs(300)));
    assert_eq!(filters.len(), 1);
    assert_eq!(filters[0].field, Field::Module);
    assert!(matches!(parse("errors > 100 within 5m").unwrap(), Condition::Errors { .. }), "per process by default");
}

#[test]
fn a_fleet_window_shorter_than_a_minute_is_refused() {
    let messages = mistakes("errors > 5 within 30s across fleet");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("at least `1m`"), "{messages:?}");
}

#[test]
fn across_must_be_followed_by_fleet() {
    let messages = mistakes("errors > 5 within 5m across flet");
    assert!(messages[0].contains("expected `fleet` after `across`, found `flet`"), "{messages:?}");
    let messages = mistakes("errors > 5 within 5m across");
    assert!(messages[0].contains("expected `fleet` after `across`"), "{messages:?}");
    let messages = mistakes("audit(status = failed) > 5 within 5m across fleet");
    assert!(messages[0].contains("unexpected tokens"), "only error counts go across the fleet: {messages:?}");
}

#[test]
fn a_fleet_rule_from_a_file_is_checked_like_one_in_code_and_splits_by_what_the_store_keeps() {
    use monitor_rules::AlertConfig;
    let text = r#"
[destinations]
ops = { console = true }

[[rules]]
name = "sepa_fleet"
when = "errors(module = \"payments::sepa\") > 100 within 5m across fleet"
notify = ["ops"]
group_by = ["function"]

[[rules]]
name = "by_tenant"
when = "errors > 10 within 5m across fleet"
notify = ["ops"]
group_by = ["tag.tenant"]
"#;
    let errors = AlertConfig::from_toml_str(text).unwrap_err();
    let messages: Vec<String> = errors.0.iter().map(|e| e.message.clone()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("unknown group_by label `tag.tenant`"), "the store keeps no tags: {messages:?}");
    let config = AlertConfig::from_toml_str(&text.replace("\"tag.tenant\"", "\"module\"")).unwrap();
    assert!(matches!(config.rules[0].condition, Condition::FleetErrors { above: 100, .. }));
    assert_eq!(config.rules[0].group_by, ["function"]);
}
