//! `group_wait`, `group_interval` and `repeat_interval`: zero is allowed
//! only for the wait, as in Alertmanager.

use std::time::Duration;

use monitor_rules::{AlertConfig, DEFAULT_GROUP_INTERVAL};

fn rule_with(timers: &str) -> String {
    format!(
        "[destinations]\nops = {{ console = true }}\n\n[[rules]]\nname = \"r\"\nwhen = \"new_group\"\nnotify = [\"ops\"]\n{timers}\n"
    )
}

#[test]
fn a_zero_group_wait_sends_at_the_first_look() {
    let config = AlertConfig::from_toml_str(&rule_with("group_wait = \"0s\"")).unwrap();
    assert_eq!(config.rules[0].group_wait, Duration::ZERO);
    assert_eq!(config.rules[0].group_interval, DEFAULT_GROUP_INTERVAL);
}

#[test]
fn zero_intervals_and_timers_over_a_week_are_listed_in_file_order() {
    let errors = AlertConfig::from_toml_str(&rule_with(
        "group_interval = \"0s\"\nrepeat_interval = \"0ms\"\ngroup_wait = \"8d\"",
    ))
    .unwrap_err();
    let listed: Vec<String> = errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect();
    assert_eq!(
        listed,
        [
            "8:18 group_interval must be longer than zero: it is the least time between two notifications of a group",
            "9:19 repeat_interval must be longer than zero: it is the least time between two notifications of a group",
            "10:14 group_wait is longer than 7 days: keep it to a week or less",
        ]
    );
}
