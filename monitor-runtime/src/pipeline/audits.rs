//! The hand-off of audit records from the caller's thread to the worker.
//!
//! Every audit record goes to the worker (none is deduplicated), and waking
//! the worker's thread for each one cost more than everything else `audit()`
//! does. So records have a bounded queue of their own that the worker never
//! waits on, which makes a send a push and nothing more: the worker takes
//! the records in batches, on its tick (when it hands batches to the sinks
//! anyway), before a flush or a shutdown, and when a caller nudges it because
//! the queue is filling up. A full queue still makes `audit()` wait a bounded
//! time for room, after a nudge. The worker takes records only while every
//! sink has room for them, so a slow store pushes back on `audit()` instead
//! of dropping what it accepted.
//!
//! At shutdown the queue is closed before the worker's last look: a caller
//! that saw the monitor installed and is still pushing is waited for, so
//! every record `audit()` accepted is taken by the worker.

use std::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed};
use std::time::Duration;

use crate::audit::record::AuditRecord;

use super::Refused;

/// The audit records' queue, shared by every caller.
pub(super) struct AuditQueue {
    sender: flume::Sender<AuditRecord>,
    /// Records pushed and not yet taken by the worker (an upper bound: it is
    /// raised before a push and lowered after the worker takes them).
    waiting: AtomicUsize,
    /// The caller whose record makes this many waiting nudges the worker.
    nudge_at: usize,
    /// Callers inside a push, plus [`CLOSED`] once the worker stopped taking
    /// new records: the worker's last look waits until no push is under way.
    pushers: AtomicUsize,
}

/// The bit of [`AuditQueue::pushers`] that says the queue is closed.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// What a push without waiting did.
// Lives for one call on the caller's stack; boxing the record would cost an
// allocation on the path this queue exists to make cheap.
#[allow(clippy::large_enum_variant)]
enum Attempt {
    Done(Result<(), Refused>),
    Full(AuditRecord),
}

/// The worker's end.
pub(super) struct AuditIntake {
    receiver: flume::Receiver<AuditRecord>,
}

impl AuditQueue {
    /// A queue of `capacity` records whose callers nudge the worker once
    /// half the queue is waiting. Until then records wait for the worker's
    /// tick: a caller recording an audit event then does no more than a
    /// push, and the worker does not free records on another core while
    /// the caller allocates the next ones.
    pub(super) fn new(capacity: usize) -> (Self, AuditIntake) {
        let (sender, receiver) = flume::bounded(capacity);
        let nudge_at = (capacity / 2).max(1);
        (
            AuditQueue { sender, waiting: AtomicUsize::new(0), nudge_at, pushers: AtomicUsize::new(0) },
            AuditIntake { receiver },
        )
    }

    /// Queues `record`, waiting at most `timeout` for room in a full queue.
    /// `nudge` wakes the worker (it sends a message on the main queue).
    pub(super) fn push(&self, record: AuditRecord, timeout: Duration, nudge: impl Fn()) -> Result<(), Refused> {
        let Some(_pushing) = self.enter() else {
            return Err(Refused::ShutDown);
        };
        let result = match self.try_push(record, &nudge) {
            Attempt::Done(result) => result,
            Attempt::Full(record) => wait_for_room(&self.sender, record, timeout),
        };
        self.settle(result)
    }

    /// Registers a push under way, unless the queue is closed.
    fn enter(&self) -> Option<Pushing<'_>> {
        if self.pushers.fetch_add(1, Acquire) & CLOSED != 0 {
            self.pushers.fetch_sub(1, Relaxed);
            return None;
        }
        Some(Pushing(&self.pushers))
    }

    /// Refuses every push from now on (they return `ShutDown`).
    pub(super) fn close(&self) {
        self.pushers.fetch_or(CLOSED, AcqRel);
    }

    /// True once the queue is closed and no push is under way: nothing can
    /// be added to the queue any more.
    pub(super) fn is_sealed(&self) -> bool {
        self.pushers.load(Acquire) == CLOSED
    }

    /// True when records wait for the worker.
    pub(super) fn has_waiting(&self) -> bool {
        !self.sender.is_empty()
    }

    /// For async callers: like [`AuditQueue::push`], but a wait for room
    /// runs on Tokio's blocking pool when there is a runtime.
    pub(super) async fn push_async(
        &self,
        record: AuditRecord,
        timeout: Duration,
        nudge: impl Fn(),
    ) -> Result<(), Refused> {
        let Some(_pushing) = self.enter() else {
            return Err(Refused::ShutDown);
        };
        let result = match self.try_push(record, &nudge) {
            Attempt::Done(result) => result,
            Attempt::Full(record) => {
                let sender = self.sender.clone();
                let wait = move || wait_for_room(&sender, record, timeout);
                match tokio::runtime::Handle::try_current() {
                    Ok(handle) => handle.spawn_blocking(wait).await.unwrap_or(Err(Refused::Full)),
                    Err(_) => wait(),
                }
            }
        };
        self.settle(result)
    }

    /// The push without waiting: a full queue nudges the worker, which
    /// makes room, and gives the record back to wait with.
    fn try_push(&self, record: AuditRecord, nudge: &dyn Fn()) -> Attempt {
        let waiting = self.waiting.fetch_add(1, Relaxed) + 1;
        match self.sender.try_send(record) {
            Ok(()) => {
                // Exactly one caller sees each rise through the mark.
                if waiting == self.nudge_at {
                    nudge();
                }
                Attempt::Done(Ok(()))
            }
            Err(flume::TrySendError::Full(record)) => {
                nudge();
                Attempt::Full(record)
            }
            Err(flume::TrySendError::Disconnected(_)) => Attempt::Done(Err(Refused::ShutDown)),
        }
    }

    /// A refused record was counted as waiting: it is not.
    fn settle(&self, result: Result<(), Refused>) -> Result<(), Refused> {
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
}

/// A push under way; leaving it (even by a panic) lowers the count.
struct Pushing<'a>(&'a AtomicUsize);

impl Drop for Pushing<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, AcqRel);
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
