//! `tracing` events and spans through `MonitorLayer`: errors captured and
//! grouped like any other, context from span fields, spans timed as calls,
//! `log` records through `LogTracer`, and the layers beside it untouched.
#![cfg(feature = "tracing")]

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use monitor_runtime::{Context, Event, EventKind, MemorySink, Monitor, MonitorGuard, MonitorLayer, Severity};
use tracing::Level;
use tracing_subscriber::prelude::*;

/// The monitor and the call-site registry are per process: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn install() -> (MemorySink, MonitorGuard) {
    let sink = MemorySink::new();
    let guard = Monitor::builder().service("billing").sink(sink.clone()).install().unwrap();
    (sink, guard)
}

/// Runs `f` with a registry and `layer` as this thread's subscriber.
fn with_layer<R>(layer: MonitorLayer, f: impl FnOnce() -> R) -> R {
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f)
}

fn arg<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    event.args.iter().find(|(n, _)| n == name).map(|(_, value)| value.as_str())
}

#[derive(Debug)]
struct Declined {
    cause: std::io::Error,
}

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for Declined {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

#[test]
fn an_error_event_is_one_event_with_its_error_as_message_and_fields_as_args() {
    let _serial = serial();
    let (sink, guard) = install();
    let line = with_layer(MonitorLayer::new(), || {
        let error = std::io::Error::other("gateway timed out after 30s");
        tracing::error!(error = %error, invoice = 42, retry = true, "charge failed");
        line!() - 1
    });
    let stats = guard.shutdown();

    assert_eq!(stats.captured, 1);
    let events = sink.events();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.kind, EventKind::Error);
    assert_eq!(event.severity, Severity::Error);
    assert_eq!(event.message, "gateway timed out after 30s");
    assert_eq!(arg(event, "invoice"), Some("42"));
    assert_eq!(arg(event, "retry"), Some("true"));
    assert_eq!(arg(event, "message"), Some("charge failed"), "the event's own message is kept as an argument");
    assert_eq!(arg(event, "error"), None, "the error is the message, not an argument too");
    assert_eq!(event.location.module, module_path!());
    assert_eq!(event.location.file, file!());
    assert_eq!(event.location.line, line);
    assert_eq!(event.context.service.as_deref(), Some("billing"));
}

#[test]
fn an_event_without_an_error_field_is_a_message_and_a_dyn_error_brings_its_chain() {
    let _serial = serial();
    let (sink, guard) = install();
    with_layer(MonitorLayer::new(), || {
        tracing::error!(batch = "2026-11-24", "nightly batch skipped: no mandates");
        let declined = Declined { cause: std::io::Error::other("issuer said: insufficient funds") };
        tracing::error!(error = &declined as &dyn std::error::Error, "payment refused");
    });
    guard.shutdown();

    let events = sink.events();
    assert_eq!(events.len(), 2);
    let message = events.iter().find(|e| e.kind == EventKind::Message).unwrap();
    assert_eq!(message.message, "nightly batch skipped: no mandates");
    assert_eq!(arg(message, "batch"), Some("2026-11-24"));
    assert_eq!(arg(message, "message"), None);
    let error = events.iter().find(|e| e.kind == EventKind::Error).unwrap();
    assert_eq!(error.message, "card declined");
    assert_eq!(error.chain, ["issuer said: insufficient funds"]);
}

#[test]
fn repeats_of_one_error_are_deduplicated_into_one_group() {
    let _serial = serial();
    let (sink, guard) = install();
    with_layer(MonitorLayer::new(), || {
        for id in 0..50 {
            tracing::error!(error = %format!("invoice {} not found", id * 7919), "lookup failed");
        }
    });
    let stats = guard.shutdown();

    assert_eq!(stats.captured, 50);
    assert_eq!(stats.queued, 1, "one event for the group in its window");
    assert_eq!(stats.deduplicated, 49);
    let groups = sink.groups();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].count, 50);
    assert!(!groups[0].template.contains("7919"), "ids are masked: {}", groups[0].template);
}

#[test]
fn warnings_are_ignored_by_default() {
    let _serial = serial();
    let (sink, guard) = install();
    with_layer(MonitorLayer::new(), || {
        tracing::warn!("disk 91% full");
        tracing::info!("started");
    });
    let stats = guard.shutdown();
    assert_eq!(stats.captured, 0);
    assert!(sink.events().is_empty());
}

