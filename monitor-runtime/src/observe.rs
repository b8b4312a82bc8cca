//! Looking at a returned value without knowing its type in advance.
//!
//! `#[monitor]` sees only tokens, so it cannot tell whether `T` in `-> T` is a
//! `Result`, nor whether its error implements `Error`, `Display` or nothing.
//! The generated code calls `(&&&&&&&Probe(&value)).__monitor_observe(&guard)`
//! and method resolution picks the most capable impl below ("autoref
//! specialization"): it strips one `&` per step, so the impl with the most
//! `&`s in its `Self` type wins when its bounds hold. In generic functions the
//! choice is made from the bounds that are in scope.
//!
//! The value observed is the one the function returns: for `?` the generated
//! code converts first (see `question_mark`), so a `LedgerError` made by `?`
//! from an `io::Error` is recorded as the `LedgerError`, with the `io::Error`
//! in its `source()` chain.

use std::any::type_name;
use std::error::Error as StdError;
use std::fmt;

use crate::args::KeptArgs;
use crate::guard::CallGuard;

/// Wraps a reference to a returned value for the probes below.
#[doc(hidden)]
pub struct Probe<'a, T: ?Sized>(pub &'a T);

/// `Result<_, E>` where `E: Error`: message, type and `source()` chain.
#[doc(hidden)]
pub trait ObserveError {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>);
}

impl<T, E: StdError> ObserveError for &&&&&&Probe<'_, Result<T, E>> {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>) {
        if let Err(error) = self.0 {
            guard.fail(type_name::<E>(), error, error.source());
        }
    }
}

/// `anyhow::Error`, `Box<dyn Error + Send + Sync>` and friends: types that
/// only carry another error, so the event names that error's type when a
/// `?` converted it (otherwise the wrapper's).
#[doc(hidden)]
pub trait ObserveDynSendError {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>);
}

impl<T, E: AsRef<dyn StdError + Send + Sync>> ObserveDynSendError for &&&&&Probe<'_, Result<T, E>> {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>) {
        if let Err(error) = self.0 {
            let error = error.as_ref();
            guard.fail(erased_type_name::<E, A>(guard), &error, error.source());
        }
    }
}

/// `Box<dyn Error>`.
#[doc(hidden)]
pub trait ObserveDynError {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>);
}

impl<T, E: AsRef<dyn StdError>> ObserveDynError for &&&&Probe<'_, Result<T, E>> {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>) {
        if let Err(error) = self.0 {
            let error = error.as_ref();
            guard.fail(erased_type_name::<E, A>(guard), &error, error.source());
        }
    }
}

/// An error type that is only `Display`.
#[doc(hidden)]
pub trait ObserveDisplay {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>);
}

impl<T, E: fmt::Display> ObserveDisplay for &&&Probe<'_, Result<T, E>> {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>) {
        if let Err(error) = self.0 {
            guard.fail(type_name::<E>(), error, None);
        }
    }
}

/// An error type that is only `Debug`.
#[doc(hidden)]
pub trait ObserveDebug {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>);
}

impl<T, E: fmt::Debug> ObserveDebug for &&Probe<'_, Result<T, E>> {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>) {
        if let Err(error) = self.0 {
            guard.fail(type_name::<E>(), &DebugAsDisplay(error), None);
        }
    }
}

/// An error type with no way to print it: only its type is recorded.
#[doc(hidden)]
pub trait ObserveOpaque {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>);
}

impl<T, E> ObserveOpaque for &Probe<'_, Result<T, E>> {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>) {
        if self.0.is_err() {
            guard.fail(type_name::<E>(), &type_name::<E>(), None);
        }
    }
}

/// Anything that is not a `Result`: nothing to record.
#[doc(hidden)]
pub trait ObserveOther {
    fn __monitor_observe<A: KeptArgs>(&self, guard: &CallGuard<A>);
}

impl<T: ?Sized> ObserveOther for Probe<'_, T> {
    #[inline(always)]
    fn __monitor_observe<A: KeptArgs>(&self, _guard: &CallGuard<A>) {}
}

/// A type-erasing wrapper's name says nothing of the error; the type a `?`
/// converted from does.
fn erased_type_name<E, A: KeptArgs>(guard: &CallGuard<A>) -> &'static str {
    guard.inner_error_type().unwrap_or_else(type_name::<E>)
}

struct DebugAsDisplay<'a, E>(&'a E);

impl<E: fmt::Debug> fmt::Display for DebugAsDisplay<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}
