//! The drop guard `#[monitor]` puts at the top of each function.
//!
//! It reads the call clock when the call starts and again when it is
//! dropped, which happens however the call ends: a normal return, an early
//! `return`, `?`, a panic unwinding through the frame, or (for async
//! functions) the future being dropped before it finished. No closure wraps
//! the body, so borrows and lifetimes are exactly what the user wrote.
//!
//! A successful call costs the two clock reads (see `clock`), a relaxed
//! load and two relaxed atomic adds (see `Callsite::record`); everything
//! else here is on the paths of failures, panics and slow calls.

use std::cell::Cell;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::args::{ArgTexts, KeptArgs};
use crate::callsite::{Callsite, Outcome};
use crate::capture::{self, ErrorDetails};
use crate::clock::{self, Ticks};
use crate::event::EventKind;

/// Records one call of a monitored function, with the arguments named in
/// `args(…)` kept as `A` (see `args`). Made by `#[monitor]`.
#[doc(hidden)]
pub struct CallGuard<A: KeptArgs = ()> {
    callsite: &'static Callsite,
    /// `None` when the monitor was not installed at the start of the call:
    /// then the guard does nothing at all.
    start: Option<Ticks>,
    /// Panics the hook had seen when the call started: a message it
    /// remembered before then is not this call's (see `panic_hook`).
    panics_before: u64,
    is_async: bool,
    state: Cell<State>,
    /// The type of the error a `?` converted into the returned one, for
    /// returned types that only wrap another error (`Box<dyn Error>`).
    inner_error_type: Cell<Option<&'static str>>,
    /// How long the call had run when it returned its error: the drop that
    /// follows uses it rather than read the clock again.
    failed_after_nanos: Cell<u64>,
    args: A,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Completed,
    Failed,
}

impl CallGuard<()> {
    /// Starts timing a call of a sync function.
    #[inline]
    pub fn enter(callsite: &'static Callsite) -> Self {
        Self::start(callsite, false, ())
    }

    /// Starts timing a call of an async function (first poll of its future).
    #[inline]
    pub fn enter_async(callsite: &'static Callsite) -> Self {
        Self::start(callsite, true, ())
    }
}

impl<A: KeptArgs> CallGuard<A> {
    /// [`CallGuard::enter`] keeping the arguments named in `args(…)`.
    #[inline]
    pub fn enter_with(callsite: &'static Callsite, args: A) -> Self {
        Self::start(callsite, false, args)
    }

    /// [`CallGuard::enter_async`] keeping the arguments named in `args(…)`.
    #[inline]
    pub fn enter_async_with(callsite: &'static Callsite, args: A) -> Self {
        Self::start(callsite, true, args)
    }

    #[inline]
    fn start(callsite: &'static Callsite, is_async: bool, args: A) -> Self {
        let installed = crate::pipeline::is_installed();
        let start = if installed { clock::now() } else { None };
        let panics_before = if installed { crate::panic_hook::panics_seen() } else { 0 };
        CallGuard {
            callsite,
            start,
            panics_before,
            is_async,
            state: Cell::new(State::Running),
            inner_error_type: Cell::new(None),
            failed_after_nanos: Cell::new(0),
            args,
        }
    }

    /// Marks an async call as finished (so dropping the guard is not a cancellation).
    #[inline]
    pub fn complete(&self) {
        if self.state.get() == State::Running {
            self.state.set(State::Completed);
        }
    }

    /// Notes the type of the error a `?` is about to convert into the
    /// function's own error type (called by the generated code).
    #[cold]
    pub fn note_inner_error_type(&self, error_type: Option<&'static str>) {
        self.inner_error_type.set(error_type);
    }

    /// The type a `?` converted from, if the call went out through one.
    pub(crate) fn inner_error_type(&self) -> Option<&'static str> {
        self.inner_error_type.get()
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
            // One error per call.
            return;
        }
        self.state.set(State::Failed);
        let nanos = clock::nanos_since(start);
        self.failed_after_nanos.set(nanos);
        let args = || self.arg_texts();
        let args: Option<&dyn Fn() -> ArgTexts> = if A::NONE { None } else { Some(&args) };
        capture::capture_at(
            self.callsite,
            EventKind::Error,
            self.callsite.severity(),
            ErrorDetails { error_type: Some(error_type), message, source, panic_backtrace: None },
            Some(Duration::from_nanos(nanos)),
            args,
        );
    }

    fn arg_texts(&self) -> ArgTexts {
        let mut texts = Vec::new();
        self.args.push_texts(self.callsite.arg_names(), &mut texts);
        texts
    }

    #[cold]
    fn capture_unusual(&self, nanos: u64, outcome: Outcome) {
        let elapsed = Duration::from_nanos(nanos);
        let args = || self.arg_texts();
        let args: Option<&dyn Fn() -> ArgTexts> = if A::NONE { None } else { Some(&args) };
        if outcome == Outcome::Panic {
            capture::capture_panic(self.callsite, elapsed, self.panics_before, args);
        }
        if self.callsite.is_slow(nanos) {
            self.callsite.record_slow();
            capture::capture_slow(self.callsite, elapsed, args);
        }
    }
}

impl<A: KeptArgs> Drop for CallGuard<A> {
    #[inline]
    fn drop(&mut self) {
        let Some(start) = self.start else { return };
        let state = self.state.get();
        let nanos = if state == State::Failed { self.failed_after_nanos.get() } else { clock::nanos_since(start) };
        let outcome = match state {
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
        self.callsite.record(nanos, outcome);
        if outcome == Outcome::Panic || self.callsite.is_slow(nanos) {
            self.capture_unusual(nanos, outcome);
        }
    }
}
