//! Each sink's own queue and task, and what is counted when a sink does
//! not take a batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::sink::{Batch, Sink, SinkError};
use crate::stats::{DropReason, RecordKind};

use super::Shared;

enum SinkMessage {
    Batch(Arc<Batch>),
    Flush(oneshot::Sender<()>),
}

/// One sink's queue and task.
pub(super) struct SinkRunner {
    name: String,
    queue: mpsc::Sender<SinkMessage>,
    /// Records handed to this sink and not yet written or failed.
    in_flight: Arc<AtomicU64>,
}

impl SinkRunner {
    /// Starts the sink's task on the worker's runtime.
    pub(super) fn spawn(sink: Box<dyn Sink>, capacity: usize, shared: Arc<Shared>) -> Self {
        let name = sink.name().to_owned();
        let (queue, mut receiver) = mpsc::channel(capacity);
        let in_flight = Arc::new(AtomicU64::new(0));
        let task_in_flight = in_flight.clone();
        tokio::spawn(async move {
            let name = sink.name().to_owned();
            while let Some(message) = receiver.recv().await {
                match message {
                    SinkMessage::Batch(batch) => {
                        match sink.write(&batch).await {
                            Ok(()) => {
                                shared.counters.delivered(&name, batch.events.len() as u64);
                                shared.counters.audits_delivered(&name, batch.audits.len() as u64);
                            }
                            Err(error) => {
                                count_lost(&shared, &batch, |record| DropReason::Sink {
                                    sink: name.clone(),
                                    record,
                                    kind: error.kind,
                                });
                                report_sink_error(&name, &error);
                            }
                        }
                        task_in_flight.fetch_sub(records(&batch), Relaxed);
                    }
                    SinkMessage::Flush(done) => {
                        if let Err(error) = sink.flush().await {
                            report_sink_error(&name, &error);
                        }
                        let _ = done.send(());
                    }
                }
            }
        });
        SinkRunner { name, queue, in_flight }
    }

    /// Offers a batch without waiting; a full queue is a counted drop.
    pub(super) fn offer(&self, batch: &Arc<Batch>, shared: &Shared) {
        self.in_flight.fetch_add(records(batch), Relaxed);
        if self.queue.try_send(SinkMessage::Batch(batch.clone())).is_err() {
            self.in_flight.fetch_sub(records(batch), Relaxed);
            count_lost(shared, batch, |record| DropReason::SinkQueueFull { sink: self.name.clone(), record });
        }
    }

    /// Asks the sink to make what it has durable; the answer comes on the
    /// returned channel, if the request found room before `deadline`.
    pub(super) async fn request_flush(&self, deadline: Instant) -> Option<oneshot::Receiver<()>> {
        let (done, wait) = oneshot::channel();
        let sent = tokio::time::timeout_at(deadline.into(), self.queue.send(SinkMessage::Flush(done))).await;
        matches!(sent, Ok(Ok(()))).then_some(wait)
    }

    /// Records handed to the sink and not yet written, forgotten from now on.
    pub(super) fn take_in_flight(&self) -> u64 {
        self.in_flight.swap(0, Relaxed)
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
fn report_sink_error(name: &str, error: &SinkError) {
    use parking_lot::Mutex;
    use std::collections::HashMap;
    static LAST_REPORT: Mutex<Option<HashMap<String, Instant>>> = Mutex::new(None);
    let mut last = LAST_REPORT.lock();
    let last = last.get_or_insert_with(HashMap::new);
    let now = Instant::now();
    if last.get(name).is_none_or(|at| now.duration_since(*at) > Duration::from_secs(60)) {
        last.insert(name.to_owned(), now);
        eprintln!("monitor: sink `{name}` failed, events are counted as dropped: {error}");
    }
}
