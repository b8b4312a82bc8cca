//! Each sink's own queue and task, what is held back when its queue is full,
//! and what is counted when a sink does not take a batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::sink::{Batch, Sink, SinkError, SinkErrorKind};
use crate::stats::{DropReason, RecordKind};

use super::Shared;
use super::held::Held;

enum SinkMessage {
    Batch(Arc<Batch>),
    Flush(oneshot::Sender<()>),
    /// Read the statuses changed in the sink's store and apply them.
    SyncStatuses,
}

/// One sink's queue and task.
pub(super) struct SinkRunner {
    name: String,
    queue: mpsc::Sender<SinkMessage>,
    /// Records handed to this sink and not yet written or failed.
    in_flight: Arc<AtomicU64>,
    /// Audit records and group counts the queue had no room for.
    held: Held,
    /// Shared with the task: whether the worker holds records for this
    /// sink, so the task wakes the worker when it has made room.
    holding: Arc<AtomicBool>,
    /// Shared with the task: when a failing write stops being retried (the
    /// shutdown deadline; none before shutdown).
    give_up_at: Arc<Mutex<Option<Instant>>>,
    /// The most audit records offered again in one batch.
    batch_size: usize,
}

impl SinkRunner {
    /// Starts the sink's task on the worker's runtime.
    pub(super) fn spawn(sink: Box<dyn Sink>, capacity: usize, batch_size: usize, shared: Arc<Shared>) -> Self {
        let name = sink.name().to_owned();
        let (queue, mut receiver) = mpsc::channel(capacity);
        let in_flight = Arc::new(AtomicU64::new(0));
        let holding = Arc::new(AtomicBool::new(false));
        let give_up_at = Arc::new(Mutex::new(None));
        let task = Task { name: name.clone(), give_up_at: give_up_at.clone() };
        let (task_in_flight, task_holding) = (in_flight.clone(), holding.clone());
        tokio::spawn(async move {
            while let Some(message) = receiver.recv().await {
                match message {
                    SinkMessage::Batch(batch) => {
                        match task.write_until_stored(&*sink, &shared, &batch).await {
                            Written::All => {
                                shared.counters.delivered(&task.name, batch.events.len() as u64);
                                shared.counters.audits_delivered(&task.name, batch.audits.len() as u64);
                            }
                            Written::AuditsAndGroups => {
                                shared.counters.audits_delivered(&task.name, batch.audits.len() as u64);
                            }
                            Written::None => {}
                        }
                        task_in_flight.fetch_sub(records(&batch), Relaxed);
                        // Room was made: what waits for it may come.
                        if task_holding.load(Relaxed) || shared.audits.has_waiting() {
                            shared.nudge_worker();
                        }
                    }
                    SinkMessage::SyncStatuses => {
                        match sink.status_changes().await {
                            Ok(changes) => shared.groups.apply_stored_statuses(changes),
                            Err(error) => report_sink_error(&task.name, &error, "reading the statuses changed in it"),
                        }
                        match sink.acknowledged_alerts().await {
                            Ok(Some(alerts)) => *shared.acknowledged_alerts.lock() = Some(alerts),
                            Ok(None) => {}
                            Err(error) => report_sink_error(&task.name, &error, "reading its acknowledged alerts"),
                        }
                    }
                    SinkMessage::Flush(done) => {
                        if let Err(error) = sink.flush().await {
                            report_sink_error(&task.name, &error, "its flush failed");
                        }
                        let _ = done.send(());
                    }
                }
            }
        });
        SinkRunner { name, queue, in_flight, held: Held::default(), holding, give_up_at, batch_size }
    }

    /// True when this sink can take more audit records now: nothing is held
    /// for it and its queue has room. The worker takes audit records from
    /// their queue only then.
    pub(super) fn takes_audits(&self) -> bool {
        self.held.audits() == 0 && self.queue.capacity() > 0
    }

    /// Offers a batch without waiting. When the queue is full, its audit
    /// records and group counts are held to be offered again; its events
    /// (samples of counted groups) are a counted drop.
    pub(super) fn offer(&mut self, batch: Arc<Batch>, shared: &Shared) {
        self.in_flight.fetch_add(records(&batch), Relaxed);
        // Behind what is held, never ahead of it: audit records keep their order.
        if self.held.is_empty()
            && let Ok(permit) = self.queue.try_reserve()
        {
            permit.send(SinkMessage::Batch(batch));
            return;
        }
        self.in_flight.fetch_sub(batch.events.len() as u64, Relaxed);
        count_lost(shared, &samples_of(&batch), |record| DropReason::SinkQueueFull { sink: self.name.clone(), record });
        self.held.hold(&batch);
        self.pump();
    }

    /// Offers what is held again, as far as the queue has room.
    pub(super) fn pump(&mut self) {
        while !self.held.is_empty() {
            let Ok(permit) = self.queue.try_reserve() else { break };
            if let Some(batch) = self.held.next_batch(self.batch_size) {
                permit.send(SinkMessage::Batch(Arc::new(batch)));
            }
        }
        self.holding.store(!self.held.is_empty(), Relaxed);
    }

    /// Offers what is held again, waiting for room until `deadline`
    /// (before a flush and at shutdown).
    pub(super) async fn pump_until(&mut self, deadline: Instant) {
        while !self.held.is_empty() {
            let reserved = tokio::time::timeout_at(deadline.into(), self.queue.reserve()).await;
            let Ok(Ok(permit)) = reserved else { break };
            if let Some(batch) = self.held.next_batch(self.batch_size) {
                permit.send(SinkMessage::Batch(Arc::new(batch)));
            }
        }
        self.holding.store(!self.held.is_empty(), Relaxed);
    }

