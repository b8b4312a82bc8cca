//! Looking at a returned value without knowing its type in advance.
//!
//! `#[monitor]` sees only tokens, so it cannot tell whether `T` in `-> T` is a
//! `Result`, nor whether its error implements `Error`, `Display` or nothing.
//! The generated code calls `(&&&&&&&Probe(&value)).__monitor_observe(&guard)`
//! and method resolution picks the most capable impl below ("autoref
//! specialization"): it strips one `&` per step, so the impl with the most
//! `&`s in its `Self` type wins when its bounds hold. In generic functions the
//! choice is made from the bounds that are in scope.

use std::any::type_name;
use std::error::Error as StdError;
use std::fmt;

use crate::guard::CallGuard;

/// Wraps a reference to a returned value for the probes below.
#[doc(hidden)]
pub struct Probe<'a, T: ?Sized>(pub &'a T);

/// `Result<_, E>` where `E: Error`: message, type and `source()` chain.
#[doc(hidden)]
pub trait ObserveError {
    fn __monitor_observe(&self, guard: &CallGuard);
}

impl<T, E: StdError> ObserveError for &&&&&&Probe<'_, Result<T, E>> {
    fn __monitor_observe(&self, guard: &CallGuard) {
        if let Err(error) = self.0 {
            guard.fail(type_name::<E>(), error, error.source());
        }
    }
}

/// `anyhow::Error`, `Box<dyn Error + Send + Sync>` and friends.
#[doc(hidden)]
pub trait ObserveDynSendError {
    fn __monitor_observe(&self, guard: &CallGuard);
}

impl<T, E: AsRef<dyn StdError + Send + Sync>> ObserveDynSendError for &&&&&Probe<'_, Result<T, E>> {
    fn __monitor_observe(&self, guard: &CallGuard) {
        if let Err(error) = self.0 {
            let error = error.as_ref();
            guard.fail(type_name::<E>(), &error, error.source());
        }
    }
}

/// `Box<dyn Error>`.
#[doc(hidden)]
pub trait ObserveDynError {
    fn __monitor_observe(&self, guard: &CallGuard);
}

impl<T, E: AsRef<dyn StdError>> ObserveDynError for &&&&Probe<'_, Result<T, E>> {
    fn __monitor_observe(&self, guard: &CallGuard) {
        if let Err(error) = self.0 {
            let error = error.as_ref();
            guard.fail(type_name::<E>(), &error, error.source());
        }
    }
}

/// An error type that is only `Display`.
#[doc(hidden)]
pub trait ObserveDisplay {
    fn __monitor_observe(&self, guard: &CallGuard);
}

impl<T, E: fmt::Display> ObserveDisplay for &&&Probe<'_, Result<T, E>> {
    fn __monitor_observe(&self, guard: &CallGuard) {
        if let Err(error) = self.0 {
            guard.fail(type_name::<E>(), error, None);
        }
    }
}

/// An error type that is only `Debug`.
#[doc(hidden)]
pub trait ObserveDebug {
    fn __monitor_observe(&self, guard: &CallGuard);
}

impl<T, E: fmt::Debug> ObserveDebug for &&Probe<'_, Result<T, E>> {
    fn __monitor_observe(&self, guard: &CallGuard) {
        if let Err(error) = self.0 {
            guard.fail(type_name::<E>(), &DebugAsDisplay(error), None);
        }
    }
}

/// An error type with no way to print it: only its type is recorded.
#[doc(hidden)]
pub trait ObserveOpaque {
    fn __monitor_observe(&self, guard: &CallGuard);
}

impl<T, E> ObserveOpaque for &Probe<'_, Result<T, E>> {
    fn __monitor_observe(&self, guard: &CallGuard) {
        if self.0.is_err() {
            guard.fail(type_name::<E>(), &type_name::<E>(), None);
        }
    }
}

/// Anything that is not a `Result`: nothing to record.
#[doc(hidden)]
pub trait ObserveOther {
    fn __monitor_observe(&self, guard: &CallGuard);
}

impl<T: ?Sized> ObserveOther for Probe<'_, T> {
    #[inline(always)]
    fn __monitor_observe(&self, _guard: &CallGuard) {}
}

struct DebugAsDisplay<'a, E>(&'a E);

impl<E: fmt::Debug> fmt::Display for DebugAsDisplay<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}
