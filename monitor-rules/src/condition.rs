//! The condition language, read from tokens: the same parser serves the
//! `alerts!` macro (compiler tokens) and rule files (tokens lexed from the
//! text of `when`).
//!
//! ```text
//! errors(severity >= error, module = "billing::*") > 10 within 1h
//! p95(function = "payments::*") > 2s over 15m
//! audit(process = "sepa_payment_processing", status = failed) > 5 within 1h
//! new_group(severity >= error)
//! regression
//! absent(heartbeat = "health") for 20m
//! memory > 512MiB every 15m
//! cpu > 90              (checked every 15 minutes when `every` is left out)
//! ```

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Lit, LitStr, Token};

use crate::duration::parse_duration;
use crate::model::{Condition, DEFAULT_RESOURCE_CHECK, Field, Filter, MAX_WINDOW, Op};
use crate::severity::Severity;

const EVENT_FIELDS: &str = "severity, module, function, group, kind, tag.<name>";
const AUDIT_FIELDS: &str = "process, action, status";
const CALL_FIELDS: &str = "module, function";
const METRICS: &str = "errors, p50/p95/p99 (latency), audit, new_group, regression, absent, memory, cpu";
const COMPLIANCE: [&str; 4] = ["compliant", "exception", "failed", "pending_review"];

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
            let rest = count_threshold(input).and_then(|above| Ok((above, keyword_duration(input, "within")?)));
            let (filters, (above, window)) = both(filters, rest)?;
            Ok(Condition::Errors { filters, above, window })
        }
        "audit" => {
            let filters = optional_filters(input, Scope::Audit)?;
            let rest = count_threshold(input).and_then(|above| Ok((above, keyword_duration(input, "within")?)));
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
            input.parse::<Token![>]>()?;
            let (above_percent, span) = number(input)?;
            if !(above_percent > 0.0 && above_percent <= 100.0 * 64.0) {
                return Err(syn::Error::new(span, "a CPU threshold is a percentage of one core, above 0"));
            }
            let every = check_period(input)?;
            Ok(Condition::Cpu { above_percent, every })
        }
        other if other.starts_with('p') && other[1..].chars().next().is_some_and(|c| c.is_ascii_digit()) => {
            let percentile = percentile(&metric);
            let filters = optional_filters(input, Scope::Calls)?;
            let rest = input
                .parse::<Token![>]>()
                .and_then(|_| duration(input))
                .and_then(|above| Ok((above, keyword_duration(input, "over")?)));
            let (filters, (above, window)) = both(filters, rest)?;
            Ok(Condition::Latency { percentile: percentile?, filters, above, window })
        }
        _ => Err(syn::Error::new(metric.span(), format!("unknown metric `{name}`: expected one of {METRICS}"))),
    }
}

/// `every 5m`, or the default health-check period when left out.
fn check_period(input: ParseStream<'_>) -> syn::Result<Duration> {
    if input.is_empty() { Ok(DEFAULT_RESOURCE_CHECK) } else { keyword_duration(input, "every") }
}

#[derive(Clone, Copy)]
enum Scope {
    Events,
    /// Latency rules select calls by where they are.
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

/// Filters parsed so far with the mistakes found in them, and the rest of
/// the condition: both are reported, so one typo does not hide another.
fn both<T>(filters: (Vec<Filter>, Option<syn::Error>), rest: syn::Result<T>) -> syn::Result<(Vec<Filter>, T)> {
    match (filters, rest) {
        ((filters, None), Ok(rest)) => Ok((filters, rest)),
        ((_, Some(mut error)), Err(more)) => {
            error.combine(more);
            Err(error)
        }
        ((_, Some(error)), Ok(_)) | ((_, None), Err(error)) => Err(error),
    }
}

/// The parenthesised filters, if any. Mistakes in single filters are
/// returned beside the good ones; a broken structure is an error at once.
fn optional_filters(input: ParseStream<'_>, scope: Scope) -> syn::Result<(Vec<Filter>, Option<syn::Error>)> {
    if !input.peek(syn::token::Paren) {
        return Ok((Vec::new(), None));
    }
    let content;
    syn::parenthesized!(content in input);
    let mut filters = Vec::new();
    let mut errors: Option<syn::Error> = None;
    while !content.is_empty() {
        match filter(&content, scope) {
            Ok(filter) => filters.push(filter),
            Err(error) => {
                match &mut errors {
                    Some(all) => all.combine(error),
                    None => errors = Some(error),
                }
                // Skip the rest of this filter, so the next one is still checked.
                while !content.is_empty() && !content.peek(Token![,]) {
                    content.parse::<proc_macro2::TokenTree>()?;
                }
            }
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok((filters, errors))
}

fn filter(input: ParseStream<'_>, scope: Scope) -> syn::Result<Filter> {
    let name: Ident = input.call(syn::ext::IdentExt::parse_any)?;
    let field = if name == "tag" && input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        let tag: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        Field::Tag(tag.to_string())
    } else {
        field(&name, scope)?
    };
    let op = op(input)?;
    let (value, span) = if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        (lit.value(), lit.span())
    } else if input.peek(Ident) {
        let ident: Ident = input.parse()?;
        (ident.to_string(), ident.span())
    } else {
        let lit: Lit = input.parse()?;
        (lit_text(&lit), lit.span())
    };
    match &field {
        Field::Severity if value.parse::<Severity>().is_err() => {
            return Err(syn::Error::new(
                span,
                format!("unknown severity `{value}`: expected debug, info, warning, error, critical or fatal"),
            ));
        }
        Field::Status if !COMPLIANCE.contains(&value.as_str()) => {
            return Err(syn::Error::new(
                span,
                format!("unknown compliance status `{value}`: expected compliant, exception, failed or pending_review"),
            ));
        }
        _ => {}
    }
    Ok(Filter { field, op, value })
}

fn field(name: &Ident, scope: Scope) -> syn::Result<Field> {
    let field = match (scope, name.to_string().as_str()) {
        (Scope::Events, "severity") => Field::Severity,
        (Scope::Events | Scope::Calls, "module") => Field::Module,
        (Scope::Events | Scope::Calls, "function") => Field::Function,
        (Scope::Events, "group") => Field::Group,
        (Scope::Events, "kind") => Field::Kind,
        (Scope::Audit, "process") => Field::Process,
        (Scope::Audit, "action") => Field::Action,
        (Scope::Audit, "status") => Field::Status,
        (scope, other) => {
            let expected = match scope {
                Scope::Events => EVENT_FIELDS,
                Scope::Audit => AUDIT_FIELDS,
                Scope::Calls => CALL_FIELDS,
            };
            return Err(syn::Error::new(
                name.span(),
                format!("unknown filter field `{other}`: expected one of {expected}"),
            ));
        }
    };
    Ok(field)
}

fn op(input: ParseStream<'_>) -> syn::Result<Op> {
    if input.peek(Token![!=]) {
        input.parse::<Token![!=]>()?;
        Ok(Op::Ne)
    } else if input.peek(Token![>=]) {
        input.parse::<Token![>=]>()?;
        Ok(Op::Ge)
    } else if input.peek(Token![<=]) {
        input.parse::<Token![<=]>()?;
        Ok(Op::Le)
    } else if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        Ok(Op::Eq)
    } else if input.peek(Token![>]) {
        input.parse::<Token![>]>()?;
        Ok(Op::Gt)
    } else if input.peek(Token![<]) {
        input.parse::<Token![<]>()?;
        Ok(Op::Lt)
    } else {
        Err(input.error("expected a comparison: =, !=, >=, >, <= or <"))
    }
}

