//! Thresholds: what a condition compares against, each with the range it
//! allows. A value out of range is named as written (`-3`, `0s`) in the
//! message, at the value.

use std::time::Duration;

use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Ident, Token};

use super::value::{Number, number, signed_duration};

/// `> N` for counts: a whole number of at least 1.
pub(super) fn count_threshold(input: ParseStream<'_>) -> syn::Result<u64> {
    input.parse::<Token![>]>()?;
    let Number { value, text, span } = number(input)?;
    if value < 1.0 || value.fract() != 0.0 {
        return Err(syn::Error::new(
            span,
            format!(
                "threshold `{text}` must be a whole number of at least 1 (use `new_group` to alert on the first occurrence)"
            ),
        ));
    }
    Ok(value as u64)
}

/// `> 2s` for latencies: a duration greater than zero.
pub(super) fn latency_threshold(input: ParseStream<'_>) -> syn::Result<Duration> {
    input.parse::<Token![>]>()?;
    let (above, negative, text, span) = signed_duration(input)?;
    if negative || above.is_zero() {
        return Err(syn::Error::new(
            span,
            format!("threshold `{text}` must be a duration greater than zero, such as `500ms` or `2s`"),
        ));
    }
    Ok(above)
}

/// `> 5%` for error rates: a percentage of calls above 0 and at most 100,
/// written with its `%` so that `5` is never read as 5% or as 0.05.
pub(super) fn rate_threshold(input: ParseStream<'_>) -> syn::Result<f64> {
    input.parse::<Token![>]>()?;
    let Number { value, text, span } = number(input)?;
    if !input.peek(Token![%]) {
        return Err(syn::Error::new(
            span,
            format!("threshold `{text}` needs a `%`: an error rate is a percentage of calls, such as `5%`"),
        ));
    }
    let percent = input.parse::<Token![%]>()?;
    if !(value > 0.0 && value <= 100.0) {
        return Err(syn::Error::new(
            span.join(percent.span).unwrap_or(span),
            format!("threshold `{text}%` must be a percentage above 0% and at most 100%, such as `5%`"),
        ));
    }
    Ok(value)
}

/// `with at least N calls` after an error rate's window: the fewest calls
/// the window must hold for its rate to count, so that one failed call out
/// of one is not "100% of calls failed". 1 when left out.
pub(super) fn minimum_calls(input: ParseStream<'_>) -> syn::Result<u64> {
    const SHAPE: &str = "`with at least N calls`, such as `with at least 20 calls`";
    if input.is_empty() {
        return Ok(1);
    }
    for expected in ["with", "at", "least"] {
        word(input, expected, SHAPE)?;
    }
    let Number { value, text, span } = number(input)?;
    if value < 1.0 || value.fract() != 0.0 {
        return Err(syn::Error::new(span, format!("a minimum of `{text}` calls must be a whole number of at least 1")));
    }
    let unit = input.fork().call(Ident::parse_any).ok();
    word(input, if unit.is_some_and(|unit| unit == "call") { "call" } else { "calls" }, SHAPE)?;
    Ok(value as u64)
}

/// The word `expected`, or an error at what stands there instead.
fn word(input: ParseStream<'_>, expected: &str, shape: &str) -> syn::Result<()> {
    match input.call(Ident::parse_any) {
        Ok(found) if found == expected => Ok(()),
        Ok(found) => Err(syn::Error::new(found.span(), format!("expected {shape}; found `{found}`"))),
        Err(error) => Err(syn::Error::new(error.span(), format!("expected {shape}"))),
    }
}

/// `> 90` for CPU: a percentage of one core, above 0 and at most 64 cores.
pub(super) fn cpu_threshold(input: ParseStream<'_>) -> syn::Result<f64> {
    input.parse::<Token![>]>()?;
    let Number { value, text, span } = number(input)?;
    if !(value > 0.0 && value <= 100.0 * 64.0) {
        return Err(syn::Error::new(
            span,
            format!("CPU threshold `{text}` must be a percentage of one core, above 0 (such as `90`)"),
        ));
    }
    Ok(value)
}
