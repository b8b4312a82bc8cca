//! `error_rate(…) > N% over W`: the share of calls that failed.

use std::str::FromStr;
use std::time::Duration;

use monitor_rules::macro_support::parse_condition;
use monitor_rules::{AlertConfig, Condition, Field, Filter, Op};

use crate::{mistakes, parse};

/// The one mistake in `text`, and the columns its span covers.
fn mistake_at(text: &str) -> (String, usize, usize) {
    let error = parse_condition(proc_macro2::TokenStream::from_str(text).unwrap()).unwrap_err();
    assert_eq!(error.clone().into_iter().count(), 1, "{error}");
    (error.to_string(), error.span().start().column, error.span().end().column)
}

#[test]
fn filters_percentage_and_window_are_read() {
    let condition = parse(r#"error_rate(module = "billing", function = "payments::*") > 2.5% over 15m"#).unwrap();
    let filters = vec![
        Filter { field: Field::Module, op: Op::Eq, value: "billing".to_owned() },
        Filter { field: Field::Function, op: Op::Eq, value: "payments::*".to_owned() },
    ];
    assert_eq!(
        condition,
        Condition::ErrorRate { filters, above_percent: 2.5, window: Duration::from_secs(900), min_calls: 1 }
    );
    let bare = parse("error_rate > 100% over 7d").unwrap();
    assert_eq!(
        bare,
        Condition::ErrorRate {
            filters: Vec::new(),
            above_percent: 100.0,
            window: Duration::from_secs(7 * 86_400),
            min_calls: 1
        }
    );
}

#[test]
fn a_minimum_of_calls_is_read_after_the_window() {
    let condition = parse(r#"error_rate(function = "charge") > 20% over 5m with at least 50 calls"#).unwrap();
    assert!(matches!(condition, Condition::ErrorRate { min_calls: 50, .. }), "{condition:?}");
    let one = parse("error_rate > 20% over 5m with at least 1 call").unwrap();
    assert!(matches!(one, Condition::ErrorRate { min_calls: 1, .. }), "{one:?}");
}

#[test]
fn a_bad_minimum_of_calls_is_named_at_its_token() {
    let (message, from, to) = mistake_at("error_rate > 5% over 15m with at least 0 calls");
    assert_eq!(message, "a minimum of `0` calls must be a whole number of at least 1");
    assert_eq!((from, to), (39, 40));
    let (message, ..) = mistake_at("error_rate > 5% over 15m with at least 2.5 calls");
    assert!(message.starts_with("a minimum of `2.5` calls"), "{message}");
    let (message, from, _) = mistake_at("error_rate > 5% over 15m with 20 calls");
    assert_eq!(message, "expected `with at least N calls`, such as `with at least 20 calls`");
    assert_eq!(from, 30, "at the number where `at` should be");
    let (message, from, _) = mistake_at("error_rate > 5% over 15m with at least 20 requests");
    assert!(message.ends_with("found `requests`"), "{message}");
    assert_eq!(from, 42);
    let (message, from, _) = mistake_at("error_rate > 5% over 15m and more");
    assert!(message.starts_with("expected `with at least N calls`"), "{message}");
    assert_eq!(from, 25);
}

#[test]
fn zero_and_more_than_a_hundred_percent_are_refused_at_the_value() {
    let (message, from, to) = mistake_at("error_rate > 0% over 15m");
    assert_eq!(message, "threshold `0%` must be a percentage above 0% and at most 100%, such as `5%`");
    assert_eq!((from, to), (13, 15), "the number and its `%`");
    let (message, from, to) = mistake_at("error_rate > 100.5% over 15m");
    assert!(message.starts_with("threshold `100.5%` must be"), "{message}");
    assert_eq!((from, to), (13, 19));
    let (message, from, _) = mistake_at("error_rate > -5% over 15m");
    assert!(message.starts_with("threshold `-5%` must be"), "{message}");
    assert_eq!(from, 13, "from the minus sign");
}

#[test]
fn a_missing_percent_sign_is_named_at_the_number() {
    let (message, from, to) = mistake_at("error_rate > 5 over 15m");
    assert_eq!(message, "threshold `5` needs a `%`: an error rate is a percentage of calls, such as `5%`");
    assert_eq!((from, to), (13, 14));
}

#[test]
fn a_wrong_percentage_does_not_hide_the_window_or_the_filters() {
    let messages = mistakes(r#"error_rate(severity >= error) > 5 over 30d"#);
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert_eq!(messages[0], "unknown filter field `severity`: expected one of module, function");
    assert!(messages[1].contains("needs a `%`"), "{messages:?}");
    assert!(messages[2].contains("longer than 7 days"), "{messages:?}");
}

#[test]
fn the_window_follows_the_latency_rules() {
    assert_eq!(mistakes("error_rate > 5% within 1h"), ["expected `over`, found `within`"]);
    assert!(mistakes("error_rate > 5% over 0s")[0].contains("the window is empty"));
    assert!(mistakes("error_rate > 5%")[0].contains("expected `over` and a duration"));
}

#[test]
fn an_unknown_metric_lists_error_rate() {
    assert!(mistakes("error_rates > 5% over 1m")[0].contains("expected one of errors, error_rate, "));
}

#[test]
fn a_rule_file_places_a_bad_percentage_and_accepts_a_good_one() {
    let file = |when: &str| {
        format!("[destinations]\nops = {{ console = true }}\n\n[[rules]]\nname = \"r\"\n{when}\nnotify = [\"ops\"]\n")
    };
    let errors =
        AlertConfig::from_toml_str(&file("when = 'error_rate(function = \"pay\") > 150% over 15m'")).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!((errors.0[0].line, errors.0[0].column), (6, 40), "{errors}");
    assert!(errors.0[0].message.contains("`150%`"), "{errors}");

    let config = AlertConfig::from_toml_str(&file("when = 'error_rate(function = \"pay\") > 5% over 15m'")).unwrap();
    assert!(matches!(config.rules[0].condition, Condition::ErrorRate { above_percent, .. } if above_percent == 5.0));

    let with_minimum = "when = 'error_rate(function = \"pay\") > 5% over 15m with at least 30 calls'";
    let config = AlertConfig::from_toml_str(&file(with_minimum)).unwrap();
    assert!(matches!(config.rules[0].condition, Condition::ErrorRate { min_calls: 30, .. }));
    let errors = AlertConfig::from_toml_str(&file(&with_minimum.replace("30", "-3"))).unwrap_err();
    assert_eq!((errors.0[0].line, errors.0[0].column), (6, 66), "{errors}");
    assert!(errors.0[0].message.starts_with("a minimum of `-3` calls"), "{errors}");
}