fn lit_text(lit: &Lit) -> String {
    match lit {
        Lit::Str(s) => s.value(),
        Lit::Int(int) => int.token().to_string(),
        Lit::Float(float) => float.token().to_string(),
        other => format!("{:?}", other.span()),
    }
}

/// `> N` for counts: a whole number of at least 1.
fn count_threshold(input: ParseStream<'_>) -> syn::Result<u64> {
    input.parse::<Token![>]>()?;
    let (value, span) = number(input)?;
    if value < 1.0 || value.fract() != 0.0 {
        return Err(syn::Error::new(
            span,
            format!(
                "threshold `{value}` must be a whole number of at least 1 (use `new_group` to alert on the first occurrence)"
            ),
        ));
    }
    Ok(value as u64)
}

/// A plain number; a minus sign is reported as a negative threshold.
fn number(input: ParseStream<'_>) -> syn::Result<(f64, Span)> {
    if input.peek(Token![-]) {
        let minus: Token![-] = input.parse()?;
        let _: Lit = input.parse()?;
        return Err(syn::Error::new(minus.span, "a threshold cannot be negative"));
    }
    let lit: Lit = input.parse()?;
    let value = match &lit {
        Lit::Int(int) if int.suffix().is_empty() => int.base10_parse::<f64>()?,
        Lit::Float(float) if float.suffix().is_empty() => float.base10_parse::<f64>()?,
        _ => return Err(syn::Error::new(lit.span(), "expected a number")),
    };
    Ok((value, lit.span()))
}

/// `keyword duration`, such as `within 1h`: the duration must be a window.
fn keyword_duration(input: ParseStream<'_>, keyword: &str) -> syn::Result<Duration> {
    let found: Ident = input
        .call(syn::ext::IdentExt::parse_any)
        .map_err(|e| syn::Error::new(e.span(), format!("expected `{keyword}` and a duration")))?;
    if found != keyword {
        return Err(syn::Error::new(found.span(), format!("expected `{keyword}`, found `{found}`")));
    }
    let span = input.span();
    let window = duration(input)?;
    if window.is_zero() {
        return Err(syn::Error::new(span, "the window is empty: give it a length, such as `15m`"));
    }
    if window > MAX_WINDOW {
        return Err(syn::Error::new(span, "the window is longer than 7 days: keep windows to a week or less"));
    }
    Ok(window)
}

/// A duration: `15m`, `1h30m` (literals with a unit) or `"15m"`.
pub(crate) fn duration(input: ParseStream<'_>) -> syn::Result<Duration> {
    let lit: Lit = input.parse()?;
    let text = match &lit {
        Lit::Str(s) => s.value(),
        Lit::Int(_) | Lit::Float(_) => lit_text(&lit),
        _ => return Err(syn::Error::new(lit.span(), "expected a duration, such as `15m`")),
    };
    parse_duration(&text).map_err(|message| syn::Error::new(lit.span(), message))
}

/// A size: `512MiB`, `2GB`, `1048576`.
fn size(input: ParseStream<'_>) -> syn::Result<u64> {
    let lit: syn::LitInt = input.parse()?;
    let value: u64 = lit.base10_parse()?;
    let unit: u64 = match lit.suffix() {
        "" | "B" => 1,
        "KB" => 1000,
        "KiB" => 1024,
        "MB" => 1000 * 1000,
        "MiB" => 1024 * 1024,
        "GB" => 1000 * 1000 * 1000,
        "GiB" => 1024 * 1024 * 1024,
        other => {
            return Err(syn::Error::new(
                lit.span(),
                format!("unknown size unit `{other}`: use B, KB, KiB, MB, MiB, GB or GiB"),
            ));
        }
    };
    if value == 0 {
        return Err(syn::Error::new(lit.span(), "a memory threshold must be above zero"));
    }
    value.checked_mul(unit).ok_or_else(|| syn::Error::new(lit.span(), "that size does not fit in 64 bits"))
}
