//! Unknown keys and values of the wrong type are listed with every other
//! mistake in the file, each at its place.

use monitor_rules::AlertConfig;

/// `line:column message` of every error in `text`.
fn listed(text: &str) -> Vec<String> {
    let errors = AlertConfig::from_toml_str(text).unwrap_err();
    errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect()
}

#[test]
fn an_unknown_key_a_wrong_type_and_a_bad_condition_in_three_rules_are_all_listed() {
    let text = r#"[destinations]
ops = { console = true }

[[rules]]
name = "one"
when = "errors > 10 within 1h"
notfy = ["ops"]
notify = ["ops"]

[[rules]]
name = "two"
when = "errors > 10 within 1h"
severity = 3
notify = ["ops"]

[[rules]]
name = "three"
when = "errors(sevrity >= error) > 10 within 1h"
notify = ["ops"]
"#;
    let lines = listed(text);
    assert_eq!(
        lines,
        [
            "7:1 unknown key `notfy` in rule `one`: expected one of name, when, severity, notify, group_by, group_wait, \
             group_interval, repeat_interval, during, outside",
            "13:12 `severity` of rule `two` must be a string, found an integer",
            "18:16 unknown filter field `sevrity`: expected one of severity, module, function, group, kind, tag.<name>",
        ]
    );
}

#[test]
fn destinations_schedules_and_the_top_level_are_checked_too() {
    let text = r#"colour = "red"

[destinations]
ops = { slak = "https://hooks.slack.com/services/T0/B0/X" }
mail = { email = "oncall@example.org" }
bell = { console = "yes" }

[schedules]
office = { days = ["mon"], hour = "08:00-18:00" }

[[rules]]
name = "r"
when = "errors > 10 within 1h"
notify = ["mail"]
"#;
    let lines = listed(text);
    let expected = [
        "1:1 unknown key `colour` at the top of the file: expected one of destinations, rules, schedules, summaries",
        "4:9 unknown key `slak` in destination `ops`: expected one of slack, discord, teams, webhook, alertmanager, \
         email, console, per_minute, encoding, fields, auth, max_chars",
        "5:18 `email` of destination `mail` must be an array of strings (write [\"oncall@example.org\"]), found a string",
        "6:20 `console` of destination `bell` must be `true`, found a string",
        "9:19 `days` of schedule `office` must be a string, found an array",
        "9:28 unknown key `hour` in schedule `office`: expected one of days, hours, timezone",
    ];
    assert_eq!(lines, expected);
}

#[test]
fn a_rule_without_a_usable_name_or_condition_is_still_checked() {
    let text = r#"[destinations]
ops = { console = true }

[[rules]]
when = 10
notify = ["pager"]
"#;
    let lines = listed(text);
    assert_eq!(
        lines,
        [
            "4:1 rule 1 has no `name`",
            "5:8 `when` of rule `#1` must be a string, such as \"errors > 10 within 1h\", found an integer",
            "6:11 unknown destination `pager`: declared destinations are ops",
        ],
        "a condition of the wrong type is not reported missing as well"
    );
}

#[test]
fn rules_that_are_not_an_array_of_tables_say_how_to_write_them() {
    let lines = listed("[rules]\nname = \"r\"\n");
    assert_eq!(lines, ["1:1 `rules` must be an array of tables (write `[[rules]]`), found a table"]);
}
