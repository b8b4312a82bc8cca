//! Thresholds out of range are named as written, at the whole value.

use std::str::FromStr;

use monitor_rules::macro_support::parse_condition;

use crate::mistakes;

/// The one mistake in `text`, and the columns its span covers.
fn mistake_at(text: &str) -> (String, usize, usize) {
    let error = parse_condition(proc_macro2::TokenStream::from_str(text).unwrap()).unwrap_err();
    assert_eq!(error.clone().into_iter().count(), 1, "{error}");
    (error.to_string(), error.span().start().column, error.span().end().column)
}

#[test]
fn a_zero_latency_threshold_is_refused_like_a_zero_count() {
    let (message, from, to) = mistake_at("p95 > 0s over 15m");
    assert_eq!(message, "threshold `0s` must be a duration greater than zero, such as `500ms` or `2s`");
    assert_eq!((from, to), (6, 8));
}

#[test]
fn a_negative_latency_threshold_is_named_with_its_sign() {
    let (message, from, to) = mistake_at("p95(function = \"pay\") > -2s over 15m");
    assert_eq!(message, "threshold `-2s` must be a duration greater than zero, such as `500ms` or `2s`");
    assert_eq!((from, to), (24, 27), "the minus sign and the duration");
}

#[test]
fn a_negative_count_threshold_covers_the_number_too() {
    let (message, from, to) = mistake_at("errors > -3 within 1h");
    assert!(message.starts_with("threshold `-3` must be a whole number of at least 1"), "{message}");
    assert_eq!((from, to), (9, 11));
}

#[test]
fn cpu_thresholds_name_the_value() {
    assert!(mistakes("cpu > -5")[0].contains("CPU threshold `-5`"));
    assert!(mistakes("cpu > 0")[0].contains("CPU threshold `0`"));
}
