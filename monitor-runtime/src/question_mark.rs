//! `?` taken apart, so that `#[monitor]` sees the error a function returns
//! rather than the one `?` converted from.
//!
//! `expr?` is `match expr.branch() { Continue(v) => v, Break(r) => return
//! From::from(r) }` with the standard library's unstable `Try` trait. The
//! generated code does the same with [`Branch`], implemented here for every
//! type `?` works on in stable Rust, and converts the residual with a real
//! `?` inside a closure typed like the function, so the conversion is
//! exactly the one the function's own `?` would make (`From`, `Option` to
//! `Option`, …). The converted value is then observed and returned.

use std::any::type_name;
use std::convert::Infallible;
use std::ops::ControlFlow;
use std::task::Poll;

/// What `?` needs of its operand: the value to go on with, or the residual
/// to return (converted) from the function.
#[doc(hidden)]
pub trait Branch {
    type Output;
    type Residual: Residual;

    fn branch(self) -> ControlFlow<Self::Residual, Self::Output>;
}

/// A residual: what a `?` returns early with, before conversion.
#[doc(hidden)]
pub trait Residual {
    /// The type of the error in it, if it holds one.
    fn error_type(&self) -> Option<&'static str>;
}

impl<E> Residual for Result<Infallible, E> {
    fn error_type(&self) -> Option<&'static str> {
        Some(type_name::<E>())
    }
}

impl Residual for Option<Infallible> {
    fn error_type(&self) -> Option<&'static str> {
        None
    }
}

impl<B> Residual for ControlFlow<B, Infallible> {
    fn error_type(&self) -> Option<&'static str> {
        None
    }
}

impl<T, E> Branch for Result<T, E> {
    type Output = T;
    type Residual = Result<Infallible, E>;

    #[inline(always)]
    fn branch(self) -> ControlFlow<Self::Residual, T> {
        match self {
            Ok(value) => ControlFlow::Continue(value),
            Err(error) => ControlFlow::Break(Err(error)),
        }
    }
}

impl<T> Branch for Option<T> {
    type Output = T;
    type Residual = Option<Infallible>;

    #[inline(always)]
    fn branch(self) -> ControlFlow<Self::Residual, T> {
        match self {
            Some(value) => ControlFlow::Continue(value),
            None => ControlFlow::Break(None),
        }
    }
}

impl<B, C> Branch for ControlFlow<B, C> {
    type Output = C;
    type Residual = ControlFlow<B, Infallible>;

    #[inline(always)]
    fn branch(self) -> ControlFlow<Self::Residual, C> {
        match self {
            ControlFlow::Continue(value) => ControlFlow::Continue(value),
            ControlFlow::Break(value) => ControlFlow::Break(ControlFlow::Break(value)),
        }
    }
}

impl<T, E> Branch for Poll<Result<T, E>> {
    type Output = Poll<T>;
    type Residual = Result<Infallible, E>;

    #[inline(always)]
    fn branch(self) -> ControlFlow<Self::Residual, Poll<T>> {
        match self {
            Poll::Ready(Ok(value)) => ControlFlow::Continue(Poll::Ready(value)),
            Poll::Ready(Err(error)) => ControlFlow::Break(Err(error)),
            Poll::Pending => ControlFlow::Continue(Poll::Pending),
        }
    }
}

impl<T, E> Branch for Poll<Option<Result<T, E>>> {
    type Output = Poll<Option<T>>;
    type Residual = Result<Infallible, E>;

    #[inline(always)]
    fn branch(self) -> ControlFlow<Self::Residual, Poll<Option<T>>> {
        match self {
            Poll::Ready(Some(Ok(value))) => ControlFlow::Continue(Poll::Ready(Some(value))),
            Poll::Ready(Some(Err(error))) => ControlFlow::Break(Err(error)),
            Poll::Ready(None) => ControlFlow::Continue(Poll::Ready(None)),
            Poll::Pending => ControlFlow::Continue(Poll::Pending),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conversion the generated code makes, written out.
    fn converted<R>(residual: impl FnOnce() -> R) -> R {
        residual()
    }

    #[test]
    fn branches_like_the_question_mark() {
        assert!(matches!(Ok::<u8, ()>(1).branch(), ControlFlow::Continue(1)));
        let ControlFlow::Break(residual) = Err::<u8, std::num::ParseIntError>("x".parse::<u8>().unwrap_err()).branch()
        else {
            panic!("an error breaks")
        };
        assert_eq!(residual.error_type(), Some("core::num::error::ParseIntError"));
        let widened: Result<u8, Box<dyn std::error::Error>> = converted(move || match residual? {});
        assert_eq!(widened.unwrap_err().to_string(), "invalid digit found in string");
        assert!(matches!(None::<u8>.branch(), ControlFlow::Break(None)));
        assert!(matches!(Poll::Ready(Ok::<u8, ()>(2)).branch(), ControlFlow::Continue(Poll::Ready(2))));
        assert!(matches!(Poll::<Option<Result<u8, ()>>>::Pending.branch(), ControlFlow::Continue(Poll::Pending)));
        assert!(matches!(ControlFlow::<u8, u8>::Break(3).branch(), ControlFlow::Break(ControlFlow::Break(3))));
    }
}
