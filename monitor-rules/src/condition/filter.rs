//! Filters, such as `(severity >= error, module = "billing::*")`.

use syn::parse::ParseStream;
use syn::{Ident, Lit, LitStr, Token};

use super::{Scope, together};
use crate::model::{Field, Filter, Op};
use crate::severity::Severity;

const EVENT_FIELDS: &str = "severity, module, function, group, kind, tag.<name>";
const AUDIT_FIELDS: &str = "process, action, status";
const CALL_FIELDS: &str = "module, function";

/// Filters parsed so far with the mistakes found in them, and the rest of
/// the condition: both are reported, so one typo does not hide another.
pub(super) fn both<T>(
    (filters, error): (Vec<Filter>, Option<syn::Error>),
    rest: syn::Result<T>,
) -> syn::Result<(Vec<Filter>, T)> {
    together(error.map_or(Ok(filters), Err), rest)
}

/// The parenthesised filters, if any. Mistakes in single filters are
/// returned beside the good ones; a broken structure is an error at once.
pub(super) fn optional_filters(input: ParseStream<'_>, scope: Scope) -> syn::Result<(Vec<Filter>, Option<syn::Error>)> {
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
        Field::Status if crate::vocabulary::ComplianceStatus::parse(&value).is_none() => {
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

pub(super) fn lit_text(lit: &Lit) -> String {
    match lit {
        Lit::Str(s) => s.value(),
        Lit::Int(int) => int.token().to_string(),
        Lit::Float(float) => float.token().to_string(),
        other => format!("{:?}", other.span()),
    }
}
