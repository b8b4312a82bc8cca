//! Routing every way out of a sync function body past the guard.
//!
//! `return e` becomes `return <observe>(e)` and `e?` becomes
//! `<observe>(e)?`, where `<observe>` hands a reference to the value to the
//! probes and gives it back unchanged. Closures, async blocks and nested items
//! have their own `return`s and `?`s, so they are left alone. A `return`
//! hidden inside another macro's input cannot be seen; such a call is still
//! timed and counted.

use proc_macro2::TokenStream;
use quote::quote;
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
                let observed = pass_through(quote!(#inner));
                *try_expr.expr = Expr::Verbatim(observed);
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _item: &mut syn::Item) {}
}
