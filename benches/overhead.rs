//! What `#[monitor]` costs on the caller's thread, next to a bare call,
//! `tracing`'s `#[instrument]` and the Sentry SDK, all in one run, with the
//! rows the targets are ratios of: two `Instant::now()` reads, the bare call,
//! a monitored success, a repeated error, `sentry::capture_error` and
//! `audit()`; and what `MonitorLayer` adds to a `tracing` subscriber: an
//! `error!` event beside a fmt layer, an `#[instrument]` span timed or not;
//! and a first occurrence (a group never seen before) with stack
//! backtraces on and off.
//!
//! `cargo bench -p monitor-benches --bench overhead`

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use monitor::audit::audit;
use monitor::{Monitor, MonitorLayer, NullSink, monitor};
use tracing_subscriber::prelude::*;

#[derive(Debug)]
struct LedgerError(u64);

impl std::fmt::Display for LedgerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ledger entry {} is locked by batch 7781", self.0)
    }
}

impl std::error::Error for LedgerError {}

#[inline(never)]
fn bare(x: u64) -> Result<u64, LedgerError> {
    if x == u64::MAX { Err(LedgerError(x)) } else { Ok(x.wrapping_mul(31)) }
}

#[inline(never)]
#[monitor]
fn monitored(x: u64) -> Result<u64, LedgerError> {
    if x == u64::MAX { Err(LedgerError(x)) } else { Ok(x.wrapping_mul(31)) }
}

#[inline(never)]
#[monitor]
fn monitored_failing(x: u64) -> Result<u64, LedgerError> {
    Err(LedgerError(x))
}

/// An error whose message shares no word with any other and varies in
/// length (as the flood benchmark's `shapeless`): every one is a template,
/// and so a group, of its own.
#[derive(Debug)]
struct NeverSeen(u64);

impl std::fmt::Display for NeverSeen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for k in 0..1 + self.0 % 12 {
            // A lowercase word for each number: digits would be masked.
            let mut word = (self.0 * 16 + k) + 26 * 26 * 26;
            if k > 0 {
                f.write_str(" ")?;
            }
            while word > 0 {
                write!(f, "{}", (b'a' + (word % 26) as u8) as char)?;
                word /= 26;
            }
        }
        Ok(())
    }
}

impl std::error::Error for NeverSeen {}

#[inline(never)]
#[monitor]
fn failing_as_never_before(x: u64) -> Result<u64, NeverSeen> {
    Err(NeverSeen(x))
}

#[inline(never)]
#[tracing::instrument]
fn instrumented(x: u64) -> Result<u64, LedgerError> {
    if x == u64::MAX { Err(LedgerError(x)) } else { Ok(x.wrapping_mul(31)) }
}

mod audit_event;
use audit_event::mandate_created;

/// Sentry with a transport that drops every envelope: what remains is the
/// SDK's own work on the caller's thread.
struct DiscardTransport;

impl sentry::Transport for DiscardTransport {
    fn send_envelope(&self, envelope: sentry::Envelope) {
        black_box(envelope);
    }
}

