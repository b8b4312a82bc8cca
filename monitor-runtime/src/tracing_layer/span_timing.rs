//! Spans timed as calls: each span, from its first entry to its close, is
//! one call of a [`Callsite`] made for its `tracing` callsite, so
//! `#[instrument]`-ed code shows in [`callsites`](crate::callsites), the
//! metrics and latency rules as `#[monitor]`-ed code does.
//!
//! A `tracing` callsite's metadata is `&'static`, so its call site is made
//! once, leaked and kept in a map by the callsite's identifier: one per
//! span callsite in the binary, never more.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use parking_lot::RwLock;
use tracing::callsite::Identifier;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::callsite::{Callsite, Outcome};
use crate::clock::{self, Ticks};
use crate::fingerprint::FastHash;
use monitor_rules::Severity;

static CALLSITES: LazyLock<RwLock<HashMap<Identifier, &'static Callsite, FastHash>>> = LazyLock::new(RwLock::default);

/// The call site of the spans of `metadata`'s callsite.
fn callsite_of(metadata: &'static Metadata<'static>) -> &'static Callsite {
    let id = metadata.callsite();
    if let Some(callsite) = CALLSITES.read().get(&id) {
        return callsite;
    }
    // Reborrowed through the `&'static` it holds, the entry outlives the lock.
    CALLSITES.write().entry(id).or_insert_with(|| {
        Box::leak(Box::new(Callsite::new(
            metadata.module_path().unwrap_or_else(|| metadata.target()),
            metadata.name(),
            metadata.file().unwrap_or(""),
            metadata.line().unwrap_or(0),
            Severity::Error,
            0,
            &[],
        )))
    })
}

/// When a timed span was first entered (a span extension).
struct SpanTiming {
    callsite: &'static Callsite,
    start: Ticks,
    failed: AtomicBool,
}

/// Starts timing a span at its first entry (for a future, its first poll),
/// when a monitor is installed.
pub(super) fn on_enter<S>(span: &SpanRef<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    if !crate::pipeline::is_installed() || span.extensions().get::<SpanTiming>().is_some() {
        return;
    }
    let Some(start) = clock::now() else { return };
    let callsite = callsite_of(span.metadata());
    span.extensions_mut().insert(SpanTiming { callsite, start, failed: AtomicBool::new(false) });
}

/// Counts the call of the innermost timed span of `scope` as failed.
pub(super) fn fail_innermost<'a, S>(scope: impl Iterator<Item = SpanRef<'a, S>>)
where
    S: Subscriber + for<'l> LookupSpan<'l>,
{
    for span in scope {
        if let Some(timing) = span.extensions().get::<SpanTiming>() {
            timing.failed.store(true, Relaxed);
            return;
        }
    }
}

/// Records a timed span's call when it closes: an error if an `ERROR`
/// event happened in it, a panic if it closes while its thread unwinds.
pub(super) fn on_close<S>(span: &SpanRef<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let extensions = span.extensions();
    let Some(timing) = extensions.get::<SpanTiming>() else { return };
    let nanos = clock::nanos_since(timing.start);
    let outcome = if std::thread::panicking() {
        Outcome::Panic
    } else if timing.failed.load(Relaxed) {
        Outcome::Error
    } else {
        Outcome::Ok
    };
    timing.callsite.record(nanos, outcome);
}
