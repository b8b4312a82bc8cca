//! A busy timeout longer than SQLite can express is clamped to the longest it
//! can, instead of panicking inside the SQLite binding at `install()`.
#![cfg(feature = "sqlite")]

use std::time::Duration;

use monitor_runtime::{Monitor, Severity, capture_message};
use monitor_sinks::sqlite::{MAX_BUSY_TIMEOUT, SqliteOptions, SqliteSink, SqliteStore};

const THIRTY_DAYS: Duration = Duration::from_secs(30 * 24 * 60 * 60);

#[test]
fn the_longest_busy_timeout_is_what_sqlite_can_count_in_i32_milliseconds() {
    assert_eq!(MAX_BUSY_TIMEOUT, Duration::from_millis(2_147_483_647));
    let options = |busy_timeout| SqliteOptions { busy_timeout, ..SqliteOptions::default() };
    assert_eq!(options(Duration::MAX).effective_busy_timeout(), MAX_BUSY_TIMEOUT);
    assert_eq!(options(THIRTY_DAYS).effective_busy_timeout(), MAX_BUSY_TIMEOUT);
    assert_eq!(options(MAX_BUSY_TIMEOUT).effective_busy_timeout(), MAX_BUSY_TIMEOUT);
    assert_eq!(options(Duration::from_secs(5)).effective_busy_timeout(), Duration::from_secs(5));
}

#[test]
fn a_store_opens_with_a_busy_timeout_of_thirty_days_or_duration_max() {
    let dir = tempfile::tempdir().unwrap();
    for (name, busy_timeout) in [("max.db", Duration::MAX), ("thirty-days.db", THIRTY_DAYS)] {
        let options = SqliteOptions { busy_timeout, ..SqliteOptions::default() };
        let opened = SqliteStore::open_with(dir.path().join(name), &options);
        assert!(opened.is_ok(), "{busy_timeout:?}: {opened:?}");
    }
}

#[test]
fn a_sink_with_a_busy_timeout_of_duration_max_installs_and_stores() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("monitor.db");
    let sink = SqliteSink::new(&path).busy_timeout(Duration::MAX);
    let guard = Monitor::builder().sink(sink).install().expect("a huge busy timeout is clamped, not refused");
    capture_message("stored with a huge busy timeout", Severity::Info);
    guard.shutdown();
    assert_eq!(SqliteStore::open(&path).unwrap().event_count().unwrap(), 1);
}
