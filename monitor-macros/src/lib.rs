//! Procedural macros of `monitor-runtime`. An implementation detail: depend
//! on `monitor-runtime`, which re-exports them, and never on this crate.

// Library code reports failures; it never unwraps them (tests may).
#![warn(clippy::unwrap_used)]

mod alerts;
mod ast;
mod attr;
mod audit;
mod expand;
mod rewrite;

use proc_macro::TokenStream;

/// Captures the timing, errors, panics and cancellations of a function.
/// See `monitor_runtime::monitor` for the documentation.
#[proc_macro_attribute]
pub fn monitor(args: TokenStream, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.into();
    expand::monitor(args.into(), item2.clone()).unwrap_or_else(|error| expand::with_error(error, item2)).into()
}

/// Derives `monitor_runtime::audit::AuditEvent`. See that trait for the
/// attributes.
#[proc_macro_derive(AuditEvent, attributes(audit))]
pub fn derive_audit_event(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    audit::derive_audit_event(&input).unwrap_or_else(|error| audit::with_stub(error, &input)).into()
}

/// Derives change events for the tracked fields of a domain type. See
/// `monitor_runtime::audit` for the attributes.
#[proc_macro_derive(Audited, attributes(audit))]
pub fn derive_audited(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    audit::derive_audited(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Declares alert destinations and rules, checked at compile time by the
/// validator that also checks rule files. See `monitor_runtime::alerts!`.
#[proc_macro]
pub fn alerts(input: TokenStream) -> TokenStream {
    alerts::expand(input.into()).unwrap_or_else(alerts::compile_errors).into()
}