#[test]
fn warnings_are_captured_at_level_warn_with_severity_warning() {
    let _serial = serial();
    let (sink, guard) = install();
    with_layer(MonitorLayer::new().level(Level::WARN), || {
        tracing::warn!("disk 91% full");
        tracing::info!("started");
        tracing::error!("disk full");
    });
    let stats = guard.shutdown();
    assert_eq!(stats.captured, 2, "the warning and the error, not the info");
    let events = sink.events();
    let warning = events.iter().find(|e| e.message == "disk 91% full").unwrap();
    assert_eq!(warning.severity, Severity::Warning);
    let error = events.iter().find(|e| e.message == "disk full").unwrap();
    assert_eq!(error.severity, Severity::Error);
}

#[tracing::instrument(fields(user = %member))]
fn settle(member: &str) {
    tracing::error!(error = "ledger unbalanced", "settlement failed");
}

#[test]
fn span_fields_are_the_context_innermost_first_over_the_entered_context() {
    let _serial = serial();
    let (sink, guard) = install();
    with_layer(MonitorLayer::new(), || {
        let _scope = Context::new().user("scope-user").trace_id("scope-trace").tag("tenant", "acme").enter();
        let outer = tracing::info_span!("request", request_id = "req-1", user = "outer-user");
        let _outer = outer.enter();
        let inner = tracing::info_span!("step", user = "inner-user");
        let _inner = inner.enter();
        tracing::error!(error = "first failure", "in the inner span");
    });
    with_layer(MonitorLayer::new(), || settle("member-17"));
    with_layer(MonitorLayer::new(), || {
        let span = tracing::info_span!("late", trace_id = tracing::field::Empty);
        let _entered = span.enter();
        span.record("trace_id", "trace-recorded-later");
        tracing::error!(error = "third failure");
    });
    guard.shutdown();

    let events = sink.events();
    let first = events.iter().find(|e| e.message == "first failure").unwrap();
    assert_eq!(first.context.user.as_deref(), Some("inner-user"), "the innermost span wins");
    assert_eq!(first.context.tags.get("request_id").map(String::as_str), Some("req-1"));
    assert_eq!(first.context.trace_id.as_deref(), Some("scope-trace"), "the entered context fills the rest");
    assert_eq!(first.context.tags.get("tenant").map(String::as_str), Some("acme"));
    assert_eq!(first.context.service.as_deref(), Some("billing"), "over the service's own");
    assert_eq!(first.location.function, "step", "the event belongs to its span");

    let settled = events.iter().find(|e| e.message == "ledger unbalanced").unwrap();
    assert_eq!(settled.context.user.as_deref(), Some("member-17"), "#[instrument(fields(user = …))] feeds it");
    assert_eq!(settled.location.function, "settle");

    let third = events.iter().find(|e| e.message == "third failure").unwrap();
    assert_eq!(third.context.trace_id.as_deref(), Some("trace-recorded-later"));
}

#[tracing::instrument]
fn untimed_work(n: u32) -> u32 {
    n + 1
}

#[tracing::instrument(err)]
fn timed_work(n: u32) -> Result<u32, String> {
    std::thread::sleep(std::time::Duration::from_millis(2));
    if n == 0 { Err("nothing to do".to_owned()) } else { Ok(n) }
}

#[tracing::instrument]
fn timed_panic() {
    panic!("timed panic");
}

#[test]
fn instrumented_spans_are_timed_into_callsites_only_when_asked() {
    let _serial = serial();
    let (_sink, guard) = install();
    with_layer(MonitorLayer::new(), || {
        for n in 0..3 {
            untimed_work(n);
        }
    });
    with_layer(MonitorLayer::new().time_spans(true), || {
        for n in 0..3 {
            let _ = timed_work(n);
        }
        let panicked = std::panic::catch_unwind(timed_panic);
        assert!(panicked.is_err());
    });
    let stats = guard.shutdown();

    let sites = monitor_runtime::callsites();
    assert!(!sites.iter().any(|s| s.function == "untimed_work"), "spans are not timed by default");
    let timed = sites.iter().find(|s| s.function == "timed_work").expect("timed_work is a call site");
    assert_eq!(timed.calls, 3);
    assert_eq!(timed.errors, 1, "the `err` event of #[instrument(err)] fails its call");
    assert_eq!(timed.module, module_path!());
    assert!(timed.total_duration >= std::time::Duration::from_millis(6), "{:?}", timed.total_duration);
    let panicked = sites.iter().find(|s| s.function == "timed_panic").expect("timed_panic is a call site");
    assert_eq!((panicked.calls, panicked.panics), (1, 1));
    assert_eq!(stats.captured, 1, "the `err` event is captured too");
}