    /// From now on a failing write is retried only until `deadline`.
    pub(super) fn give_up_at(&self, deadline: Instant) {
        *self.give_up_at.lock() = Some(deadline);
    }

    /// Asks the sink to make what it has durable; the answer comes on the
    /// returned channel, if the request found room before `deadline`.
    pub(super) async fn request_flush(&self, deadline: Instant) -> Option<oneshot::Receiver<()>> {
        let (done, wait) = oneshot::channel();
        let sent = tokio::time::timeout_at(deadline.into(), self.queue.send(SinkMessage::Flush(done))).await;
        matches!(sent, Ok(Ok(()))).then_some(wait)
    }

    /// Asks the sink's task to pick up statuses changed in its store, after
    /// the batches already queued; skipped when the queue is full (the next
    /// interval asks again).
    pub(super) fn sync_statuses(&self) {
        let _ = self.queue.try_send(SinkMessage::SyncStatuses);
    }

    /// Records handed to the sink and not yet written, forgotten from now on.
    pub(super) fn take_in_flight(&self) -> u64 {
        self.in_flight.swap(0, Relaxed)
    }
}

/// The sink task's own settings.
struct Task {
    name: String,
    give_up_at: Arc<Mutex<Option<Instant>>>,
}

impl Task {
    /// Writes `batch`. When a write fails (a locked or full store, a lost
    /// connection), its audit records and group counts are tried again
    /// until written or until the shutdown deadline, since neither can be
    /// taken again from anywhere; its events and record of notifications
    /// (samples of counted groups) are counted as lost at the first failure,
    /// as before. Data the sink rejects as invalid would fail again and is
    /// not retried. Returns what became of the batch, for the counts.
    async fn write_until_stored(&self, sink: &dyn Sink, shared: &Shared, batch: &Batch) -> Written {
        const FIRST_WAIT: Duration = Duration::from_millis(20);
        const LONGEST_WAIT: Duration = Duration::from_secs(1);
        let error = match sink.write(batch).await {
            Ok(()) => return Written::All,
            Err(error) => error,
        };
        self.count_lost(shared, &samples_of(batch), &error);
        let kept = Batch {
            events: Vec::new(),
            groups: batch.groups.clone(),
            audits: batch.audits.clone(),
            notifications: Vec::new(),
            calls: batch.calls.clone(),
        };
        if kept.is_empty() || error.kind == SinkErrorKind::Rejected {
            self.count_lost(shared, &kept, &error);
            return Written::None;
        }
        let mut wait = FIRST_WAIT;
        let mut error = error;
        loop {
            let now = Instant::now();
            let give_up_at = *self.give_up_at.lock();
            let pause = match give_up_at {
                Some(at) if at <= now => {
                    self.count_lost(shared, &kept, &error);
                    return Written::None;
                }
                Some(at) => wait.min(at - now),
                None => wait,
            };
            report_sink_error(&self.name, &error, "retrying its audit records and group counts");
            tokio::time::sleep(pause).await;
            wait = (wait * 2).min(LONGEST_WAIT);
            match sink.write(&kept).await {
                Ok(()) => return Written::AuditsAndGroups,
                Err(again) if again.kind == SinkErrorKind::Rejected => {
                    self.count_lost(shared, &kept, &again);
                    return Written::None;
                }
                Err(again) => error = again,
            }
        }
    }

    fn count_lost(&self, shared: &Shared, batch: &Batch, error: &SinkError) {
        count_lost(shared, batch, |record| DropReason::Sink { sink: self.name.clone(), record, kind: error.kind });
        if !batch.is_empty() {
            report_sink_error(&self.name, error, "counted as dropped");
        }
    }
}

/// What of a batch a sink wrote.
enum Written {
    All,
    /// Its events and notifications were lost, the rest written on a retry.
    AuditsAndGroups,
    None,
}

/// The events and the record of notifications of `batch`.
fn samples_of(batch: &Batch) -> Batch {
    Batch {
        events: batch.events.clone(),
        notifications: batch.notifications.clone(),
        groups: Vec::new(),
        audits: Vec::new(),
        calls: Vec::new(),
    }
}

/// Events and audit records: what a sink's in-flight count tracks.
fn records(batch: &Batch) -> u64 {
    (batch.events.len() + batch.audits.len()) as u64
}

/// Counts what a sink did not take from `batch`, by kind of record.
fn count_lost(shared: &Shared, batch: &Batch, reason: impl Fn(RecordKind) -> DropReason) {
    for (record, n) in [
        (RecordKind::Event, batch.events.len()),
        (RecordKind::Audit, batch.audits.len()),
        (RecordKind::Notification, batch.notifications.len()),
    ] {
        shared.counters.drop_events(&reason(record), n as u64);
    }
}

/// Sink failures go to stderr at most once a minute per sink, so a dead disk
/// does not flood the host's logs; the counts are always in `stats()`.
/// `outcome` says what became of the batch.
pub(super) fn report_sink_error(name: &str, error: &SinkError, outcome: &str) {
    use std::collections::HashMap;
    static LAST_REPORT: Mutex<Option<HashMap<String, Instant>>> = Mutex::new(None);
    let mut last = LAST_REPORT.lock();
    let last = last.get_or_insert_with(HashMap::new);
    let now = Instant::now();
    if last.get(name).is_none_or(|at| now.duration_since(*at) > Duration::from_secs(60)) {
        last.insert(name.to_owned(), now);
        eprintln!("monitor: sink `{name}` failed ({outcome}): {error}");
    }
}
