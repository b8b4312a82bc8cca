//! Code generation for `#[monitor]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, ItemFn, Stmt, Type};

use crate::ast::{self, Output, Shape};
use crate::attr::Options;
use crate::rewrite::{self, ReturnRewriter};

/// After a mistake, the function is still emitted unchanged next to the
/// error, so one typo does not turn every caller into an error too.
pub(crate) fn with_error(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

pub(crate) fn monitor(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options: Options = syn::parse2(args)?;
    let mut function = ast::parse_function(item)?;
    ast::check(&function, &options)?;
    let callsite = callsite(&function, &options);
    let shape = Shape::of(&function);
    let body = match shape {
        Shape::Sync => sync_body(&mut function, &options),
        Shape::Async => {
            let output = Output::of(&function.sig.output);
            let inner = &function.block;
            async_body(quote!(#inner), output.nameable(), &options)
        }
        Shape::AsyncTrait { output } => async_trait_body(&mut function, output.as_deref(), &options),
    };
    let ItemFn { attrs, vis, sig, .. } = &function;
    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            #callsite
            #body
        }
    })
}

/// The `static` describing this function, made once per function.
fn callsite(function: &ItemFn, options: &Options) -> TokenStream {
    let rt = crate::runtime_path();
    let ident = &function.sig.ident;
    let name = match &options.name {
        Some(name) => quote!(#name),
        None => {
            let text = ident.to_string();
            let text = text.strip_prefix("r#").unwrap_or(&text);
            quote!(#text)
        }
    };
    let severity = options.severity.clone().unwrap_or_else(|| format_ident!("Error"));
    let slow = options.slow_nanos;
    let arg_names = options.args.iter().map(|arg| arg.to_string());
    // `line!()` spanned on the function's name gives the line of the `fn`.
    let line = quote_spanned!(ident.span() => ::core::line!());
    quote! {
        static __MONITOR_CALLSITE: #rt::__private::Callsite =
            #rt::__private::Callsite::new(
                ::core::module_path!(),
                #name,
                ::core::file!(),
                #line,
                #rt::__private::Severity::#severity,
                #slow,
                &[#(#arg_names),*],
            );
    }
}

/// `let __monitor_guard = …;`, keeping the arguments named in `args(…)`
/// as the runtime's `args` module describes: a copy of each `Copy` one,
/// the text of any other.
fn guard(options: &Options, is_async: bool) -> TokenStream {
    let rt = crate::runtime_path();
    if options.args.is_empty() {
        let enter = if is_async { quote!(enter_async) } else { quote!(enter) };
        return quote! {
            let __monitor_guard = #rt::__private::CallGuard::#enter(&__MONITOR_CALLSITE);
        };
    }
    let enter = if is_async { quote!(enter_async_with) } else { quote!(enter_with) };
    // A list `(first, (second, ()))`: one type for any number of arguments.
    let kept = options.args.iter().rev().fold(quote!(()), |rest, arg| {
        // Spanned on each name, so a missing `Debug` points at it.
        let keep = quote_spanned! {arg.span() =>
            (&&#rt::__private::ArgProbe(&#arg, &#arg as &dyn #rt::__private::Debug)).__monitor_keep()
        };
        quote!((#keep, #rest))
    });
    quote! {
        let __monitor_guard = {
            #[allow(unused_imports)]
            use #rt::__private::{KeepCopy as _, KeepFormatted as _};
            #rt::__private::CallGuard::#enter(&__MONITOR_CALLSITE, #kept)
        };
    }
}

fn sync_body(function: &mut ItemFn, options: &Options) -> TokenStream {
    let output = Output::of(&function.sig.output);
    let guard = guard(options, false);
    let mut block = (*function.block).clone();
    if matches!(output, Output::Never) {
        // Nothing returns: the guard only sees panics.
        return quote! { #guard #block };
    }
    ReturnRewriter { output: output.nameable() }.visit_block_mut(&mut block);
    let annotation = output.nameable().map(|ty| quote!(: #ty));
    let observe = rewrite::observe(&quote!(__monitor_ret));
    quote! {
        #guard
        // A body that declares a value yet never returns one (it ends in
        // `resume_unwind`) is the user's to write as they like.
        #[allow(clippy::diverging_sub_expression)]
        let __monitor_ret #annotation = #block;
        #[allow(unreachable_code)]
        #observe
        __monitor_ret
    }
}

/// Runs `inner` (a block's tokens) as an inner async block so that every
/// `return`, `?` and macro exit of the body lands in `__monitor_ret`, and a
/// future dropped early leaves the guard uncompleted: a cancellation.
fn async_body(inner: TokenStream, output: Option<&Type>, options: &Options) -> TokenStream {
    let guard = guard(options, true);
    // tracing's fake typed return: fixes the inner block's output type before
    // the body is checked, so `return Err(e.into())` still infers.
    let fake_return = output.map(|ty| {
        quote! {
            #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::let_unit_value, clippy::needless_return)]
            if false {
                let __monitor_fake_return: #ty = loop {};
                return __monitor_fake_return;
            }
        }
    });
    let observe = rewrite::observe(&quote!(__monitor_ret));
    quote! {
        #guard
        let __monitor_ret = async move {
            #fake_return
            #[allow(unreachable_code)]
            #inner
        }
        .await;
        #[allow(unreachable_code)]
        #observe
        __monitor_guard.complete();
        __monitor_ret
    }
}

/// `#[async_trait]` has already turned the method into a sync function whose
/// tail is `Box::pin(async move { … })`; the guard goes inside that block.
fn async_trait_body(function: &mut ItemFn, output: Option<&Type>, options: &Options) -> TokenStream {
    let mut block: Block = (*function.block).clone();
    if let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last_mut()
        && let Some(Expr::Async(async_block)) = call.args.first_mut()
    {
        let inner = &async_block.block;
        let wrapped = async_body(quote!(#inner), output, options);
        let span = async_block.span();
        async_block.block = syn::parse_quote_spanned!(span => { #wrapped });
    }
    let stmts = &block.stmts;
    quote!(#(#stmts)*)
}
