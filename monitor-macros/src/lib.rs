//! Procedural macros of monitor. An implementation detail: depend on
//! `monitor`, which re-exports them, and never on this crate.

// Library code reports failures; it never unwraps them (tests may).
#![warn(clippy::unwrap_used)]

mod alerts;
mod ast;
mod attr;
mod audit;
mod expand;
mod rewrite;

use std::cell::RefCell;

use proc_macro::TokenStream;
use proc_macro_crate::{FoundCrate, crate_name};
use quote::quote;

/// The path generated code names the runtime by: `::monitor` in a crate
/// that depends on the façade (under whatever name it was given),
/// `::monitor_runtime` in one that depends on the runtime alone (the
/// runtime's own tests and examples). The name is looked up once per crate
/// being compiled; the tokens are made anew for each expansion (tokens of
/// the compiler cannot outlive the expansion that made them).
pub(crate) fn runtime_path() -> proc_macro2::TokenStream {
    thread_local! {
        static CACHE: RefCell<Option<(Option<String>, String)>> = const { RefCell::new(None) };
    }
    let manifest = std::env::var("CARGO_MANIFEST_DIR").ok();
    let name = CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        match cache.as_ref() {
            Some((dir, name)) if *dir == manifest => name.clone(),
            _ => {
                let name = runtime_name();
                *cache = Some((manifest, name.clone()));
                name
            }
        }
    });
    let ident = proc_macro2::Ident::new(&name, proc_macro2::Span::call_site());
    quote!(::#ident)
}

fn runtime_name() -> String {
    match crate_name("monitor") {
        Ok(FoundCrate::Name(name)) => return name.replace('-', "_"),
        // The façade's own doctests and README examples.
        Ok(FoundCrate::Itself) => return "monitor".to_owned(),
        Err(_) => {}
    }
    match crate_name("monitor-runtime") {
        Ok(FoundCrate::Name(name)) => name.replace('-', "_"),
        // The runtime's own tests, doctests and (through `extern crate self`) library.
        Ok(FoundCrate::Itself) => "monitor_runtime".to_owned(),
        // Neither is named (a workspace that renames oddly): the façade's name.
        Err(_) => "monitor".to_owned(),
    }
}

/// Captures the timing, errors, panics and cancellations of a function.
/// See `monitor::monitor` for the documentation.
#[proc_macro_attribute]
pub fn monitor(args: TokenStream, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.into();
    expand::monitor(args.into(), item2.clone()).unwrap_or_else(|error| expand::with_error(error, item2)).into()
}

/// Derives `monitor::audit::AuditEvent`. See that trait for the
/// attributes.
#[proc_macro_derive(AuditEvent, attributes(audit))]
pub fn derive_audit_event(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    audit::derive_audit_event(&input).unwrap_or_else(|error| audit::with_stub(error, &input)).into()
}

/// Derives change events for the tracked fields of a domain type. See
/// `monitor::audit` for the attributes.
#[proc_macro_derive(Audited, attributes(audit))]
pub fn derive_audited(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    audit::derive_audited(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// Declares alert destinations and rules, checked at compile time by the
/// validator that also checks rule files. See `monitor::alerts!`.
#[proc_macro]
pub fn alerts(input: TokenStream) -> TokenStream {
    alerts::expand(input.into()).unwrap_or_else(alerts::compile_errors).into()
}
