//! Routing every way out of a sync function body past the guard.
//!
//! `return e` becomes `return <observe>(e)`, where `<observe>` hands a
//! reference to the value to the probes and gives it back unchanged. `e?`
//! becomes `?` taken apart (see the runtime's `question_mark` module): on
//! the way out, the residual is converted into the function's return type by
//! a real `?` first, and the converted value is observed and returned, so the
//! event names the error the caller gets (a `LedgerError` made from an
//! `io::Error`), not the one `?` converted from.
//!
//! When the return type cannot be named (`impl Trait`), nothing can be
//! converted to it ahead of the `?`: then `e?` becomes `<observe>(e)?` and
//! the error recorded is the one before its conversion.
//!
//! Closures, async blocks and nested items have their own `return`s and
//! `?`s, so they are left alone. A `return` hidden inside another macro's
//! input cannot be seen; such a call is still timed and counted.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Type};

/// The statement that hands `value` to the probes.
pub(crate) fn observe(value: &TokenStream) -> TokenStream {
    let rt = crate::runtime_path();
    quote! {
        {
            #[allow(unused_imports)]
            use #rt::__private::{
                ObserveDebug as _, ObserveDisplay as _, ObserveDynError as _, ObserveDynSendError as _,
                ObserveError as _, ObserveOpaque as _, ObserveOther as _,
            };
            (&&&&&&&#rt::__private::Probe(&#value)).__monitor_observe(&__monitor_guard);
        }
    }
}

/// `match e { v => { observe(v); v } }`: unlike a `let`, a `match` keeps the
/// temporaries of `e` alive exactly as long as the original expression did.
fn pass_through(expr: TokenStream) -> TokenStream {
    let observe = observe(&quote!(__monitor_value));
    quote! {
        match #expr {
            __monitor_value => {
                #observe
                __monitor_value
            }
        }
    }
}

/// `inner?` for a function returning `output`: goes on with the value, or
/// converts the residual as `?` would (the closure's `?`, spanned on the
/// user's, so a missing `From` is reported there), observes the converted
/// value and returns it.
fn converted_try(inner: &Expr, question: Span, output: &Type) -> TokenStream {
    let rt = crate::runtime_path();
    let observe = observe(&quote!(__monitor_converted));
    let branch = quote_spanned!(inner.span() => #rt::__private::Branch::branch(#inner));
    let convert = quote_spanned!(question => match __monitor_residual? {});
    quote! {
        match #branch {
            #rt::__private::ControlFlow::Continue(__monitor_value) => __monitor_value,
            #rt::__private::ControlFlow::Break(__monitor_residual) => {
                __monitor_guard.note_inner_error_type(#rt::__private::Residual::error_type(&__monitor_residual));
                #[allow(clippy::redundant_closure_call)]
                let __monitor_converted = #rt::__private::identity::<#output>((move || #convert)());
                #observe
                return __monitor_converted;
            }
        }
    }
}

pub(crate) struct ReturnRewriter<'a> {
    /// The declared return type, used so that `return Err(e.into())` and
    /// `return Box::new(x)` keep the expected type they had.
    pub output: Option<&'a Type>,
}

impl VisitMut for ReturnRewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        let rt = crate::runtime_path();
        match expr {
            Expr::Closure(_) | Expr::Async(_) | Expr::TryBlock(_) | Expr::Const(_) => {}
            Expr::Return(ret) => {
                if let Some(value) = &mut ret.expr {
                    self.visit_expr_mut(value);
                    let typed = match self.output {
                        Some(ty) => quote!(#rt::__private::identity::<#ty>(#value)),
                        None => quote!(#value),
                    };
                    **value = Expr::Verbatim(pass_through(typed));
                }
            }
            Expr::Try(try_expr) => {
                self.visit_expr_mut(&mut try_expr.expr);
                let inner = &try_expr.expr;
                match self.output {
                    Some(ty) => *expr = Expr::Verbatim(converted_try(inner, try_expr.question_token.span, ty)),
                    None => {
                        let observed = pass_through(quote!(#inner));
                        *try_expr.expr = Expr::Verbatim(observed);
                    }
                }
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _item: &mut syn::Item) {}
}
