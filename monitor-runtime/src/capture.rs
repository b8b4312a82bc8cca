//! Capture on the caller's thread: format, fingerprint, count, maybe queue.
//!
//! Nothing here does I/O or takes a lock that the worker holds for long; a
//! repeated error costs a `Display` into a reused buffer, a grouper lookup, a
//! `DashMap` read and a few atomics. Only an occurrence that must be
//! delivered (first in its window, a sample, a regression) builds an
//! [`Event`] and offers it to the bounded queue with `try_send`: only then
//! are the `source()` chain and the `args(…)` formatted, and only for the
//! first occurrence of a group is the stack walked for its backtrace (a
//! panic's was walked by the panic hook; see `backtrace`).
//!
//! Every text is formatted through a writer that stops at its cut (see
//! `bounded`), so a 100 MB message costs what an 8 KiB one does, and the
//! reused buffer never grows past a few KiB.

use std::borrow::Cow;
use std::cell::RefCell;
use std::error::Error as StdError;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use crate::args::ArgTexts;
use crate::backtrace::Backtrace;
use crate::bounded::{self, MAX_MESSAGE_BYTES};
use crate::callsite::Callsite;
use crate::event::{EventKind, Location};
use crate::pipeline::{self, Occurrence, Shared};
use monitor_rules::Severity;

/// Deepest `source()` chain kept (chains can be cyclic in buggy impls).
const MAX_CHAIN: usize = 16;

/// The parts of an error the probes hand over.
pub(crate) struct ErrorDetails<'a> {
    pub error_type: Option<&'static str>,
    pub message: &'a dyn fmt::Display,
    pub source: Option<&'a (dyn StdError + 'static)>,
    /// The stack the panic hook took, for a panic.
    pub panic_backtrace: Option<Backtrace>,
}

thread_local! {
    static MESSAGE_BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
}

fn callsite_location(callsite: &Callsite) -> Location {
    Location {
        module: Cow::Borrowed(callsite.module()),
        function: Cow::Borrowed(callsite.function()),
        file: Cow::Borrowed(callsite.file()),
        line: callsite.line(),
    }
}

/// Captures an occurrence at a monitored call site.
pub(crate) fn capture_at(
    callsite: &'static Callsite,
    kind: EventKind,
    severity: Severity,
    details: ErrorDetails<'_>,
    duration: Option<Duration>,
    args: Option<&dyn Fn() -> ArgTexts>,
) {
    let location = callsite_location(callsite);
    pipeline::with_current(|shared| {
        guarded(shared, || capture(shared, kind, severity, &location, details, duration, args));
    });
}

/// Runs a capture so that a panic inside it (a user's `Display` that panics)
/// is counted and never reaches the host.
fn guarded(shared: &Shared, capture: impl FnOnce()) {
    if panic::catch_unwind(AssertUnwindSafe(capture)).is_err() {
        shared.count_capture_panicked();
    }
}

fn capture(
    shared: &Shared,
    kind: EventKind,
    severity: Severity,
    location: &Location,
    details: ErrorDetails<'_>,
    duration: Option<Duration>,
    args: Option<&dyn Fn() -> ArgTexts>,
) {
    shared.count_captured();
    // The chain is formatted only if an event is queued.
    let chain = || source_chain(details.source);
    with_message_text(details.message, |message| {
        shared.take_occurrence(&Occurrence {
            kind,
            severity,
            location,
            error_type: details.error_type,
            message,
            chain: &chain,
            duration,
            args,
            spans_context: None,
            panic_backtrace: details.panic_backtrace.as_ref(),
        });
    });
}

/// An occurrence reported from outside a monitored call (a `tracing`
/// event): what it needs beyond its message is read through closures, only
/// if it is queued as an event.
#[cfg(feature = "tracing")]
pub(crate) struct ForeignOccurrence<'a> {
    pub kind: EventKind,
    pub severity: Severity,
    pub location: &'a Location,
    pub message: &'a dyn fmt::Display,
    pub chain: &'a dyn Fn() -> Vec<String>,
    pub args: &'a dyn Fn() -> ArgTexts,
    pub spans_context: &'a dyn Fn() -> Option<crate::context::Context>,
}

