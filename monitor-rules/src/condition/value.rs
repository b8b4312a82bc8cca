//! Thresholds, windows, durations and sizes.

use std::time::Duration;

use proc_macro2::Span;
use syn::parse::ParseStream;
use syn::{Ident, Lit, Token};

use super::filter::lit_text;
use crate::duration::parse_duration;
use crate::model::MAX_WINDOW;

/// `> N` for counts: a whole number of at least 1.
pub(super) fn count_threshold(input: ParseStream<'_>) -> syn::Result<u64> {
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
pub(super) fn number(input: ParseStream<'_>) -> syn::Result<(f64, Span)> {
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
pub(super) fn keyword_duration(input: ParseStream<'_>, keyword: &str) -> syn::Result<Duration> {
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
pub(super) fn duration(input: ParseStream<'_>) -> syn::Result<Duration> {
    let lit: Lit = input.parse()?;
    let text = match &lit {
        Lit::Str(s) => s.value(),
        Lit::Int(_) | Lit::Float(_) => lit_text(&lit),
        _ => return Err(syn::Error::new(lit.span(), "expected a duration, such as `15m`")),
    };
    parse_duration(&text).map_err(|message| syn::Error::new(lit.span(), message))
}

/// A size: `512MiB`, `2GB`, `1048576`.
pub(super) fn size(input: ParseStream<'_>) -> syn::Result<u64> {
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