#[test]
fn log_records_through_log_tracer_are_captured_where_they_were_logged() {
    static LOG_TRACER: std::sync::Once = std::sync::Once::new();
    LOG_TRACER.call_once(|| tracing_log::LogTracer::init().unwrap());
    let _serial = serial();
    let (sink, guard) = install();
    let line = with_layer(MonitorLayer::new(), || {
        log::error!("ledger 7 unbalanced by 12.50 EUR");
        log::warn!("a warning is below the level");
        line!() - 2
    });
    let stats = guard.shutdown();

    assert_eq!(stats.captured, 1);
    let events = sink.events();
    let event = &events[0];
    assert_eq!(event.message, "ledger 7 unbalanced by 12.50 EUR");
    assert_eq!(event.location.module, module_path!());
    assert_eq!(event.location.file, file!());
    assert_eq!(event.location.line, line);
    assert!(event.args.iter().all(|(name, _)| !name.starts_with("log.")), "{:?}", event.args);
}

/// A writer for a fmt layer that keeps what it is given.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_fmt_layer_beside_it_still_receives_every_event() {
    let _serial = serial();
    let (_sink, guard) = install();
    for monitor_first in [true, false] {
        let written = Captured::default();
        let writer = written.clone();
        let make_writer = move || writer.clone();
        let emit = || {
            tracing::trace!("trace line");
            tracing::debug!("debug line");
            tracing::info!("info line");
            tracing::warn!("warn line");
            tracing::error!("error line");
        };
        if monitor_first {
            let fmt = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(make_writer);
            let subscriber = tracing_subscriber::registry().with(MonitorLayer::new()).with(fmt);
            tracing::subscriber::with_default(subscriber, emit);
        } else {
            let fmt = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(make_writer);
            let subscriber = tracing_subscriber::registry().with(fmt).with(MonitorLayer::new().time_spans(true));
            tracing::subscriber::with_default(subscriber, emit);
        }
        let text = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        for line in ["trace line", "debug line", "info line", "warn line", "error line"] {
            assert!(text.contains(line), "monitor first: {monitor_first}; {line:?} missing from:\n{text}");
        }
    }
    let stats = guard.shutdown();
    assert_eq!(stats.captured, 2, "the error line, once per subscriber");
}

#[test]
fn secrets_in_fields_are_scrubbed_as_in_any_capture() {
    let _serial = serial();
    let (sink, guard) = install();
    with_layer(MonitorLayer::new().context_fields(["user", "session_token"]), || {
        let span = tracing::info_span!("login", session_token = "s3ss10n-t0ken-abcdef", user = "member-17");
        let _entered = span.enter();
        tracing::error!(
            error = "login failed: password=hunter2hunter2",
            password = "correct-horse-battery",
            card = "4111 1111 1111 1111",
            attempt = 3,
        );
    });
    guard.shutdown();

    let events = sink.events();
    let everything = format!("{:?}", events[0]);
    for secret in ["hunter2hunter2", "correct-horse-battery", "4111 1111 1111 1111", "s3ss10n-t0ken-abcdef"] {
        assert!(!everything.contains(secret), "{secret} leaked in {everything}");
    }
    assert_eq!(arg(&events[0], "attempt"), Some("3"), "harmless fields survive");
    assert_eq!(events[0].context.user.as_deref(), Some("member-17"));
}

#[test]
fn a_span_made_before_the_monitor_was_installed_is_neither_kept_nor_timed() {
    let _serial = serial();
    let (sink, guard) = with_layer(MonitorLayer::new().time_spans(true), || {
        let span = tracing::info_span!("made_before_install", user = "nobody");
        let entered = span.enter();
        let (sink, guard) = install();
        tracing::error!("captured, without the span's context");
        drop(entered);
        drop(span);
        (sink, guard)
    });
    let stats = guard.shutdown();

    assert_eq!(stats.captured, 1);
    let events = sink.events();
    assert_eq!(events[0].message, "captured, without the span's context");
    assert_eq!(events[0].context.user, None, "nothing was read from the span without a monitor");
    assert!(!monitor_runtime::callsites().iter().any(|s| s.function == "made_before_install"));
}
