//! Parsing `#[audit(…)]` on containers, variants and fields, collecting
//! every mistake with a span on the offending token.

use monitor_rules::vocabulary::ComplianceStatus;
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, LitStr, Path, Type};

/// Every mistake found, reported together (serde's `Ctxt`).
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn spanned(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// `process`, `action`, `status` (and for `Audited`, `reference`) on a
/// type or a variant.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub process: Option<LitStr>,
    pub action: Option<LitStr>,
    /// `ComplianceStatus` variant.
    pub status: Option<Ident>,
    pub reference: Option<LitStr>,
}

pub(crate) enum Mask {
    Iban,
    Card,
    Email,
    WithFn(Path),
}

/// What a field is to the audit record.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub reference: Option<LitStr>,
    pub actor: bool,
    pub trace_id: bool,
    pub status: bool,
    pub mask: Option<Mask>,
    pub skip: bool,
    pub redact: bool,
    pub rename: Option<LitStr>,
    /// `Audited`: the id of the business object.
    pub id: bool,
    /// `Audited`: changes of this field are recorded.
    pub track: bool,
}

fn is_audit(attr: &Attribute) -> bool {
    attr.path().is_ident("audit")
}

fn lit_str(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

fn key_name(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.get_ident().map(ToString::to_string).unwrap_or_else(|| "?".to_owned())
}

fn status_variant(meta: &ParseNestedMeta<'_>) -> syn::Result<Ident> {
    let value = meta.value()?;
    let (text, span) = if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        (lit.value(), lit.span())
    } else {
        let ident: Ident = value.parse()?;
        (ident.to_string(), ident.span())
    };
    // The variant is the status's own name in the runtime's type.
    ComplianceStatus::parse(&text).map(|status| Ident::new(&format!("{status:?}"), span)).ok_or_else(|| {
        syn::Error::new(
            span,
            format!("unknown compliance status `{text}`: expected compliant, exception, failed or pending_review"),
        )
    })
}

/// Parses the container (or variant) attributes. `allowed` names the keys
/// this position accepts.
pub(crate) fn container(attrs: &[Attribute], allowed: &[&str], errors: &mut Errors) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for attr in attrs.iter().filter(|a| is_audit(a)) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_name(&meta);
            if !allowed.contains(&key.as_str()) {
                return Err(
                    meta.error(format!("unknown audit attribute `{key}` here: expected {}", allowed.join(", ")))
                );
            }
            match key.as_str() {
                "process" => out.process = Some(lit_str(&meta)?),
                "action" => out.action = Some(lit_str(&meta)?),
                "reference" => out.reference = Some(lit_str(&meta)?),
                _ => out.status = Some(status_variant(&meta)?),
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    if let Some(process) = &out.process
        && !valid_name(&process.value())
    {
        errors.spanned(process.span(), "`process` must be a non-empty name of letters, digits, `_`, `-` or `.`");
    }
    if let Some(action) = &out.action
        && !valid_name(&action.value())
    {
        errors.spanned(action.span(), "`action` must be a non-empty name of letters, digits, `_`, `-` or `.`");
    }
    out
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Parses a field's attributes and checks them against its type.
pub(crate) fn field(attrs: &[Attribute], ty: &Type, allowed: &[&str], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| is_audit(a)) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_name(&meta);
            if !allowed.contains(&key.as_str()) {
                return Err(
                    meta.error(format!("unknown audit attribute `{key}` on a field: expected {}", allowed.join(", ")))
                );
            }
            match key.as_str() {
                "reference" => out.reference = Some(lit_str(&meta)?),
                "actor" => out.actor = true,
                "trace_id" => out.trace_id = true,
                "status" => out.status = true,
                "skip" => out.skip = true,
                "redact" => out.redact = true,
                "id" => out.id = true,
                "track" => out.track = true,
                "rename" => out.rename = Some(lit_str(&meta)?),
                _ => out.mask = Some(parse_mask(&meta)?),
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    if out.mask.is_some() && !is_string_like(ty) {
        errors.spanned(
            ty.span(),
            "`mask` needs a string field (String, &str, Cow<str>, Box<str>, Arc<str>, or an Option of one); \
             format the value into a String first, or use `redact`",
        );
    }
    out
}

fn parse_mask(meta: &ParseNestedMeta<'_>) -> syn::Result<Mask> {
    let value = meta.value()?;
    let kind: Ident = value.parse()?;
    match kind.to_string().as_str() {
        "iban" => Ok(Mask::Iban),
        "card" => Ok(Mask::Card),
        "email" => Ok(Mask::Email),
        "with_fn" => {
            let content;
            syn::parenthesized!(content in value);
            Ok(Mask::WithFn(content.parse()?))
        }
        other => Err(syn::Error::new(
            kind.span(),
            format!("unknown mask `{other}`: expected iban, card, email or with_fn(path::to::function)"),
        )),
    }
}

/// Whether the type is text, or an `Option` of text.
pub(crate) fn is_string_like(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => is_string_like(&reference.elem),
        Type::Path(path) => {
            let Some(last) = path.path.segments.last() else { return false };
            match last.ident.to_string().as_str() {
                "String" | "str" => true,
                "Cow" | "Box" | "Arc" | "Rc" | "Option" => inner_type(last).is_some_and(is_string_like),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether the type is an `Option<…>`.
pub(crate) fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

fn inner_type(segment: &syn::PathSegment) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else { return None };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}