/// Captures a [`ForeignOccurrence`] through the same path as every other
/// capture (fingerprint, dedup, queue); does nothing without a monitor.
#[cfg(feature = "tracing")]
pub(crate) fn capture_foreign(occurrence: ForeignOccurrence<'_>) {
    pipeline::with_current(|shared| {
        guarded(shared, || {
            shared.count_captured();
            with_message_text(occurrence.message, |message| {
                shared.take_occurrence(&Occurrence {
                    kind: occurrence.kind,
                    severity: occurrence.severity,
                    location: occurrence.location,
                    error_type: None,
                    message,
                    chain: occurrence.chain,
                    duration: None,
                    args: Some(occurrence.args),
                    spans_context: Some(occurrence.spans_context),
                    panic_backtrace: None,
                });
            });
        });
    });
}

/// Runs `then` with `message` formatted (cut at [`MAX_MESSAGE_BYTES`] while
/// it is written) into this thread's reused buffer.
fn with_message_text(message: &dyn fmt::Display, then: impl FnOnce(&str)) {
    let mut then = Some(then);
    let _ = MESSAGE_BUFFER.try_with(|buffer| {
        // A `Display` impl that itself captures would find the buffer
        // borrowed; it then uses a fresh one instead of panicking.
        let Ok(mut buffer) = buffer.try_borrow_mut() else { return };
        buffer.clear();
        bounded::write_display(&mut buffer, message, MAX_MESSAGE_BYTES);
        if let Some(then) = then.take() {
            then(&buffer);
        }
    });
    if let Some(then) = then {
        let mut buffer = String::new();
        bounded::write_display(&mut buffer, message, MAX_MESSAGE_BYTES);
        then(&buffer);
    }
}

pub(crate) fn source_chain(mut source: Option<&(dyn StdError + 'static)>) -> Vec<String> {
    let mut chain = Vec::new();
    while let Some(error) = source {
        if chain.len() == MAX_CHAIN {
            break;
        }
        let mut text = String::new();
        bounded::write_display(&mut text, error, MAX_MESSAGE_BYTES);
        chain.push(text);
        source = error.source();
    }
    chain
}

/// Captures the panic unwinding a monitored call; `panics_before` is what
/// [`panics_seen`](crate::panic_hook::panics_seen) said when the call started.
pub(crate) fn capture_panic(
    callsite: &'static Callsite,
    elapsed: Duration,
    panics_before: u64,
    args: Option<&dyn Fn() -> ArgTexts>,
) {
    let Some(shared) = pipeline::current() else { return };
    let message = crate::panic_hook::panic_message_since(panics_before);
    let panic_backtrace = crate::panic_hook::panic_backtrace_since(panics_before);
    let location = callsite_location(callsite);
    let details = ErrorDetails { error_type: None, message: &message, source: None, panic_backtrace };
    let severity = callsite.severity().max(Severity::Critical);
    guarded(&shared, || capture(&shared, EventKind::Panic, severity, &location, details, Some(elapsed), args));
}

pub(crate) fn capture_slow(callsite: &'static Callsite, elapsed: Duration, args: Option<&dyn Fn() -> ArgTexts>) {
    let Some(shared) = pipeline::current() else { return };
    let threshold = callsite.slow_threshold().unwrap_or_default();
    let message = SlowMessage { function: callsite.function(), elapsed, threshold };
    let location = callsite_location(callsite);
    let details = ErrorDetails { error_type: None, message: &message, source: None, panic_backtrace: None };
    guarded(&shared, || capture(&shared, EventKind::Slow, Severity::Warning, &location, details, Some(elapsed), args));
}

struct SlowMessage {
    function: &'static str,
    elapsed: Duration,
    threshold: Duration,
}

impl fmt::Display for SlowMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} took {:?}, over its slow threshold of {:?}", self.function, self.elapsed, self.threshold)
    }
}

/// Captures an error that is handled rather than returned, with its
/// `source()` chain and the current context.
///
/// ```
/// let guard = monitor_runtime::Monitor::builder().install().unwrap();
/// let err = std::fs::read("/no/such/file").unwrap_err();
/// monitor_runtime::capture_error(&err);
/// assert_eq!(monitor_runtime::stats().captured, 1);
/// # drop(guard);
/// ```
#[track_caller]
pub fn capture_error<E: StdError + ?Sized>(error: &E) {
    let Some(shared) = pipeline::current() else { return };
    let location = caller_location("capture_error");
    let details = ErrorDetails {
        error_type: Some(std::any::type_name::<E>()),
        message: &error,
        source: error.source(),
        panic_backtrace: None,
    };
    guarded(&shared, || capture(&shared, EventKind::Error, Severity::Error, &location, details, None, None));
}

