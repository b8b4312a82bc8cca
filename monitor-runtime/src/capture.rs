//! Capture on the caller's thread: format, fingerprint, count, maybe queue.
//!
//! Nothing here does I/O or takes a lock that the worker holds for long; a
//! repeated error costs a `Display` into a reused buffer, a grouper lookup, a
//! `DashMap` read and a few atomics. Only an occurrence that must be
//! delivered (first in its window, a sample, a regression) builds an
//! [`Event`] and offers it to the bounded queue with `try_send`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::error::Error as StdError;
use std::fmt::{self, Write as _};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime};

use crate::callsite::Callsite;
use crate::context::{self, Context};
use crate::dedup::{self, NewGroup, Verdict};
use crate::event::{Event, EventKind, Location};
use crate::pipeline::{self, Message, Shared};
use crate::severity::Severity;
use crate::stats;

/// Longest message text kept; the rest is cut at a character boundary.
const MAX_MESSAGE_BYTES: usize = 8 * 1024;
/// Deepest `source()` chain kept (chains can be cyclic in buggy impls).
const MAX_CHAIN: usize = 16;

/// The parts of an error the probes hand over.
pub(crate) struct ErrorDetails<'a> {
    pub error_type: Option<&'static str>,
    pub message: &'a dyn fmt::Display,
    pub source: Option<&'a (dyn StdError + 'static)>,
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
    args: Option<&[(Cow<'static, str>, String)]>,
) {
    let Some(shared) = pipeline::current() else { return };
    let location = callsite_location(callsite);
    guarded(&shared, || capture(&shared, kind, severity, &location, details, duration, args));
}

/// Runs a capture so that a panic inside it (a user's `Display` that panics)
/// is counted and never reaches the host.
fn guarded(shared: &Shared, capture: impl FnOnce()) {
    if panic::catch_unwind(AssertUnwindSafe(capture)).is_err() {
        shared.counters.count_caller_drop(stats::CAPTURE_PANICKED);
    }
}

fn capture(
    shared: &Shared,
    kind: EventKind,
    severity: Severity,
    location: &Location,
    details: ErrorDetails<'_>,
    duration: Option<Duration>,
    args: Option<&[(Cow<'static, str>, String)]>,
) {
    shared.counters.captured.fetch_add(1, Relaxed);
    let reentrant = MESSAGE_BUFFER.with(|buffer| {
        // A `Display` impl that itself captures would find the buffer
        // borrowed; it then uses a fresh one instead of panicking.
        let Ok(mut buffer) = buffer.try_borrow_mut() else { return true };
        buffer.clear();
        write_message(&mut buffer, details.message);
        decide_and_queue(shared, kind, severity, location, &buffer, &details, duration, args);
        false
    });
    if reentrant {
        let mut buffer = String::new();
        write_message(&mut buffer, details.message);
        decide_and_queue(shared, kind, severity, location, &buffer, &details, duration, args);
    }
}

fn write_message(buffer: &mut String, message: &dyn fmt::Display) {
    let _ = write!(buffer, "{message}");
    truncate_at_boundary(buffer, MAX_MESSAGE_BYTES);
}

pub(crate) fn truncate_at_boundary(text: &mut String, max: usize) {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("…[truncated]");
    }
}

#[allow(clippy::too_many_arguments)]
fn decide_and_queue(
    shared: &Shared,
    kind: EventKind,
    severity: Severity,
    location: &Location,
    message: &str,
    details: &ErrorDetails<'_>,
    duration: Option<Duration>,
    args: Option<&[(Cow<'static, str>, String)]>,
) {
    let fingerprint = shared.fingerprinter.fingerprint(location, kind, details.error_type, message);
    let now = dedup::now_ms();
    let verdict = shared.groups.observe(fingerprint.key, now, || NewGroup {
        template: shared.fingerprinter.template(&fingerprint, message),
        location,
        error_type: details.error_type,
        severity,
        kind,
    });
    let (occurrences, reason) = match verdict {
        Verdict::Queue { occurrences, reason } => (occurrences, reason),
        Verdict::Counted => {
            shared.counters.deduplicated.fetch_add(1, Relaxed);
            return;
        }
        Verdict::Suppressed => {
            shared.counters.suppressed.fetch_add(1, Relaxed);
            return;
        }
        Verdict::TableFull => {
            shared.counters.count_caller_drop(stats::GROUP_LIMIT);
            return;
        }
    };
    let event = Event {
        timestamp: SystemTime::now(),
        kind,
        severity,
        group_key: fingerprint.key,
        template: shared.fingerprinter.template(&fingerprint, message),
        location: location.clone(),
        error_type: details.error_type.map(Cow::Borrowed),
        message: message.to_owned(),
        chain: source_chain(details.source),
        context: event_context(shared),
        args: args.map(<[_]>::to_vec).unwrap_or_default(),
        duration,
        occurrences,
        reason,
    };
    shared.enqueue(Message::Event(Box::new(event)));
}

fn source_chain(mut source: Option<&(dyn StdError + 'static)>) -> Vec<String> {
    let mut chain = Vec::new();
    while let Some(error) = source {
        if chain.len() == MAX_CHAIN {
            break;
        }
        let mut text = error.to_string();
        truncate_at_boundary(&mut text, MAX_MESSAGE_BYTES);
        chain.push(text);
        source = error.source();
    }
    chain
}

fn event_context(shared: &Shared) -> Arc<Context> {
    match context::current_arc() {
        Some(scope) if shared.base_context.as_ref() == &Context::default() => scope,
        Some(scope) => Arc::new(scope.merged_over(&shared.base_context)),
        None => shared.base_context.clone(),
    }
}

pub(crate) fn capture_panic(
    callsite: &'static Callsite,
    elapsed: Duration,
    args: Option<&[(Cow<'static, str>, String)]>,
) {
    let Some(shared) = pipeline::current() else { return };
    let message = crate::panic_hook::last_panic_message();
    let location = callsite_location(callsite);
    let details = ErrorDetails { error_type: None, message: &message, source: None };
    let severity = callsite.severity().max(Severity::Critical);
    guarded(&shared, || capture(&shared, EventKind::Panic, severity, &location, details, Some(elapsed), args));
}

pub(crate) fn capture_slow(
    callsite: &'static Callsite,
    elapsed: Duration,
    args: Option<&[(Cow<'static, str>, String)]>,
) {
    let Some(shared) = pipeline::current() else { return };
    let threshold = callsite.slow_threshold().unwrap_or_default();
    let message = SlowMessage { function: callsite.function(), elapsed, threshold };
    let location = callsite_location(callsite);
    let details = ErrorDetails { error_type: None, message: &message, source: None };
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
    let details =
        ErrorDetails { error_type: Some(std::any::type_name::<E>()), message: &error, source: error.source() };
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
    let details = ErrorDetails { error_type: None, message: &message, source: None };
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
