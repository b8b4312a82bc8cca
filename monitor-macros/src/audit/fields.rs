//! Turning a struct's or variant's fields into builder calls.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Field, Fields};

use super::attr::{self, Errors, FieldAttrs, Mask};

/// The pattern that binds every field by reference, and the statements that
/// put each into `__monitor_record`.
pub(crate) fn bind_and_fill(
    fields: &Fields,
    path: TokenStream,
    allowed: &[&str],
    errors: &mut Errors,
) -> (TokenStream, TokenStream) {
    let names = super::binding_names(fields);
    let pattern = match fields {
        Fields::Named(_) => quote!(#path { #(#names),* }),
        Fields::Unnamed(_) => quote!(#path ( #(#names),* )),
        Fields::Unit => quote!(#path),
    };
    let mut reference_seen = false;
    let fills: Vec<TokenStream> = fields
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(index, (field, binding))| {
            let attrs = attr::field(&field.attrs, &field.ty, allowed, errors);
            if attrs.status && attrs.redact {
                // Every other role honours `redact`; a status is what the record is filed under.
                errors.spanned(
                    field.ident.as_ref().map_or(field.span(), |ident| ident.span()),
                    "`redact` cannot apply to the `status` field: the compliance status is stored as it is; \
                     remove `redact`, or record the value as a separate detail",
                );
            }
            if attrs.reference.is_some() {
                if reference_seen {
                    errors.spanned(
                        attrs.reference.as_ref().map_or(field.span(), |r| r.span()),
                        "a second `reference`: an audit event is about one business object; keep one and make the other a detail",
                    );
                }
                reference_seen = true;
            }
            let name = attrs
                .rename
                .as_ref()
                .map(|r| r.value())
                .or_else(|| field.ident.as_ref().map(ToString::to_string))
                .unwrap_or_else(|| index.to_string());
            fill(field, &attrs, binding, &name)
        })
        .collect();
    (pattern, quote!(#(#fills)*))
}

/// The masked text of a string field, given a `&str` expression.
pub(crate) fn masked(mask: &Mask, text: TokenStream) -> TokenStream {
    let rt = crate::runtime_path();
    match mask {
        Mask::Iban => quote!(#rt::audit::mask_iban(#text)),
        Mask::Card => quote!(#rt::audit::mask_card(#text)),
        Mask::Email => quote!(#rt::audit::mask_email(#text)),
        Mask::WithFn(function) => quote!(::std::string::ToString::to_string(&#function(#text))),
    }
}

/// A masked string field as a serializable value (`Option` stays `Option`).
pub(crate) fn masked_value(field: &Field, mask: &Mask, binding: &syn::Ident) -> TokenStream {
    if attr::is_option(&field.ty) {
        let inner = masked(mask, quote!(::core::convert::AsRef::<str>::as_ref(__monitor_value)));
        quote!(#binding.as_ref().map(|__monitor_value| #inner))
    } else {
        masked(mask, quote!(::core::convert::AsRef::<str>::as_ref(#binding)))
    }
}

fn fill(field: &Field, attrs: &FieldAttrs, binding: &syn::Ident, name: &str) -> TokenStream {
    // Spanned on the field, so a missing `Display`/`Serialize` points at it.
    let span = field.ty.span();
    if attrs.skip {
        return quote!();
    }
    // `mask` and `redact` hold for every role a field plays: a raw IBAN as the reference id
    // or a raw e-mail address as the actor is as much a leak as in a detail.
    let shown = match (&attrs.mask, attrs.redact) {
        (_, true) => quote!(&"[REDACTED]"),
        (Some(mask), false) => {
            let value = masked_value(field, mask, binding);
            quote!(&#value)
        }
        (None, false) => quote!(#binding),
    };
    if let Some(kind) = &attrs.reference {
        return quote_spanned!(span => __monitor_record.reference(#kind, #shown););
    }
    if attrs.actor {
        return quote_spanned!(span => __monitor_record.actor(#shown););
    }
    if attrs.trace_id {
        return quote_spanned!(span => __monitor_record.trace_id(#shown););
    }
    if attrs.status {
        return quote_spanned!(span => __monitor_record.status(::core::clone::Clone::clone(#binding)););
    }
    if attrs.redact {
        return quote!(__monitor_record.detail_text(#name, ::std::string::String::from("[REDACTED]")););
    }
    if let Some(mask) = &attrs.mask {
        let value = masked_value(field, mask, binding);
        return quote_spanned!(span => __monitor_record.detail(#name, &#value););
    }
    quote_spanned!(span => __monitor_record.detail(#name, #binding);)
}
