//! `#[derive(Audited)]`: a change-event type for a domain type's tracked
//! fields, and the method that lists the changes between two values.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput};

use super::attr::{self, Errors};
use super::fields::masked;

pub(crate) fn derive_audited(input: &DeriveInput) -> syn::Result<TokenStream> {
    let rt = crate::runtime_path();
    let mut errors = Errors::default();
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(input.ident.span(), "#[derive(Audited)] works on structs with named fields"));
    };
    let container = attr::container(&input.attrs, &["process", "reference"], &mut errors);
    let process = super::require_process(container.process.as_ref(), &input.ident, &mut errors);
    let reference_kind =
        container.reference.map(|r| r.value()).unwrap_or_else(|| super::snake_case(&input.ident.to_string()));
    let mut id = None;
    let mut comparisons = Vec::new();
    for field in &data.fields {
        let Some(name) = &field.ident else {
            errors.spanned(field.span(), "#[derive(Audited)] needs named fields");
            continue;
        };
        let attrs = attr::field(&field.attrs, &field.ty, &["id", "track", "mask", "redact"], &mut errors);
        if attrs.id {
            if id.is_some() {
                errors.spanned(name.span(), "a second `id`: the change events name one business object");
            }
            id = Some(name.clone());
        }
        if !attrs.track {
            if attrs.mask.is_some() || attrs.redact {
                errors.spanned(name.span(), "`mask` and `redact` apply to tracked fields: add `track`");
            }
            continue;
        }
        let field_name = name.to_string();
        let render = |value: TokenStream| match (&attrs.mask, attrs.redact) {
            (_, true) => quote!(::std::string::String::from("[REDACTED]")),
            (Some(mask), _) if attr::is_option(&field.ty) => {
                let inner = masked(mask, quote!(::core::convert::AsRef::<str>::as_ref(__monitor_value)));
                quote!(::std::format!("{:?}", #value.as_ref().map(|__monitor_value| #inner)))
            }
            (Some(mask), _) => masked(mask, quote!(::core::convert::AsRef::<str>::as_ref(&#value))),
            // A tracked field the type did not mark is redacted when its name says it is a
            // secret (`password_hash`, `api_token`), as the scrubber would redact it by name.
            (None, _) => quote!(if #rt::audit::is_sensitive_name(#field_name) {
                ::std::string::String::from("[REDACTED]")
            } else {
                ::std::format!("{:?}", &#value)
            }),
        };
        let old = render(quote!(self.#name));
        let new = render(quote!(new.#name));
        // Spanned on the field: a type without `PartialEq`/`Debug` is reported there
        // (naming the type makes that error "can't compare `T` with `T`").
        // `PartialEq::ne` rather than `!=`: any change is recorded, so a float
        // is compared exactly, and the user's `float_cmp` must not object.
        let ty = &field.ty;
        comparisons.push(quote_spanned! {field.ty.span() =>
            if <#ty as ::core::cmp::PartialEq>::ne(&self.#name, &new.#name) {
                changes.push(__MonitorChange { field: #field_name, old: #old, new: #new, id: __monitor_id() });
            }
        });
    }
    let Some(id) = id else {
        errors.spanned(
            input.ident.span(),
            "#[derive(Audited)] needs one field marked `#[audit(id)]`: the id of the business object",
        );
        return Err(errors.finish().err().unwrap_or_else(|| syn::Error::new(input.ident.span(), "no id")));
    };
    errors.finish()?;

    let ident = &input.ident;
    let vis = &input.vis;
    let change = format_ident!("{}Change", ident);
    let doc = format!("A change of a tracked field of [`{ident}`], as an audit event (made by `#[derive(Audited)]`).");
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq)]
        #vis struct #change {
            /// The id of the changed object.
            pub id: ::std::string::String,
            /// The field that changed.
            pub field: &'static str,
            /// Its value before (masked where marked).
            pub old: ::std::string::String,
            /// Its value after (masked where marked).
            pub new: ::std::string::String,
        }

        #[automatically_derived]
        impl #rt::audit::AuditEvent for #change {
            fn audit_record(&self) -> #rt::audit::AuditRecord {
                let mut record = #rt::audit::AuditRecordBuilder::new(
                    #process,
                    ::std::format!("{}_changed", self.field),
                    #rt::audit::ComplianceStatus::Compliant,
                );
                record.reference(#reference_kind, &self.id);
                record.detail("field", self.field);
                record.detail("old", &self.old);
                record.detail("new", &self.new);
                record.finish()
            }
        }

        #[automatically_derived]
        impl #impl_generics #ident #ty_generics #where_clause {
            /// The tracked fields that differ between `self` (before) and
            /// `new` (after), one change event each, in field order.
            #vis fn audit_changes(&self, new: &Self) -> ::std::vec::Vec<#change> {
                #[allow(non_camel_case_types)]
                type __MonitorChange = #change;
                // Rendered for each change rather than once and cloned: nothing
                // is formatted when nothing changed, and no clone is redundant.
                let __monitor_id = || ::std::string::ToString::to_string(&new.#id);
                let mut changes = ::std::vec::Vec::new();
                #(#comparisons)*
                changes
            }
        }
    })
}
