//! Rule files are checked by the same validator as `alerts!`, list every
//! mistake at once with line and column, and never panic.

use monitor_runtime::alerts::{AlertConfig, BodyEncoding, Condition, Target, WebhookAuth};
use proptest::prelude::*;

const GOOD: &str = r#"
[destinations]
ops_chat = { slack = "https://hooks.slack.com/services/T000/B000/XXXX" }
oncall = { email = ["oncall@example.org", "lead@example.org"] }
local = { webhook = "http://127.0.0.1:9000/hook" }
routing = { alertmanager = "https://alertmanager.example.org" }

[[rules]]
name = "too_many_errors"
when = "errors(severity >= error) > 10 within 1h"
severity = "critical"
notify = ["ops_chat", "oncall", "routing"]

[[rules]]
name = "slow_payments"
when = 'p95(function = "payments::*") > 2s over 15m'
severity = "warning"
notify = ["ops_chat"]
group_by = ["function"]

[[rules]]
name = "failing_payments"
when = 'error_rate(module = "billing", function = "payments::*") > 2.5% over 15m'
notify = ["ops_chat"]
group_by = ["function"]

[[rules]]
name = "resources"
when = "memory > 512MiB every 15m"
notify = ["local"]
group_interval = "10m"
repeat_interval = "1h"
"#;

#[test]
fn a_file_and_the_macro_give_the_same_configuration() {
    let from_file = AlertConfig::from_toml_str(GOOD).unwrap();
    let from_code = monitor_runtime::alerts! {
        destination ops_chat = slack("https://hooks.slack.com/services/T000/B000/XXXX");
        destination oncall = email("oncall@example.org", "lead@example.org");
        destination local = webhook("http://127.0.0.1:9000/hook");
        destination routing = alertmanager("https://alertmanager.example.org");
        rule too_many_errors { when errors(severity >= error) > 10 within 1h; severity critical; notify ops_chat, oncall, routing; }
        rule slow_payments { when p95(function = "payments::*") > 2s over 15m; severity warning; notify ops_chat; group_by function; }
        rule failing_payments { when error_rate(module = "billing", function = "payments::*") > 2.5% over 15m; notify ops_chat; group_by function; }
        rule resources { when memory > 512MiB every 15m; notify local; group_interval 10m; repeat_interval 1h; }
    };
    assert_eq!(from_file.rules, from_code.rules);
    assert_eq!(from_file.destinations.len(), from_code.destinations.len());
    assert_eq!(
        from_code.destination("routing").map(|d| &d.target),
        Some(&monitor_runtime::alerts::Target::Alertmanager("https://alertmanager.example.org".into()))
    );
    for destination in &from_code.destinations {
        assert_eq!(from_file.destination(&destination.name), Some(destination));
    }
    assert!(matches!(from_file.rules[2].condition, Condition::ErrorRate { above_percent, .. } if above_percent == 2.5));
    assert!(
        matches!(from_file.rules[3].condition, Condition::Memory { above_bytes, .. } if above_bytes == 512 * 1024 * 1024)
    );
}

