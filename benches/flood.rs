//! A flood of distinct errors: a monitored function that fails with a
//! different user name each time (`user <name> not found`), called from two
//! threads at once, with 1 distinct message (the repeated error) and with
//! 10k, 100k and 1M distinct ones. The cost per failing call on the
//! caller's thread should not grow with the number of distinct messages.
//!
//! Before the timings, the peak memory above the process's baseline is
//! printed for 10M distinct messages fed through the same function.
//!
//! `cargo bench -p monitor-benches --bench flood`

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use monitor::{Monitor, NullSink, monitor};

/// A lowercase name for `i`, distinct for each `i` (no digits: the
/// normalizer would mask those; only the grouper's evidence can tell a word
/// is a value).
fn name(mut i: usize, out: &mut String) {
    out.clear();
    i += 26 * 26 * 26;
    while i > 0 {
        out.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
    }
}

#[monitor]
fn find_user(name: &str) -> Result<(), String> {
    Err(format!("user {name} not found"))
}

/// Fails with a message that shares no word with any other and whose length
/// varies: nothing to learn, so every message is a template of its own and
/// only the grouper's bounds keep memory in check.
#[monitor]
fn shapeless(i: usize) -> Result<(), String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for k in 0..1 + i % 12 {
        name(i * 16 + k, &mut word);
        words.push(word.clone());
    }
    Err(words.join(" "))
}

/// Calls `find_user` `calls` times on each of two threads, cycling over
/// `distinct` names (thread 1 starts half way), and returns the time one
/// thread took: the cost per call on a caller's thread times `calls`.
fn two_threads(distinct: usize, calls: u64, cursor: &AtomicUsize) -> Duration {
    let start_at = cursor.fetch_add(calls as usize, Relaxed);
    let elapsed: Vec<Duration> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..2)
            .map(|thread| {
                scope.spawn(move || {
                    let mut buffer = String::new();
                    let offset = start_at + thread * (distinct / 2);
                    let started = Instant::now();
                    for call in 0..calls as usize {
                        name((offset + call) % distinct, &mut buffer);
                        let _ = black_box(find_user(black_box(&buffer)));
                    }
                    started.elapsed()
                })
            })
            .collect();
        threads.into_iter().map(|thread| thread.join().expect("a bench thread")).collect()
    });
    elapsed.into_iter().max().unwrap_or_default()
}

/// Resident and peak memory of this process, in KiB, from /proc.
fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        status.lines().find(|line| line.starts_with(name))?.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn flood(c: &mut Criterion) {
    let guard = Monitor::builder().service("flood").sink(NullSink).install().expect("monitor installs");

    if let Some((baseline, _)) = memory_kib() {
        let cursor = AtomicUsize::new(0);
        let calls = 5_000_000;
        let started = Instant::now();
        two_threads(10_000_000, calls, &cursor);
        let (resident, peak) = memory_kib().unwrap_or_default();
        println!(
            "flood memory: 10M distinct messages from 2 threads in {:.1} s: resident +{:.1} MiB, peak +{:.1} MiB above \
             the baseline of {:.1} MiB; groups held: {}, group evictions: {}",
            started.elapsed().as_secs_f64(),
            resident.saturating_sub(baseline) as f64 / 1024.0,
            peak.saturating_sub(baseline) as f64 / 1024.0,
            baseline as f64 / 1024.0,
            guard.stats().groups,
            guard.stats().evicted_groups,
        );
    }

    if let Some((baseline, _)) = memory_kib() {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for thread in 0..2 {
                scope.spawn(move || {
                    for i in (thread..10_000_000).step_by(2) {
                        let _ = black_box(shapeless(i));
                    }
                });
            }
        });
        let (resident, peak) = memory_kib().unwrap_or_default();
        let stats = guard.stats();
        println!(
            "flood memory: 10M messages sharing no word, from 2 threads, in {:.1} s: resident +{:.1} MiB, peak \
             +{:.1} MiB above {:.1} MiB; groups held: {}, group evictions: {}, every occurrence counted: {}",
            started.elapsed().as_secs_f64(),
            resident.saturating_sub(baseline) as f64 / 1024.0,
            peak.saturating_sub(baseline) as f64 / 1024.0,
            baseline as f64 / 1024.0,
            stats.groups,
            stats.evicted_groups,
            stats.captured == stats.queued + stats.deduplicated + stats.total_dropped() + stats.suppressed,
        );
    }

    let mut group = c.benchmark_group("flood: cost per failing call, 2 threads");
    for distinct in [1usize, 10_000, 100_000, 1_000_000] {
        let cursor = AtomicUsize::new(0);
        group.bench_with_input(BenchmarkId::new("distinct messages", distinct), &distinct, |b, &distinct| {
            b.iter_custom(|calls| two_threads(distinct, calls, &cursor))
        });
    }
    group.finish();
    drop(guard);
}

criterion_group!(benches, flood);
criterion_main!(benches);
