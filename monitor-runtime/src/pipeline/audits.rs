//! The hand-off of audit records from the caller's thread to the worker.
//!
//! Every audit record goes to the worker (none is deduplicated), and waking
//! the worker's thread for each one cost more than everything else `audit()`
//! does. So records have a bounded queue of their own that the worker never
//! waits on, which makes a send a push and nothing more: the worker takes
//! the records in batches, on its tick (when it hands batches to the sinks
//! anyway), before a flush or a shutdown, and when a caller nudges it because
//! the queue is filling up. A full queue still makes `audit()` wait a bounded
//! time for room, after a nudge, and every record the queue accepted is
//! either handed to the sinks or counted as dropped.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use crate::audit::record::AuditRecord;

use super::{Message, Refused};

/// The audit records' queue, shared by every caller.
pub(super) struct AuditQueue {
    sender: flume::Sender<AuditRecord>,
    /// Records pushed and not yet taken by the worker (an upper bound: it is
    /// raised before a push and lowered after the worker takes them).
    waiting: AtomicUsize,
    /// The caller whose record makes this many waiting nudges the worker.
    nudge_at: usize,
}

/// The worker's end.
pub(super) struct AuditIntake {
    receiver: flume::Receiver<AuditRecord>,
}

impl AuditQueue {
    /// A queue of `capacity` records whose callers nudge the worker once
    /// `batch_size` records (or half the queue) are waiting.
    pub(super) fn new(capacity: usize, batch_size: usize) -> (Self, AuditIntake) {
        let (sender, receiver) = flume::bounded(capacity);
        let nudge_at = batch_size.min(capacity / 2).max(1);
        (AuditQueue { sender, waiting: AtomicUsize::new(0), nudge_at }, AuditIntake { receiver })
    }

    /// Queues `record`, waiting at most `timeout` for room in a full queue.
    /// `nudge` wakes the worker (it sends a message on the main queue).
    pub(super) fn push(&self, record: AuditRecord, timeout: Duration, nudge: impl Fn()) -> Result<(), Refused> {
        let waiting = self.waiting.fetch_add(1, Relaxed) + 1;
        let result = match self.sender.try_send(record) {
            Ok(()) => {
                if waiting == self.nudge_at {
                    nudge();
                }
                Ok(())
            }
            Err(flume::TrySendError::Full(record)) => {
                nudge();
                wait_for_room(&self.sender, record, timeout)
            }
            Err(flume::TrySendError::Disconnected(_)) => Err(Refused::ShutDown),
        };
        if result.is_err() {
            self.waiting.fetch_sub(1, Relaxed);
        }
        result
    }

    /// For async callers: like [`AuditQueue::push`], but a wait for room
    /// runs on Tokio's blocking pool when there is a runtime.
    pub(super) async fn push_async(
        &self,
        record: AuditRecord,
        timeout: Duration,
        nudge: impl Fn(),
    ) -> Result<(), Refused> {
        let waiting = self.waiting.fetch_add(1, Relaxed) + 1;
        let result = match self.sender.try_send(record) {
            Ok(()) => {
                if waiting == self.nudge_at {
                    nudge();
                }
                Ok(())
            }
            Err(flume::TrySendError::Full(record)) => {
                nudge();
                let sender = self.sender.clone();
                let wait = move || wait_for_room(&sender, record, timeout);
                match tokio::runtime::Handle::try_current() {
                    Ok(handle) => handle.spawn_blocking(wait).await.unwrap_or(Err(Refused::Full)),
                    Err(_) => wait(),
                }
            }
            Err(flume::TrySendError::Disconnected(_)) => Err(Refused::ShutDown),
        };
        if result.is_err() {
            self.waiting.fetch_sub(1, Relaxed);
        }
        result
    }

    /// Records accepted that no worker will take any more (called once the
    /// worker has stopped, when its end of the queue is gone).
    pub(super) fn left_behind(&self) -> u64 {
        self.sender.len() as u64
    }

    /// The message that wakes the worker to take the records.
    pub(super) fn nudge_message() -> Message {
        Message::TakeAudits
    }
}

impl AuditIntake {
    /// Takes the next record waiting, in the order they were queued.
    pub(super) fn take(&self, queue: &AuditQueue) -> Option<AuditRecord> {
        let record = self.receiver.try_recv().ok()?;
        queue.waiting.fetch_sub(1, Relaxed);
        Some(record)
    }
}

fn wait_for_room(sender: &flume::Sender<AuditRecord>, record: AuditRecord, timeout: Duration) -> Result<(), Refused> {
    match sender.send_timeout(record, timeout) {
        Ok(()) => Ok(()),
        Err(flume::SendTimeoutError::Timeout(_)) => Err(Refused::Full),
        Err(flume::SendTimeoutError::Disconnected(_)) => Err(Refused::ShutDown),
    }
}
