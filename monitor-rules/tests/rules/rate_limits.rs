//! A destination's own rate limit, `per_minute` in a file: a whole number
//! from 1 to `MAX_PER_MINUTE`, each mistake at its value.

use monitor_rules::{AlertConfig, MAX_PER_MINUTE};

/// A rule file with destination `ops_chat` written as `ops_chat` (the
/// table's contents) on line 2, and a rule that notifies it.
fn file_with(ops_chat: &str) -> String {
    format!(
        "[destinations]\nops_chat = {{ {ops_chat} }}\noncall = {{ email = [\"oncall@example.org\"] }}\n\n[[rules]]\n\
         name = \"r\"\nwhen = \"errors > 10 within 1h\"\nnotify = [\"ops_chat\", \"oncall\"]\n"
    )
}

/// `line:column message` of every error in the file with `ops_chat`.
fn listed(ops_chat: &str) -> Vec<String> {
    let errors = AlertConfig::from_toml_str(&file_with(ops_chat)).unwrap_err();
    errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect()
}

const SLACK: &str = r#"slack = "https://hooks.slack.com/services/T0/B0/X""#;

/// The column of a value written after `SLACK, per_minute = `.
const VALUE_COLUMN: usize = "ops_chat = { ".len() + SLACK.len() + ", per_minute = ".len() + 1;

#[test]
fn a_destination_may_set_its_own_limit_and_the_others_keep_the_default() {
    let config = AlertConfig::from_toml_str(&file_with(&format!("{SLACK}, per_minute = 30"))).unwrap();
    assert_eq!(config.destination("ops_chat").unwrap().per_minute, Some(30));
    assert_eq!(config.destination("oncall").unwrap().per_minute, None);
    // Before the kind, with an underscore, and at both ends of the range.
    for (written, limit) in [("per_minute = 1_000, ", 1_000), ("per_minute = 1, ", 1), ("per_minute = 10000, ", 10_000)]
    {
        let config = AlertConfig::from_toml_str(&file_with(&format!("{written}{SLACK}"))).unwrap();
        assert_eq!(config.destination("ops_chat").unwrap().per_minute, Some(limit), "{written}");
    }
    assert_eq!(MAX_PER_MINUTE, 10_000);
}

#[test]
fn a_limit_out_of_range_is_placed_at_its_value_and_says_how_to_fix_it() {
    let column = VALUE_COLUMN;
    assert_eq!(VALUE_COLUMN, 79);
    assert_eq!(
        listed(&format!("{SLACK}, per_minute = 0")),
        [format!(
            "2:{column} destination `ops_chat`: `0` per minute would never send: write at least 1 (or leave the \
             limit out for the router's default)"
        )]
    );
    assert_eq!(
        listed(&format!("{SLACK}, per_minute = 20000")),
        [format!(
            "2:{column} destination `ops_chat`: `20000` per minute is above the highest limit: write at most 10000"
        )]
    );
    assert_eq!(
        listed(&format!("{SLACK}, per_minute = -5")),
        [format!(
            "2:{column} destination `ops_chat`: `-5` per minute would never send: write at least 1 (or leave the \
             limit out for the router's default)"
        )]
    );
}

#[test]
fn a_limit_that_is_not_a_whole_number_is_refused() {
    let column = VALUE_COLUMN;
    assert_eq!(
        listed(&format!("{SLACK}, per_minute = 1.5")),
        [format!(
            "2:{column} destination `ops_chat`: `1.5` per minute is not a whole number: write a whole number of \
             notifications a minute, from 1 to 10000"
        )]
    );
    assert_eq!(
        listed(&format!("{SLACK}, per_minute = \"30\"")),
        [format!(
            "2:{column} `per_minute` of destination `ops_chat` must be a whole number, such as 30, found a string"
        )]
    );
}

#[test]
fn a_wrong_limit_is_listed_with_every_other_mistake() {
    let text = r#"[destinations]
ops_chat = { slack = "http://hooks.slack.com/services/T0/B0/X", per_minute = 0 }
pager = { per_minute = 5 }
mail = { email = ["oncall@example.org"], per_minut = 5 }

[[rules]]
name = "r"
when = "errors > 10 within 1h"
notify = ["ops_chat", "mail"]
"#;
    let errors = AlertConfig::from_toml_str(text).unwrap_err();
    let lines: Vec<String> = errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect();
    assert_eq!(
        lines,
        [
            "2:22 webhook URL `http://hooks.slack.com/services/***` uses `http`: use https (plain http is allowed \
             only to localhost)",
            "2:78 destination `ops_chat`: `0` per minute would never send: write at least 1 (or leave the limit \
             out for the router's default)",
            "3:9 destination `pager` needs one of slack, discord, teams, webhook, alertmanager, email or console",
            "4:42 unknown key `per_minut` in destination `mail`: expected one of slack, discord, teams, webhook, \
             alertmanager, email, console, per_minute, encoding, fields, auth, max_chars",
        ]
    );
}