/// Captures a message at a severity, with the current context.
///
/// ```
/// use monitor_runtime::{capture_message, Severity};
///
/// let guard = monitor_runtime::Monitor::builder().install().unwrap();
/// capture_message("nightly batch 2026-11-24 skipped: no mandates", Severity::Warning);
/// assert_eq!(monitor_runtime::stats().captured, 1);
/// # drop(guard);
/// ```
#[track_caller]
pub fn capture_message(message: &str, severity: Severity) {
    let Some(shared) = pipeline::current() else { return };
    let location = caller_location("capture_message");
    let details = ErrorDetails { error_type: None, message: &message, source: None, panic_backtrace: None };
    guarded(&shared, || capture(&shared, EventKind::Message, severity, &location, details, None, None));
}

/// Captures a message that came from outside the process (an alert
/// received by a webhook, a line of another system's log) at a location
/// that names its origin, so each origin and name groups apart.
///
/// ```
/// use std::borrow::Cow;
/// use monitor_runtime::{Location, Severity, capture_message_from};
///
/// let guard = monitor_runtime::Monitor::builder().install().unwrap();
/// let origin = Location {
///     module: Cow::Borrowed("webhook::alertmanager"),
///     function: Cow::Owned("DiskFull".to_owned()),
///     file: Cow::Borrowed("alertmanager"),
///     line: 0,
/// };
/// capture_message_from(origin, "disk /var is 97% full on db-1", Severity::Critical);
/// assert_eq!(monitor_runtime::stats().captured, 1);
/// # drop(guard);
/// ```
pub fn capture_message_from(location: Location, message: &str, severity: Severity) {
    let Some(shared) = pipeline::current() else { return };
    let details = ErrorDetails { error_type: None, message: &message, source: None, panic_backtrace: None };
    guarded(&shared, || capture(&shared, EventKind::Message, severity, &location, details, None, None));
}

#[track_caller]
fn caller_location(function: &'static str) -> Location {
    let caller = panic::Location::caller();
    Location {
        module: Cow::Borrowed(""),
        function: Cow::Borrowed(function),
        file: Cow::Borrowed(caller.file()),
        line: caller.line(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A message of 100 MB, written 1 KiB at a time; counts the pieces it
    /// was let write.
    struct HundredMegabytes {
        written: Cell<usize>,
    }

    impl fmt::Display for HundredMegabytes {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let chunk = "z".repeat(1024);
            for _ in 0..100 * 1024 {
                f.write_str(&chunk)?;
                self.written.set(self.written.get() + 1);
            }
            Ok(())
        }
    }

    fn buffer_capacity() -> usize {
        MESSAGE_BUFFER.with(|buffer| buffer.borrow().capacity())
    }

    #[test]
    fn a_100_mb_message_is_cut_at_8_kib_while_it_is_written() {
        let message = HundredMegabytes { written: Cell::new(0) };
        let mut seen = 0;
        with_message_text(&message, |text| {
            seen = text.len();
            assert!(text.ends_with(monitor_rules::vocabulary::TRUNCATION_MARKER));
        });
        assert_eq!(seen, MAX_MESSAGE_BYTES + monitor_rules::vocabulary::TRUNCATION_MARKER.len());
        assert_eq!(message.written.get(), MAX_MESSAGE_BYTES / 1024, "writing stopped at the cut");
        assert!(buffer_capacity() <= 2 * MAX_MESSAGE_BYTES, "the thread's buffer holds {} bytes", buffer_capacity());
    }

    #[test]
    fn a_100_mb_string_costs_no_more_than_8_kib_of_buffer() {
        let huge = "q".repeat(100 * 1024 * 1024);
        with_message_text(&huge, |text| assert!(text.len() < MAX_MESSAGE_BYTES + 64));
        drop(huge);
        assert!(buffer_capacity() <= 2 * MAX_MESSAGE_BYTES, "the thread's buffer holds {} bytes", buffer_capacity());
    }

    #[test]
    fn each_link_of_the_chain_is_cut_too() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("outer")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let outer = Outer(std::io::Error::other("w".repeat(1024 * 1024)));
        let chain = source_chain(Some(&outer));
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0], "outer");
        assert!(chain[1].len() < MAX_MESSAGE_BYTES + 64, "{} bytes", chain[1].len());
    }
}
