//! Procedural macros of `monitor-runtime`. An implementation detail: depend
//! on `monitor-runtime`, which re-exports them, and never on this crate.

mod ast;
mod attr;
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
