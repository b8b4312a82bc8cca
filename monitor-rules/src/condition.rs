//! The condition language, read from tokens: the same parser serves the
//! `alerts!` macro (compiler tokens) and rule files (tokens lexed from the
//! text of `when`).
//!
//! ```text
//! errors(severity >= error, module = "billing::*") > 10 within 1h
//! errors(module = "payments::*") > 100 within 5m across fleet
//! p95(function = "payments::*") > 2s over 15m
//! error_rate(function = "payments::*") > 5% over 15m
//! error_rate(function = "charge") > 20% over 5m with at least 50 calls
//! audit(process = "sepa_payment_processing", status = failed) > 5 within 1h
//! new_group(severity >= error)
//! regression
//! absent(heartbeat = "health") for 20m
//! memory > 512MiB every 15m
//! cpu > 90              (checked every 15 minutes when `every` is left out)
//! ```
//!
//! In filters, `*` matches any run of characters, `::` included. A
//! `function` pattern matches a call site's bare function name or its full
//! path `module::function`: `function = "payments::*"` selects every function
//! of module `payments` and its submodules, `function = "charge"` a function
//! called `charge` in any module (see [`Field::Function`](crate::Field::Function)).

mod filter;
mod threshold;
mod value;

use std::time::Duration;

use proc_macro2::{TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Token};

use crate::model::{Condition, DEFAULT_RESOURCE_CHECK};
use filter::{both, optional_filters};
use threshold::{count_threshold, cpu_threshold, latency_threshold, minimum_calls, rate_threshold};
use value::{keyword_duration, size};

const METRICS: &str = "errors, error_rate, p50/p95/p99 (latency), audit, new_group, regression, absent, memory, cpu";

/// Parses a condition; every mistake found is in the error, each at its token.
pub fn parse_condition(tokens: TokenStream) -> syn::Result<Condition> {
    let parser = |input: ParseStream<'_>| {
        let condition = condition(input)?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the condition"));
        }
        Ok(condition)
    };
    parser.parse2(tokens)
}

fn condition(input: ParseStream<'_>) -> syn::Result<Condition> {
    let metric: Ident = input.parse()?;
    let name = metric.to_string();
    match name.as_str() {
        "errors" => {
            let filters = optional_filters(input, Scope::Events)?;
            let window_span = span_after(input, "within");
            let rest = threshold_and_window(input, count_threshold, "within");
            let (filters, (above, window)) = both(filters, rest)?;
            if across_fleet(input)? {
                if window < FLEET_MINUTE {
                    return Err(syn::Error::new(
                        window_span,
                        "a fleet window is counted in whole minutes from the shared store: make it at least `1m`",
                    ));
                }
                return Ok(Condition::FleetErrors { filters, above, window });
            }
            Ok(Condition::Errors { filters, above, window })
        }
        "error_rate" => {
            let filters = optional_filters(input, Scope::Calls)?;
            let rest = threshold_and_window(input, rate_threshold, "over");
            let (filters, (above_percent, window)) = both(filters, rest)?;
            let min_calls = minimum_calls(input)?;
            Ok(Condition::ErrorRate { filters, above_percent, window, min_calls })
        }
        "audit" => {
            let filters = optional_filters(input, Scope::Audit)?;
            let rest = threshold_and_window(input, count_threshold, "within");
            let (filters, (above, window)) = both(filters, rest)?;
            Ok(Condition::Audit { filters, above, window })
        }
        "new_group" => Ok(Condition::NewGroup { filters: both(optional_filters(input, Scope::Events)?, Ok(()))?.0 }),
        "regression" => Ok(Condition::Regression { filters: both(optional_filters(input, Scope::Events)?, Ok(()))?.0 }),
        "absent" => {
            let content;
            syn::parenthesized!(content in input);
            let key: Ident = content.parse()?;
            if key != "heartbeat" {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown field `{key}` for `absent`: expected `heartbeat = \"name\"`"),
                ));
            }
            content.parse::<Token![=]>()?;
            let heartbeat: LitStr = content.parse()?;
            let period = keyword_duration(input, "for")?;
            Ok(Condition::Absent { heartbeat: heartbeat.value(), period })
        }
        "memory" => {
            input.parse::<Token![>]>()?;
            let above_bytes = size(input)?;
            let every = check_period(input)?;
            Ok(Condition::Memory { above_bytes, every })
        }
        "cpu" => {
            let above_percent = cpu_threshold(input)?;
            let every = check_period(input)?;
            Ok(Condition::Cpu { above_percent, every })
        }
        other if other.starts_with('p') && other[1..].chars().next().is_some_and(|c| c.is_ascii_digit()) => {
            let percentile = percentile(&metric);
            let filters = optional_filters(input, Scope::Calls)?;
            let rest = threshold_and_window(input, latency_threshold, "over");
            let (percentile, (filters, (above, window))) = together(percentile, both(filters, rest))?;
            Ok(Condition::Latency { percentile, filters, above, window })
        }
        _ => Err(syn::Error::new(metric.span(), format!("unknown metric `{name}`: expected one of {METRICS}"))),
    }
}

