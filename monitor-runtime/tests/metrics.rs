//! Timings and counts reach whatever `metrics` recorder the host installed.

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use monitor_runtime::{Monitor, monitor};

#[monitor]
fn settle(fail: bool) -> Result<(), String> {
    if fail { Err("settlement refused".into()) } else { Ok(()) }
}

#[test]
fn calls_and_durations_are_published_with_labels() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();
    let guard = Monitor::builder().install().unwrap();
    for i in 0..5 {
        let _ = settle(i == 4);
    }
    guard.shutdown();

    let mut ok = None;
    let mut errors = None;
    let mut durations = 0;
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let labels: Vec<(String, String)> =
            key.key().labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
        if !labels.contains(&("function".to_owned(), "settle".to_owned())) {
            continue;
        }
        match (key.key().name(), value) {
            ("monitor_calls_total", DebugValue::Counter(n)) if labels.contains(&("outcome".into(), "ok".into())) => {
                ok = Some(n)
            }
            ("monitor_calls_total", DebugValue::Counter(n)) if labels.contains(&("outcome".into(), "error".into())) => {
                errors = Some(n)
            }
            ("monitor_call_duration_seconds", DebugValue::Histogram(values)) => durations = values.len(),
            _ => {}
        }
    }
    assert_eq!(ok, Some(4));
    assert_eq!(errors, Some(1));
    assert_eq!(durations, 5);
}
