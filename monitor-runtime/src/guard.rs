//! The drop guard `#[monitor]` puts at the top of each function.
//!
//! It reads the clock when the call starts and again when it is dropped,
//! which happens however the call ends: a normal return, an early `return`,
//! `?`, a panic unwinding through the frame, or (for async functions) the
//! future being dropped before it finished. No closure wraps the body, so
//! borrows and lifetimes are exactly what the user wrote.

use std::borrow::Cow;
use std::cell::Cell;
use std::error::Error as StdError;
use std::fmt;
use std::time::Instant;

use crate::callsite::{Callsite, Outcome};
use crate::capture::{self, ErrorDetails};
use crate::event::EventKind;

/// Records one call of a monitored function. Made by `#[monitor]`.
#[doc(hidden)]
pub struct CallGuard {
    callsite: &'static Callsite,
    /// `None` when the monitor was not installed at the start of the call:
    /// then the guard does nothing at all.
    start: Option<Instant>,
    is_async: bool,
    state: Cell<State>,
    args: Option<Vec<(Cow<'static, str>, String)>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Completed,
    Failed,
}

impl CallGuard {
    /// Starts timing a call of a sync function.
    #[inline]
    pub fn enter(callsite: &'static Callsite) -> Self {
        Self::start(callsite, false)
    }

    /// Starts timing a call of an async function (first poll of its future).
    #[inline]
    pub fn enter_async(callsite: &'static Callsite) -> Self {
        Self::start(callsite, true)
    }

    #[inline]
    fn start(callsite: &'static Callsite, is_async: bool) -> Self {
        let start = crate::pipeline::is_installed().then(Instant::now);
        CallGuard { callsite, start, is_async, state: Cell::new(State::Running), args: None }
    }

    /// True when `args(…)` values should be formatted for this call.
    #[inline]
    pub fn wants_args(&self) -> bool {
        self.start.is_some()
    }

    /// Keeps the `Debug` text of the arguments named in `args(…)`, in the
    /// order of the call site's argument names.
    pub fn set_arg_values(&mut self, values: &[&dyn fmt::Debug]) {
        let names = self.callsite.arg_names();
        self.args =
            Some(names.iter().zip(values).map(|(name, value)| (Cow::Borrowed(*name), format!("{value:?}"))).collect());
    }

    /// Marks an async call as finished (so dropping the guard is not a cancellation).
    #[inline]
    pub fn complete(&self) {
        if self.state.get() == State::Running {
            self.state.set(State::Completed);
        }
    }

    /// Records an error value returned by the call (called by the generated
    /// probes, see `observe`).
    #[cold]
    pub(crate) fn fail(
        &self,
        error_type: &'static str,
        message: &dyn fmt::Display,
        source: Option<&(dyn StdError + 'static)>,
    ) {
        let Some(start) = self.start else { return };
        if self.state.get() == State::Failed {
            // One error per call: `?` already recorded the inner error.
            return;
        }
        self.state.set(State::Failed);
        capture::capture_at(
            self.callsite,
            EventKind::Error,
            self.callsite.severity(),
            ErrorDetails { error_type: Some(error_type), message, source },
            Some(start.elapsed()),
            self.args.as_deref(),
        );
    }
}

impl Drop for CallGuard {
    #[inline]
    fn drop(&mut self) {
        let Some(start) = self.start else { return };
        let elapsed = start.elapsed();
        let outcome = match self.state.get() {
            State::Failed => Outcome::Error,
            State::Completed => Outcome::Ok,
            // Not marked done: the frame is unwinding, the future was dropped
            // early, or a sync function returned through a path the macro
            // cannot see (a `return` inside another macro); that last case
            // is counted as a success.
            State::Running if std::thread::panicking() => Outcome::Panic,
            State::Running if self.is_async => Outcome::Cancelled,
            State::Running => Outcome::Ok,
        };
        self.callsite.record(elapsed, outcome);
        if outcome == Outcome::Panic {
            capture::capture_panic(self.callsite, elapsed, self.args.as_deref());
        }
        if self.callsite.is_slow(elapsed) {
            self.callsite.record_slow();
            capture::capture_slow(self.callsite, elapsed, self.args.as_deref());
        }
    }
}
