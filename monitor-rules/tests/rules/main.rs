//! The rule model, the condition language and the validator, through the
//! public API: what the `alerts!` macro and rule files both rely on.

mod conditions;
mod error_rates;
mod files;
mod fleet;
mod group_by;
mod intervals;
mod positions;
mod rate_limits;
mod secrets;
mod shapes;
mod templates;
mod thresholds;

use std::str::FromStr;

use monitor_rules::Condition;
use monitor_rules::macro_support::parse_condition;

/// The condition written as `text`, or every message of its mistakes.
fn parse(text: &str) -> Result<Condition, Vec<String>> {
    let tokens = proc_macro2::TokenStream::from_str(text).expect("the test condition lexes");
    parse_condition(tokens).map_err(|error| error.into_iter().map(|e| e.to_string()).collect())
}

/// The messages of the mistakes in `text`, which must not parse.
fn mistakes(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(condition) => panic!("`{text}` was accepted as {condition:?}"),
        Err(messages) => messages,
    }
}