fn overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("overhead");

    group.bench_function("two Instant::now() reads", |b| {
        b.iter(|| {
            black_box(Instant::now());
            black_box(Instant::now());
        })
    });
    group.bench_function("bare call", |b| b.iter(|| bare(black_box(7))));
    group.bench_function("#[monitor], not installed", |b| b.iter(|| monitored(black_box(7))));
    group.bench_function("#[tracing::instrument], no subscriber", |b| b.iter(|| instrumented(black_box(7))));
    {
        let subscriber = tracing_subscriber::registry();
        let _default = tracing::subscriber::set_default(subscriber);
        group.bench_function("#[tracing::instrument], registry subscriber", |b| b.iter(|| instrumented(black_box(7))));
    }

    let guard = Monitor::builder().sink(NullSink).queue_capacity(1 << 16).install().expect("monitor installs");
    group.bench_function("#[monitor], success", |b| b.iter(|| monitored(black_box(7))));
    group.bench_function("#[monitor], repeated error", |b| {
        let mut id = 0u64;
        b.iter(|| {
            id = id.wrapping_add(1);
            monitored_failing(black_box(id))
        })
    });
    // A repeated error logged through `tracing`: a fmt layer writing to
    // nowhere, alone and with `MonitorLayer` beside it (the same error
    // grouped and counted, as the row above).
    let fmt_layer = || tracing_subscriber::fmt::layer().with_writer(std::io::sink);
    let log_error = |b: &mut criterion::Bencher<'_>| {
        let mut id = 0u64;
        b.iter(|| {
            id = id.wrapping_add(1);
            tracing::error!(error = %LedgerError(black_box(id)), "posting failed");
        })
    };
    {
        let _default = tracing_subscriber::registry().with(fmt_layer()).set_default();
        group.bench_function("error! event, registry + fmt (to io::sink)", log_error);
    }
    {
        let _default = tracing_subscriber::registry().with(fmt_layer()).with(MonitorLayer::new()).set_default();
        group.bench_function("error! event, registry + fmt + MonitorLayer", log_error);
    }
    {
        let _default = tracing_subscriber::registry().with(MonitorLayer::new()).set_default();
        group.bench_function("#[tracing::instrument], registry + MonitorLayer", |b| {
            b.iter(|| instrumented(black_box(7)))
        });
    }
    {
        let _default = tracing_subscriber::registry().with(MonitorLayer::new().time_spans(true)).set_default();
        group.bench_function("#[tracing::instrument], registry + MonitorLayer timing spans", |b| {
            b.iter(|| instrumented(black_box(7)))
        });
    }
    // The caller's cost: audit() timed in runs of 10,000 while the queue has
    // room, the worker draining between runs (not timed). A caller that
    // outruns the worker for good waits for room instead: the next row.
    group.bench_function("audit(&event), caller's thread", |b| {
        let mut id = 0;
        b.iter_custom(|records| {
            let mut timed = Duration::ZERO;
            let mut left = records;
            while left > 0 {
                let run = left.min(10_000);
                let started = Instant::now();
                for _ in 0..run {
                    id += 1;
                    let _ = black_box(audit(&mandate_created(black_box(id))));
                }
                timed += started.elapsed();
                left -= run;
                guard.flush(Duration::from_secs(30));
            }
            timed
        })
    });
    group.bench_function("audit(&event), sustained (the worker's pace)", |b| {
        let mut id = 0;
        b.iter(|| {
            id += 1;
            audit(&mandate_created(black_box(id)))
        })
    });
    drop(guard);

    let _sentry = sentry::init(sentry::ClientOptions {
        dsn: Some("https://public@sentry.invalid/1".parse().expect("a valid DSN")),
        transport: Some(Arc::new(|_: &sentry::ClientOptions| Arc::new(DiscardTransport) as Arc<dyn sentry::Transport>)),
        ..Default::default()
    });
    group.bench_function("sentry::capture_error, discarding transport", |b| {
        let mut id = 0u64;
        b.iter(|| {
            id = id.wrapping_add(1);
            sentry::capture_error(&LedgerError(black_box(id)))
        })
    });
    drop(_sentry);
    // What the tools people would use instead pay for a stack: Sentry's
    // `attach_stacktrace` (walked and symbolized on the caller's thread),
    // and std's walk alone, which the monitor's capture is built on.
    let _sentry = sentry::init(sentry::ClientOptions {
        dsn: Some("https://public@sentry.invalid/1".parse().expect("a valid DSN")),
        transport: Some(Arc::new(|_: &sentry::ClientOptions| Arc::new(DiscardTransport) as Arc<dyn sentry::Transport>)),
        attach_stacktrace: true,
        ..Default::default()
    });
    group.bench_function("sentry::capture_error, attach_stacktrace, discarding transport", |b| {
        let mut id = 0u64;
        b.iter(|| {
            id = id.wrapping_add(1);
            sentry::capture_error(&LedgerError(black_box(id)))
        })
    });
    group.bench_function("std::backtrace::Backtrace::force_capture(), unresolved", |b| {
        b.iter(|| black_box(std::backtrace::Backtrace::force_capture()))
    });
    group.finish();
}

/// A first occurrence: the error formatted, fingerprinted, a group made and
/// an event queued, with the stack walked or not. Timed in runs of 1,000
/// new groups, the worker catching up between runs (not timed); during a
/// run it resolves the backtraces already queued, as it would in a burst.
fn first_occurrence(c: &mut Criterion) {
    let mut group = c.benchmark_group("overhead");
    let mut id = 0u64;
    for (row, backtraces) in [
        ("#[monitor], first occurrence (a new group), backtraces on", true),
        ("#[monitor], first occurrence (a new group), backtraces off", false),
    ] {
        let guard = Monitor::builder()
            .sink(NullSink)
            .queue_capacity(1 << 16)
            .backtraces(backtraces)
            .install()
            .expect("monitor installs");
        group.bench_function(row, |b| {
            b.iter_custom(|calls| {
                let mut timed = Duration::ZERO;
                let mut left = calls;
                while left > 0 {
                    let run = left.min(1_000);
                    let started = Instant::now();
                    for _ in 0..run {
                        id += 1;
                        let _ = black_box(failing_as_never_before(black_box(id)));
                    }
                    timed += started.elapsed();
                    left -= run;
                    guard.flush(Duration::from_secs(30));
                }
                timed
            })
        });
        // Every call a first occurrence, or the row measures something else.
        let stats = guard.shutdown();
        assert_eq!((stats.deduplicated, stats.captured), (0, stats.queued), "{stats:?}");
    }
    group.finish();
}

criterion_group!(benches, overhead, first_occurrence);
criterion_main!(benches);
