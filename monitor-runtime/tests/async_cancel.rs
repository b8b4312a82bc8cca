//! A future dropped before it finished is counted as a cancellation, not as
//! a success, an error or a panic.

use std::time::Duration;

use monitor_runtime::{Monitor, callsites, monitor};

#[monitor]
async fn wait_for_bank(delay_ms: u64) -> Result<&'static str, std::io::Error> {
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    Ok("settled")
}

#[tokio::test]
async fn dropped_future_is_a_cancellation() {
    let guard = Monitor::builder().install().unwrap();

    let timed_out = tokio::time::timeout(Duration::from_millis(5), wait_for_bank(10_000)).await;
    assert!(timed_out.is_err());
    assert_eq!(wait_for_bank(1).await.unwrap(), "settled");
    // A future that is never polled never started: nothing to record.
    drop(wait_for_bank(1));

    let stats = callsites().into_iter().find(|s| s.function == "wait_for_bank").unwrap();
    assert_eq!(stats.cancellations, 1);
    assert_eq!(stats.calls, 2);
    assert_eq!((stats.errors, stats.panics), (0, 0));
    assert_eq!(guard.shutdown().captured, 0, "a cancellation is counted, not captured as an event");
}
