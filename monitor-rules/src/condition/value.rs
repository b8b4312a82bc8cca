//! Numbers, windows, durations and sizes as written in conditions.

use std::time::Duration;

use proc_macro2::Span;
use syn::parse::ParseStream;
use syn::{Ident, Lit, Token};

use super::filter::lit_text;
use crate::duration::parse_duration;
use crate::model::MAX_WINDOW;

/// A number as written, such as `10`, `2.5` or `-3`.
pub(super) struct Number {
    /// Its value, negative after a minus sign.
    pub(super) value: f64,
    /// Its text, for messages.
    pub(super) text: String,
    /// The minus sign and the number together where spans can be joined
    /// (rule files); a macro on a stable compiler cannot join spans, so
    /// there it is the minus sign alone.
    pub(super) span: Span,
}

/// A plain number, with its sign: callers say which values they allow.
pub(super) fn number(input: ParseStream<'_>) -> syn::Result<Number> {
    let minus = sign(input)?;
    let lit: Lit = input.parse().map_err(|e| syn::Error::new(e.span(), "expected a number"))?;
    let value = match &lit {
        Lit::Int(int) if int.suffix().is_empty() => int.base10_parse::<f64>()?,
        Lit::Float(float) if float.suffix().is_empty() => float.base10_parse::<f64>()?,
        _ => return Err(syn::Error::new(lit.span(), "expected a number")),
    };
    let (text, span) = signed(minus, &lit_text(&lit), lit.span());
    Ok(Number { value: if minus.is_some() { -value } else { value }, text, span })
}

/// A duration with its sign: `2s`, `-2s`; its text and span as for [`Number`].
pub(super) fn signed_duration(input: ParseStream<'_>) -> syn::Result<(Duration, bool, String, Span)> {
    let minus = sign(input)?;
    let (value, text, span) = duration_lit(input)?;
    let (text, span) = signed(minus, &text, span);
    Ok((value, minus.is_some(), text, span))
}

fn sign(input: ParseStream<'_>) -> syn::Result<Option<Span>> {
    Ok(if input.peek(Token![-]) { Some(input.parse::<Token![-]>()?.span) } else { None })
}

fn signed(minus: Option<Span>, text: &str, span: Span) -> (String, Span) {
    match minus {
        Some(minus) => (format!("-{text}"), minus.join(span).unwrap_or(minus)),
        None => (text.to_owned(), span),
    }
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
    duration_lit(input).map(|(duration, _, _)| duration)
}

/// A duration with its text and span.
fn duration_lit(input: ParseStream<'_>) -> syn::Result<(Duration, String, Span)> {
    let lit: Lit = input.parse().map_err(|e| syn::Error::new(e.span(), "expected a duration, such as `15m`"))?;
    let text = match &lit {
        Lit::Str(s) => s.value(),
        Lit::Int(_) | Lit::Float(_) => lit_text(&lit),
        _ => return Err(syn::Error::new(lit.span(), "expected a duration, such as `15m`")),
    };
    let duration = parse_duration(&text).map_err(|message| syn::Error::new(lit.span(), message))?;
    Ok((duration, text, lit.span()))
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
