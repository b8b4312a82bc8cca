//! The annotated function, as the expansion needs to see it.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Stmt, Type, TypeParamBound};

use crate::attr::Options;

/// What the function's return type allows the expansion to do.
pub(crate) enum Output {
    /// `-> !`: the body never returns; only panics can be recorded.
    Never,
    /// A type that can be written in a `let` (most types).
    Nameable(Box<Type>),
    /// A type containing `impl Trait`, which cannot be written in a `let`.
    Opaque,
}

impl Output {
    pub(crate) fn of(ty: &ReturnType) -> Self {
        match ty {
            ReturnType::Default => Output::Nameable(Box::new(syn::parse_quote!(()))),
            ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => Output::Never,
            ReturnType::Type(_, ty) if contains_impl_trait(ty) => Output::Opaque,
            ReturnType::Type(_, ty) => Output::Nameable(ty.clone()),
        }
    }

    pub(crate) fn nameable(&self) -> Option<&Type> {
        match self {
            Output::Nameable(ty) => Some(ty),
            _ => None,
        }
    }
}

fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

/// How the function runs.
pub(crate) enum Shape {
    /// A plain function: returns and `?` are rewritten in place.
    Sync,
    /// An `async fn`: the body runs in an inner async block so every way out
    /// is seen, and a dropped future shows as a cancellation.
    Async,
    /// What `#[async_trait]` made of an `async fn`: a sync function whose
    /// tail is `Box::pin(async move { … })` returning `Pin<Box<dyn Future<Output = T>>>`.
    AsyncTrait { output: Option<Box<Type>> },
}

impl Shape {
    pub(crate) fn of(function: &ItemFn) -> Self {
        if function.sig.asyncness.is_some() {
            return Shape::Async;
        }
        match (boxed_async_block(function), future_output(&function.sig.output)) {
            (true, output) => Shape::AsyncTrait { output: output.map(Box::new) },
            (false, _) => Shape::Sync,
        }
    }
}

/// Whether the body ends in `Box::pin(async move { … })`.
fn boxed_async_block(function: &ItemFn) -> bool {
    matches!(function.block.stmts.last(), Some(Stmt::Expr(expr, None)) if pinned_async_block(expr).is_some())
}

pub(crate) fn pinned_async_block(expr: &Expr) -> Option<&syn::ExprAsync> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Path(callee) = &*call.func else { return None };
    let segments: Vec<String> = callee.path.segments.iter().map(|s| s.ident.to_string()).collect();
    if !segments.ends_with(&["Box".to_owned(), "pin".to_owned()]) || call.args.len() != 1 {
        return None;
    }
    match call.args.first() {
        Some(Expr::Async(block)) if block.capture.is_some() => Some(block),
        _ => None,
    }
}

/// `T` in `Pin<Box<dyn Future<Output = T> + …>>`.
fn future_output(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else { return None };
    let pin = last_generic(ty, "Pin")?;
    let boxed = last_generic(pin, "Box")?;
    let Type::TraitObject(object) = boxed else { return None };
    object.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else { return None };
        let segment = bound.path.segments.last()?;
        let PathArguments::AngleBracketed(args) = &segment.arguments else { return None };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(assoc.ty.clone()),
            _ => None,
        })
    })
}

fn last_generic<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else { return None };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// Names of the function's arguments that `args(…)` may refer to.
pub(crate) fn argument_names(function: &ItemFn) -> Vec<Ident> {
    function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Receiver(receiver) => Some(Ident::new("self", receiver.self_token.span())),
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) => Some(ident.ident.clone()),
                _ => None,
            },
        })
        .collect()
}

/// Checks that need the function as well as the options.
pub(crate) fn check(function: &ItemFn, options: &Options) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    let mut push = |error: syn::Error| match &mut errors {
        Some(all) => all.combine(error),
        None => errors = Some(error),
    };
    if let Some(constness) = &function.sig.constness {
        push(syn::Error::new(
            constness.span(),
            "#[monitor] cannot go on a `const fn`: it may run at compile time, where nothing can be recorded; remove `const` or the attribute",
        ));
    }
    let known = argument_names(function);
    for arg in &options.args {
        if !known.iter().any(|name| name == arg) {
            let list = known.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let hint = if list.is_empty() {
                "it takes no named arguments".to_owned()
            } else {
                format!("its arguments are: {list}")
            };
            push(syn::Error::new(
                arg.span(),
                format!("unknown argument `{arg}` in `args(…)`: `{}` has no such argument; {hint}", function.sig.ident),
            ));
        }
    }
    match errors {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// The item, parsed; anything that is not a function with a body is an error
/// pointing at what it is.
pub(crate) fn parse_function(item: TokenStream) -> syn::Result<ItemFn> {
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(function)) => Ok(function),
        Ok(syn::Item::Verbatim(tokens)) => match syn::parse2::<syn::TraitItemFn>(tokens.clone()) {
            Ok(method) if method.default.is_none() => Err(syn::Error::new_spanned(
                method.sig.to_token_stream(),
                "#[monitor] needs a function body: put it on the method in the trait's impl, or give the method a default body",
            )),
            _ => Err(syn::Error::new_spanned(tokens, NOT_A_FUNCTION)),
        },
        Ok(other) => Err(syn::Error::new(item_keyword_span(&other), NOT_A_FUNCTION)),
        Err(error) => Err(error),
    }
}

const NOT_A_FUNCTION: &str = "#[monitor] goes on a function or method with a body; this item is not one";

/// The keyword that says what the item is (`struct`, `impl`, …), to point at.
fn item_keyword_span(item: &syn::Item) -> proc_macro2::Span {
    use syn::Item;
    match item {
        Item::Struct(item) => item.struct_token.span,
        Item::Enum(item) => item.enum_token.span,
        Item::Union(item) => item.union_token.span,
        Item::Impl(item) => item.impl_token.span,
        Item::Trait(item) => item.trait_token.span,
        Item::Mod(item) => item.mod_token.span,
        Item::Const(item) => item.const_token.span,
        Item::Static(item) => item.static_token.span,
        Item::Type(item) => item.type_token.span,
        Item::Use(item) => item.use_token.span,
        other => other.span(),
    }
}
