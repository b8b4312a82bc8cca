//! The guard returned by `install()`: flush on demand, shut down on drop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::{Message, Policy, Shared, set_current};
use crate::stats::{DropReason, Stats};

/// Serialises install and uninstall so two threads cannot both install.
pub(super) static INSTALL_LOCK: Mutex<()> = Mutex::new(());

/// Keeps the monitor installed. Dropping it stops capturing, hands what is
/// queued to the sinks and waits for them at most the shutdown timeout: it
/// never hangs, and what could not be written in time is counted as
/// `shutdown_deadline`.
#[must_use = "the monitor is uninstalled as soon as the guard is dropped"]
pub struct MonitorGuard {
    shared: Arc<Shared>,
    worker: Option<std::thread::JoinHandle<()>>,
    shutdown_timeout: Duration,
}

impl MonitorGuard {
    pub(super) fn new(shared: Arc<Shared>, worker: std::thread::JoinHandle<()>, shutdown_timeout: Duration) -> Self {
        MonitorGuard { shared, worker: Some(worker), shutdown_timeout }
    }

    /// Hands everything captured so far to the sinks and waits until they
    /// have written it, or until `timeout`. Returns true if they finished.
    ///
    /// ```
    /// let guard = monitor_runtime::Monitor::builder().install().unwrap();
    /// monitor_runtime::capture_message("flushed", monitor_runtime::Severity::Info);
    /// assert!(guard.flush(std::time::Duration::from_secs(5)));
    /// ```
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = deadline_after(timeout);
        let (done, wait) = flume::bounded(1);
        if self.shared.submit(Message::Flush(done), Policy::Wait(timeout)).is_err() {
            return false;
        }
        wait.recv_deadline(deadline).is_ok()
    }

    /// The same as [`crate::stats`], for this monitor.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Shuts down like dropping the guard does, and returns the final counts
    /// (with `installed: false`).
    ///
    /// ```
    /// let guard = monitor_runtime::Monitor::builder().install().unwrap();
    /// monitor_runtime::capture_message("last words", monitor_runtime::Severity::Info);
    /// let stats = guard.shutdown();
    /// assert_eq!(stats.written, 1);
    /// assert!(!stats.installed);
    /// ```
    pub fn shutdown(mut self) -> Stats {
        self.shut_down();
        Stats { installed: false, ..self.shared.stats() }
    }

    fn shut_down(&mut self) {
        if self.worker.is_none() {
            return;
        }
        {
            let _install = INSTALL_LOCK.lock();
            set_current(None);
        }
        let deadline = deadline_after(self.shutdown_timeout);
        let (done, wait) = flume::bounded(1);
        let sent = self.shared.submit(Message::Shutdown { deadline, done }, Policy::Wait(self.shutdown_timeout));
        let finished =
            sent.is_ok() && wait.recv_deadline(deadline_after_instant(deadline, Duration::from_millis(50))).is_ok();
        let worker = self.worker.take();
        if finished {
            if let Some(worker) = worker {
                let _ = worker.join();
            }
            // Records a racing `audit()` queued after the worker's last look
            // (it had seen the monitor installed): the worker's end of their
            // queue is gone, so no more can come, and these are counted.
            let left = self.shared.audits.left_behind();
            self.shared.counters.drop_events(&DropReason::AuditShutDown, left);
            let quiet = self.shared.quiet_events_left();
            self.shared.counters.drop_events(&DropReason::ShutDown, quiet);
        } else {
            // The worker is stuck (in a sink that ignores its own timeouts);
            // it is left to finish on its own rather than hang the host.
            let queued =
                self.shared.sender.len() as u64 + self.shared.audits.left_behind() + self.shared.quiet_events_left();
            self.shared.counters.drop_events(&DropReason::ShutdownDeadline, queued);
            eprintln!(
                "monitor: shutdown deadline of {:?} passed before the sinks finished; unwritten events are counted as dropped",
                self.shutdown_timeout
            );
        }
    }
}

impl Drop for MonitorGuard {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// `timeout` from now; a timeout past the clock's range (`Duration::MAX`)
/// means as long as it takes, within a horizon no timer overflows.
fn deadline_after(timeout: Duration) -> Instant {
    deadline_after_instant(Instant::now(), timeout)
}

fn deadline_after_instant(at: Instant, timeout: Duration) -> Instant {
    const HORIZON: Duration = Duration::from_secs(30 * 365 * 86_400);
    at.checked_add(timeout.min(HORIZON)).unwrap_or(at)
}