#[test]
fn a_templated_webhook_from_a_file_and_from_the_macro_is_the_same() {
    let from_file = AlertConfig::from_toml_str(
        r#"
[destinations]
sms = { webhook = "https://sms.example.org/send", encoding = "form", fields = { To = "+31600000000", From = "monitor", Body = "{title}" }, auth = { bearer_env = "SMS_TOKEN" }, max_chars = { Body = 160 } }
pager = { webhook = "https://pager.example.org/v1/events", fields = { "dedup-key" = "{key}", text = "{severity}: {summary}" }, auth = { user_env = "PAGER_USER", password_env = "PAGER_PASSWORD" }, per_minute = 10 }

[[rules]]
name = "too_many_errors"
when = "errors > 10 within 1h"
notify = ["sms", "pager"]
"#,
    )
    .unwrap();
    let from_code = monitor_runtime::alerts! {
        destination sms = webhook(
            "https://sms.example.org/send",
            form,
            field To = "+31600000000",
            field From = "monitor",
            field Body = "{title}",
            auth = bearer("SMS_TOKEN"),
            max_chars Body = 160,
        );
        destination pager = webhook(
            "https://pager.example.org/v1/events",
            field "dedup-key" = "{key}",
            field text = "{severity}: {summary}",
            auth = basic("PAGER_USER", "PAGER_PASSWORD"),
        ) at most 10 per minute;
        rule too_many_errors { when errors > 10 within 1h; notify sms, pager; }
    };
    assert_eq!(from_file.destinations, from_code.destinations);
    let Target::TemplatedWebhook(sms) = &from_code.destination("sms").unwrap().target else {
        panic!("{:?}", from_code.destinations)
    };
    assert_eq!(sms.encoding, BodyEncoding::Form);
    assert_eq!(sms.field("Body").and_then(|f| f.max_chars), Some(160));
    assert_eq!(sms.auth, Some(WebhookAuth::Bearer { token_env: "SMS_TOKEN".into() }));
}

#[test]
fn every_mistake_is_listed_with_line_and_column() {
    let text = r#"[destinations]
hook = { webhook = "http://alerts.example.org/services/T0/SECRETTOKEN" }
routing = { alertmanager = "ftp://alertmanager.example.org" }
oncall = { email = ["oncall.example.org"] }

[[rules]]
name = "a"
when = "errors(sevrity >= error) > 0 within 30d"
severity = "severe"
notify = ["pager"]
repeat_interval = "1m"
"#;
    let errors = AlertConfig::from_toml_str(text).unwrap_err();
    let lines: Vec<String> = errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect();
    let expect = [
        ("2:20", "uses `http`"),
        ("3:28", "`ftp`"),
        ("4:21", "not a valid e-mail address"),
        ("8:16", "unknown filter field `sevrity`"),
        ("8:36", "at least 1"),
        ("8:45", "the window is longer than 7 days"),
        ("9:12", "unknown severity `severe`"),
        ("10:11", "unknown destination `pager`"),
        ("11:19", "shorter than group_interval"),
    ];
    for (position, message) in expect {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("{position} ")) && l.contains(message)),
            "missing {position} {message} in:\n{}",
            lines.join("\n")
        );
    }
    assert!(!errors.to_string().contains("SECRETTOKEN"), "webhook secrets stay out of errors: {errors}");
}

#[test]
fn schedules_from_a_file_match_the_macro_and_their_mistakes_are_placed() {
    let text = r#"[destinations]
ops = { console = true }

[schedules]
office = { days = "mon-fri", hours = "08:00-18:00", timezone = "Europe/Amsterdam" }

[[rules]]
name = "office_only"
when = "errors > 10 within 1h"
notify = ["ops"]
during = "office"
outside = "drop"
"#;
    let from_file = AlertConfig::from_toml_str(text).unwrap();
    let from_macro = monitor_runtime::alerts! {
        destination ops = console;
        schedule office { days "mon-fri"; hours "08:00-18:00"; timezone "Europe/Amsterdam"; }
        rule office_only { when errors > 10 within 1h; notify ops; during office; outside drop; }
    };
    assert_eq!(from_file, from_macro);
    assert_eq!(from_file.rules[0].outside_schedule, monitor_runtime::alerts::OutsideSchedule::Drop);

    let bad = r#"[destinations]
ops = { console = true }

[schedules]
office = { days = "mon-fry", hours = "8-18", timezone = "Europe/Amsterdm" }

[[rules]]
name = "a"
when = "errors > 10 within 1h"
notify = ["ops"]
during = "ofice"
outside = "later"
"#;
    let errors = AlertConfig::from_toml_str(bad).unwrap_err();
    let lines: Vec<String> = errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect();
    for (position, message) in [
        ("5:19", "unknown day `fry`"),
        ("5:38", "`8` is not a time of day: use HH:MM"),
        ("5:57", "unknown time zone `Europe/Amsterdm`"),
        ("11:10", "unknown schedule `ofice`: declared schedules are office"),
        ("12:11", "expected `hold` or `drop`"),
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("{position} ")) && l.contains(message)),
            "missing {position} {message} in:\n{}",
            lines.join("\n")
        );
    }
}

