//! `#[derive(AuditEvent)]` and `#[derive(Audited)]`.

mod attr;
mod audited;
mod fields;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident};

use attr::Errors;
pub(crate) use audited::derive_audited;

const FIELD_KEYS: &[&str] = &["reference", "actor", "trace_id", "status", "mask", "skip", "redact", "rename"];

/// The derive's output after a mistake: the errors, and an impl whose body
/// never runs, so that code using the type does not fail a second time.
pub(crate) fn with_stub(error: syn::Error, input: &DeriveInput) -> TokenStream {
    let rt = crate::runtime_path();
    let error = error.into_compile_error();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #error
        #[automatically_derived]
        impl #impl_generics #rt::audit::AuditEvent for #ident #ty_generics #where_clause {
            fn audit_record(&self) -> #rt::audit::AuditRecord {
                ::core::unreachable!()
            }
        }
    }
}

pub(crate) fn derive_audit_event(input: &DeriveInput) -> syn::Result<TokenStream> {
    let rt = crate::runtime_path();
    let mut errors = Errors::default();
    let body = match &input.data {
        Data::Struct(data) => {
            let container = attr::container(&input.attrs, &["process", "action", "status"], &mut errors);
            let process = require_process(container.process.as_ref(), &input.ident, &mut errors);
            let action = container.action.map(|a| a.value()).unwrap_or_else(|| snake_case(&input.ident.to_string()));
            let status = container.status.unwrap_or_else(|| format_ident!("Compliant"));
            let (pattern, fills) = fields::bind_and_fill(&data.fields, quote!(Self), FIELD_KEYS, &mut errors);
            quote! {
                let #pattern = self;
                let mut __monitor_record = #rt::audit::AuditRecordBuilder::new(
                    #process, #action, #rt::audit::ComplianceStatus::#status);
                #fills
                __monitor_record.finish()
            }
        }
        Data::Enum(data) => {
            let container = attr::container(&input.attrs, &["process", "status"], &mut errors);
            let process = require_process(container.process.as_ref(), &input.ident, &mut errors);
            let default_status = container.status.unwrap_or_else(|| format_ident!("Compliant"));
            let mut seen_actions: Vec<String> = Vec::new();
            let arms: Vec<TokenStream> = data
                .variants
                .iter()
                .map(|variant| {
                    let own = attr::container(&variant.attrs, &["action", "status"], &mut errors);
                    let action = own.action.as_ref().map(|a| a.value()).unwrap_or_else(|| snake_case(&variant.ident.to_string()));
                    if seen_actions.contains(&action) {
                        let span = own.action.as_ref().map_or(variant.ident.span(), |a| a.span());
                        errors.spanned(span, format!("two variants record the action `{action}`: give each its own `#[audit(action = \"…\")]`"));
                    }
                    seen_actions.push(action.clone());
                    let status = own.status.unwrap_or_else(|| default_status.clone());
                    let ident = &variant.ident;
                    let (pattern, fills) = fields::bind_and_fill(&variant.fields, quote!(Self::#ident), FIELD_KEYS, &mut errors);
                    quote! {
                        #pattern => {
                            let mut __monitor_record = #rt::audit::AuditRecordBuilder::new(
                                #process, #action, #rt::audit::ComplianceStatus::#status);
                            #fills
                            __monitor_record.finish()
                        }
                    }
                })
                .collect();
            if arms.is_empty() {
                errors.spanned(input.ident.span(), "an audit event enum needs at least one variant (one per action)");
            }
            quote! {
                match self {
                    #(#arms)*
                }
            }
        }
        Data::Union(data) => {
            errors.spanned(data.union_token.span(), "#[derive(AuditEvent)] works on structs and enums, not on unions");
            quote!(::core::unreachable!())
        }
    };
    errors.finish()?;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #rt::audit::AuditEvent for #ident #ty_generics #where_clause {
            #[allow(unused_variables, clippy::needless_borrow)]
            fn audit_record(&self) -> #rt::audit::AuditRecord {
                #body
            }
        }
    })
}

fn require_process(process: Option<&syn::LitStr>, ident: &Ident, errors: &mut Errors) -> String {
    match process {
        Some(process) => process.value(),
        None => {
            errors.spanned(
                ident.span(),
                format!(
                    "`{ident}` needs `#[audit(process = \"…\")]`: every audit event names its business process, \
                     such as `sepa_mandate_creation`"
                ),
            );
            String::new()
        }
    }
}

/// `MandateCreated` → `mandate_created`.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `Fields::Named` → `{ a, b }` bindings; tuple → `__monitor_field_0`…
pub(crate) fn binding_names(fields: &Fields) -> Vec<Ident> {
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| field.ident.clone().unwrap_or_else(|| format_ident!("__monitor_field_{}", i)))
        .collect()
}