/// The shortest window of a fleet rule: the shared store counts per minute.
const FLEET_MINUTE: Duration = Duration::from_secs(60);

/// Where the token after the next `keyword` is (the window after
/// `within`), for a mistake found once the whole condition is read.
fn span_after(input: ParseStream<'_>, keyword: &str) -> proc_macro2::Span {
    let ahead = input.fork();
    while !ahead.is_empty() {
        let Ok(token) = ahead.parse::<TokenTree>() else { break };
        if matches!(&token, TokenTree::Ident(word) if word == keyword) {
            return ahead.parse::<TokenTree>().map_or(token.span(), |window| window.span());
        }
    }
    input.span()
}

/// `across fleet` after a window: the count is every instance's, from the
/// shared store.
fn across_fleet(input: ParseStream<'_>) -> syn::Result<bool> {
    if !input.fork().call(Ident::parse_any).is_ok_and(|word| word == "across") {
        return Ok(false);
    }
    input.call(Ident::parse_any)?;
    let what =
        input.call(Ident::parse_any).map_err(|e| syn::Error::new(e.span(), "expected `fleet` after `across`"))?;
    if what != "fleet" {
        return Err(syn::Error::new(what.span(), format!("expected `fleet` after `across`, found `{what}`")));
    }
    Ok(true)
}

/// A threshold and then `keyword window`. A wrong threshold does not stop the
/// window from being checked: both mistakes are reported.
fn threshold_and_window<T>(
    input: ParseStream<'_>,
    threshold: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
    keyword: &str,
) -> syn::Result<(T, Duration)> {
    let threshold = threshold(input);
    if threshold.is_err() {
        // Whatever is left of the threshold is skipped up to the keyword.
        while !input.is_empty() && !input.fork().call(Ident::parse_any).is_ok_and(|found| found == keyword) {
            input.parse::<TokenTree>()?;
        }
    }
    let window = keyword_duration(input, keyword);
    together(threshold, window)
}

/// Both values, or every mistake made in either.
fn together<A, B>(a: syn::Result<A>, b: syn::Result<B>) -> syn::Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut error), Err(more)) => {
            error.combine(more);
            Err(error)
        }
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => Err(error),
    }
}

/// `every 5m`, or the default health-check period when left out.
fn check_period(input: ParseStream<'_>) -> syn::Result<Duration> {
    if input.is_empty() { Ok(DEFAULT_RESOURCE_CHECK) } else { keyword_duration(input, "every") }
}

/// Which fields a condition's filters may test.
#[derive(Clone, Copy)]
enum Scope {
    Events,
    /// Latency and error-rate rules select calls by where they are.
    Calls,
    Audit,
}

fn percentile(metric: &Ident) -> syn::Result<f64> {
    let digits = metric.to_string()[1..].replace('_', ".");
    let value: f64 = digits.parse().map_err(|_| {
        syn::Error::new(metric.span(), format!("`{metric}` is not a percentile: write p50, p95, p99 or p99_9"))
    })?;
    if value <= 0.0 || value > 100.0 {
        return Err(syn::Error::new(metric.span(), format!("percentile {value} is outside (0, 100]")));
    }
    Ok(value)
}