#[test]
fn a_toml_syntax_error_has_its_place_too() {
    let errors = AlertConfig::from_toml_str("[[rules]]\nname = \"x\"\nwhen = errors > 10\n").unwrap_err();
    assert_eq!((errors.0[0].line, errors.0[0].column), (3, 8), "{errors}");
    let unknown = AlertConfig::from_toml_str("[[rules]]\nname = \"x\"\nnotfy = [\"a\"]\n").unwrap_err();
    assert!(unknown.to_string().contains("notfy"), "{unknown}");
}

#[test]
fn a_missing_file_names_the_file() {
    let errors = AlertConfig::from_path("/nonexistent/alerts.toml").unwrap_err();
    assert!(errors.to_string().contains("/nonexistent/alerts.toml"), "{errors}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_gives_a_config_or_errors_never_a_panic(text in "(?s).{0,200}") {
        let _ = AlertConfig::from_toml_str(&text);
    }

    #[test]
    fn any_condition_gives_a_config_or_errors_never_a_panic(condition in "[a-z0-9_ ().,=<>!\"*:-]{0,60}") {
        let text = format!("[destinations]\nd = {{ console = true }}\n[[rules]]\nname = \"r\"\nnotify = [\"d\"]\nwhen = '{condition}'\n");
        let _ = AlertConfig::from_toml_str(&text);
    }
}

#[test]
fn summaries_from_a_file_match_the_macro_and_their_mistakes_are_placed() {
    let text = r#"[destinations]
ops = { console = true }
oncall = { email = ["oncall@example.org"] }

[summaries]
morning = { daily = "08:00", timezone = "Europe/Amsterdam", notify = ["ops"] }
review = { weekly = "fri 17:30", notify = ["ops", "oncall"] }
"#;
    let from_file = AlertConfig::from_toml_str(text).unwrap();
    let from_macro = monitor_runtime::alerts! {
        destination ops = console;
        destination oncall = email("oncall@example.org");
        summary morning { daily at "08:00"; timezone "Europe/Amsterdam"; notify ops; }
        summary review { weekly on "fri" at "17:30"; notify ops, oncall; }
    };
    assert_eq!(from_file, from_macro);
    let review = from_macro.summary("review").unwrap();
    assert_eq!(review.cadence, monitor_runtime::alerts::Cadence::Weekly { day: 4 });
    assert_eq!((review.at_minute, review.timezone.as_str()), (17 * 60 + 30, "UTC"));

    let bad = r#"[destinations]
ops = { console = true }
am = { alertmanager = "http://127.0.0.1:9093" }

[summaries]
a = { daily = "8am", timezone = "Europe/Amsterdm", notify = ["ops"] }
b = { weekly = "fryday 08:00", notify = ["opps"] }
c = { notify = ["am"] }
"#;
    let errors = AlertConfig::from_toml_str(bad).unwrap_err();
    let lines: Vec<String> = errors.0.iter().map(|e| format!("{}:{} {}", e.line, e.column, e.message)).collect();
    for (position, message) in [
        ("6:15", "summary `a`: `8am` is not a time of day: use HH:MM"),
        ("6:33", "unknown time zone `Europe/Amsterdm`"),
        ("7:16", "unknown day `fryday`"),
        ("7:42", "unknown destination `opps`: declared destinations are ops, am"),
        ("8:1", "summary `c`: it has no time: write `daily at \"08:00\"`"),
        ("8:17", "destination `am` is an Alertmanager, which takes alerts, not reports"),
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("{position} ")) && l.contains(message)),
            "missing {position} {message} in:\n{}",
            lines.join("\n")
        );
    }
}
