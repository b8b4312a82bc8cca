//! Retention on a schedule: a thread of the sink's own applies the policy
//! every interval, off the callers' and the worker's threads, and keeps
//! what the last run did where anyone holding a [`RetentionStatus`] can
//! read it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::{RetentionPolicy, RetentionReport, StoreError};

/// When a sink applies its [`RetentionPolicy`]: every `interval` (default
/// hourly), the first time `first_run_after` (default one minute, at most
/// `interval`) after the sink starts.
///
/// ```
/// use std::time::Duration;
/// use monitor_sinks::store::{RetentionPolicy, RetentionSchedule};
///
/// let schedule = RetentionSchedule::new(RetentionPolicy::default()).every(Duration::from_secs(600));
/// assert_eq!(schedule.first_run_after, Duration::from_secs(60));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionSchedule {
    /// What to remove.
    pub policy: RetentionPolicy,
    /// Time between runs.
    pub interval: Duration,
    /// Time from the sink's start to the first run.
    pub first_run_after: Duration,
}

impl RetentionSchedule {
    /// `policy` hourly, first a minute after start.
    pub fn new(policy: RetentionPolicy) -> Self {
        RetentionSchedule { policy, interval: Duration::from_secs(3600), first_run_after: Duration::from_secs(60) }
    }

    /// Runs every `interval` (at least 10 ms), the first run no later than
    /// one interval after start.
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(10));
        self.first_run_after = self.first_run_after.min(self.interval);
        self
    }
}

/// What a sink's scheduled retention did last, shared with whoever asked
/// for it (the sink's `retention_status()`, taken before it is installed).
#[derive(Clone, Debug, Default)]
pub struct RetentionStatus {
    inner: Arc<Mutex<(u64, Option<RetentionRun>)>>,
}

/// One scheduled run: when it started and what it did (or why it failed).
#[derive(Clone, Debug, PartialEq)]
pub struct RetentionRun {
    /// When the run started (the `now` of its policy).
    pub started: SystemTime,
    /// What it removed, or why it could not.
    pub outcome: Result<RetentionReport, StoreError>,
}

impl RetentionStatus {
    /// The last finished run, if any yet.
    pub fn last_run(&self) -> Option<RetentionRun> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).1.clone()
    }

    /// How many runs have finished.
    pub fn runs(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).0
    }

    fn record(&self, run: RetentionRun) {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.0 += 1;
        inner.1 = Some(run);
    }
}

/// The running schedule; dropping it stops the thread (a run in progress
/// stops after its current transaction).
#[derive(Debug)]
pub(crate) struct RetentionTask {
    stop: Arc<AtomicBool>,
    _wake: Sender<()>,
}

impl Drop for RetentionTask {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Dropping the sender wakes the thread from its wait.
    }
}

/// One run of a policy at a time; it checks the flag between transactions
/// and stops when it is set.
pub(crate) type Runner =
    Box<dyn FnMut(&RetentionPolicy, SystemTime, &AtomicBool) -> Result<RetentionReport, StoreError> + Send>;

/// Starts the schedule's thread, named after `sink`.
pub(crate) fn spawn(
    sink: &str,
    schedule: RetentionSchedule,
    status: RetentionStatus,
    mut run: Runner,
) -> Result<RetentionTask, StoreError> {
    let stop = Arc::new(AtomicBool::new(false));
    let (wake, wait) = mpsc::channel::<()>();
    let stopping = stop.clone();
    std::thread::Builder::new()
        .name(format!("monitor-{sink}-retention"))
        .spawn(move || {
            let mut pause = schedule.first_run_after.min(schedule.interval);
            loop {
                match wait.recv_timeout(pause) {
                    Err(RecvTimeoutError::Timeout) => {}
                    // The task was dropped (the sink is gone), or woken to stop.
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                if stopping.load(Ordering::Relaxed) {
                    return;
                }
                let started = SystemTime::now();
                let outcome = run(&schedule.policy, started, &stopping);
                status.record(RetentionRun { started, outcome });
                pause = schedule.interval;
            }
        })
        .map_err(|error| StoreError {
            kind: monitor_runtime::SinkErrorKind::Other,
            message: format!("starting the {sink} sink's retention thread failed: {error}"),
        })?;
    Ok(RetentionTask { stop, _wake: wake })
}
