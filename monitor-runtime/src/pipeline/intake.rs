//! An occurrence taken in on the caller's thread: fingerprinted, counted in
//! its group, and queued as an event only when it must be delivered.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crate::backtrace::Backtrace;
use crate::context::{self, Context};
use crate::dedup::{NewGroup, Verdict};
use crate::event::{Event, EventKind, Location, QueueReason};
use crate::stats::{CallerDrop, Counted};
use monitor_rules::Severity;

use super::{Message, Policy, Shared};

/// One occurrence as the capture functions formatted it.
pub(crate) struct Occurrence<'a> {
    pub kind: EventKind,
    pub severity: Severity,
    pub location: &'a Location,
    pub error_type: Option<&'static str>,
    /// The message, already formatted and cut to its bound.
    pub message: &'a str,
    /// The `source()` chain, formatted only if an event is queued.
    pub chain: &'a dyn Fn() -> Vec<String>,
    pub duration: Option<Duration>,
    /// The `args(…)` texts, formatted only if an event is queued.
    pub args: Option<&'a dyn Fn() -> crate::args::ArgTexts>,
    /// Context found where the occurrence happened (the fields of the
    /// `tracing` spans around an event), put over the scope's; read only if
    /// an event is queued.
    pub spans_context: Option<&'a dyn Fn() -> Option<Context>>,
    /// The stack the panic hook took, for a panic.
    pub panic_backtrace: Option<&'a Backtrace>,
}

impl Shared {
    /// Counts one captured occurrence.
    pub(crate) fn count_captured(&self) {
        self.counters.count(Counted::Captured);
    }

    /// Counts a capture whose formatting panicked (the host went on).
    pub(crate) fn count_capture_panicked(&self) {
        self.counters.count(Counted::Dropped(CallerDrop::CapturePanicked));
    }

    /// Groups `occurrence` and queues an event for it when its group says
    /// so (new, a regression, first in its window, a sample).
    pub(crate) fn take_occurrence(&self, occurrence: &Occurrence<'_>) {
        let Occurrence { kind, severity, location, error_type, message, .. } = *occurrence;
        let fingerprint = self.fingerprinter.fingerprint(location, kind, error_type, message);
        let verdict = self.groups.observe(fingerprint.key, self.now_millis(), || NewGroup {
            template: self.fingerprinter.template(&fingerprint, message),
            template_key: fingerprint.template,
            location,
            error_type,
            severity,
            kind,
        });
        let (occurrences, reason) = match verdict {
            Verdict::Queue { occurrences, reason } => (occurrences, reason),
            Verdict::Counted => return self.counters.count(Counted::Deduplicated),
            Verdict::Suppressed => return self.counters.count(Counted::Suppressed),
            Verdict::TableFull => return self.counters.count(Counted::Dropped(CallerDrop::GroupLimit)),
        };
        let event = Event {
            timestamp: self.now(),
            kind,
            severity,
            group_key: fingerprint.key,
            template: self.fingerprinter.template(&fingerprint, message),
            location: location.clone(),
            error_type: error_type.map(Cow::Borrowed),
            message: message.to_owned(),
            chain: (occurrence.chain)(),
            context: self.event_context(occurrence.spans_context),
            args: occurrence.args.map(|texts| texts()).unwrap_or_default(),
            duration: occurrence.duration,
            occurrences,
            reason,
            backtrace: self.backtrace_for(occurrence, reason),
        };
        // A full queue is counted; the caller never waits. A new group or a
        // regression wakes the worker, whose rules may be waiting for it;
        // a sample or the first of a new window waits for its tick.
        match reason {
            QueueReason::NewGroup | QueueReason::Regression => {
                let _ = self.submit(Message::Event(Box::new(event)), Policy::NoWait);
            }
            QueueReason::NewWindow | QueueReason::Sample => self.submit_quiet(Box::new(event)),
        }
    }

    /// The stack of an event about to be queued: the one the panic hook
    /// took for a panic, a walk of this thread's stack for the first
    /// occurrence of a group, none for the others (their group's first
    /// event has it).
    fn backtrace_for(&self, occurrence: &Occurrence<'_>, reason: QueueReason) -> Option<Backtrace> {
        if !self.backtraces {
            return None;
        }
        match occurrence.panic_backtrace {
            Some(taken) => Some(taken.clone()),
            None if reason == QueueReason::NewGroup => Some(Backtrace::capture()),
            None => None,
        }
    }

    /// The spans' context over the scope's, over the service's own.
    fn event_context(&self, spans_context: Option<&dyn Fn() -> Option<Context>>) -> Arc<Context> {
        let scope = match context::current_arc() {
            Some(scope) if self.base_context.as_ref() == &Context::default() => scope,
            Some(scope) => Arc::new(scope.merged_over(&self.base_context)),
            None => self.base_context.clone(),
        };
        match spans_context.and_then(|spans| spans()) {
            Some(spans) => Arc::new(spans.merged_over(&scope)),
            None => scope,
        }
    }
}
