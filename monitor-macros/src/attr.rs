//! Parsing `#[monitor(…)]` options.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token};

mod kw {
    syn::custom_keyword!(severity);
    syn::custom_keyword!(slow);
    syn::custom_keyword!(name);
    syn::custom_keyword!(args);
}

/// The options of one `#[monitor(…)]`, checked.
#[derive(Default)]
pub(crate) struct Options {
    /// Variant name of `Severity` (`Error`, `Critical`, …).
    pub severity: Option<Ident>,
    pub slow_nanos: u64,
    pub name: Option<LitStr>,
    pub args: Vec<Ident>,
}

/// Collects every mistake instead of stopping at the first (serde's `Ctxt`).
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }
}

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = Options::default();
        let mut errors = Errors::default();
        let mut seen: Vec<String> = Vec::new();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            let key: Ident = if lookahead.peek(kw::severity)
                || lookahead.peek(kw::slow)
                || lookahead.peek(kw::name)
                || lookahead.peek(kw::args)
            {
                input.call(syn::ext::IdentExt::parse_any)?
            } else if input.peek(Ident) {
                let unknown: Ident = input.parse()?;
                return Err(syn::Error::new(
                    unknown.span(),
                    format!("unknown option `{unknown}`: expected `severity`, `slow`, `name` or `args`"),
                ));
            } else {
                return Err(lookahead.error());
            };
            let key_name = key.to_string();
            if seen.contains(&key_name) {
                errors.push(syn::Error::new(key.span(), format!("`{key_name}` is given twice")));
            }
            seen.push(key_name.clone());
            match key_name.as_str() {
                "severity" => {
                    input.parse::<Token![=]>()?;
                    match parse_severity(input) {
                        Ok(ident) => options.severity = Some(ident),
                        Err(error) => errors.push(error),
                    }
                }
                "slow" => {
                    input.parse::<Token![=]>()?;
                    let literal: LitStr = input.parse()?;
                    match parse_duration(&literal) {
                        Ok(nanos) => options.slow_nanos = nanos,
                        Err(error) => errors.push(error),
                    }
                }
                "name" => {
                    input.parse::<Token![=]>()?;
                    let literal: LitStr = input.parse()?;
                    if literal.value().trim().is_empty() {
                        errors.push(syn::Error::new(literal.span(), "`name` must not be empty"));
                    }
                    options.name = Some(literal);
                }
                _ => {
                    let content;
                    syn::parenthesized!(content in input);
                    let names =
                        Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, syn::ext::IdentExt::parse_any)?;
                    if names.is_empty() {
                        errors.push(syn::Error::new(key.span(), "`args(…)` needs at least one argument name"));
                    }
                    options.args.extend(names);
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        match errors.0 {
            Some(error) => Err(error),
            None => Ok(options),
        }
    }
}

fn parse_severity(input: ParseStream<'_>) -> syn::Result<Ident> {
    let (text, span) = if input.peek(LitStr) {
        let literal: LitStr = input.parse()?;
        (literal.value(), literal.span())
    } else {
        let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        (ident.to_string(), ident.span())
    };
    let severity: monitor_rules::Severity =
        text.to_ascii_lowercase().parse().map_err(|error: monitor_rules::UnknownSeverity| {
            syn::Error::new(span, error.to_string().replace(&text.to_ascii_lowercase(), &text))
        })?;
    Ok(Ident::new(&format!("{severity:?}"), span))
}

fn parse_duration(literal: &LitStr) -> syn::Result<u64> {
    let text = literal.value();
    let duration = monitor_rules::parse_duration(&text).map_err(|error| syn::Error::new(literal.span(), error))?;
    if duration.is_zero() {
        return Err(syn::Error::new(literal.span(), "`slow` must be longer than zero"));
    }
    u64::try_from(duration.as_nanos())
        .map_err(|_| syn::Error::new(literal.span(), "`slow` is too long: keep it under a few centuries"))
}
