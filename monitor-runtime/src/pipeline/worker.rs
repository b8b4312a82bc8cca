//! The worker: one named thread that scrubs events, batches them and hands
//! each batch to every sink's own task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::event::{Batch, Event};
use crate::scrub::Scrubber;
use crate::sink::Sink;
use crate::stats;

use super::alerting::Alerting;
use super::{Message, Shared};

pub(super) struct WorkerConfig {
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub sink_queue_capacity: usize,
    pub scrubber: Scrubber,
    pub alerting: Alerting,
}

pub(super) fn spawn(
    shared: Arc<Shared>,
    receiver: flume::Receiver<Message>,
    sinks: Vec<Box<dyn Sink>>,
    config: WorkerConfig,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // Built here so that a failure is an install error, not a dead thread.
    // I/O is enabled because delivery sinks (HTTP, SMTP) run their tasks here.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new()
        .name("monitor-worker".to_owned())
        .spawn(move || runtime.block_on(Worker::new(shared, receiver, sinks, config).run()))
}

enum SinkMessage {
    Batch(Arc<Batch>),
    Flush(oneshot::Sender<()>),
}

/// One sink's queue and task.
struct SinkRunner {
    name: String,
    /// The sink's own alert destination, if it serves only one.
    destination: Option<Arc<str>>,
    queue: mpsc::Sender<SinkMessage>,
    /// Events handed to this sink and not yet written or failed.
    in_flight: Arc<AtomicU64>,
}

impl SinkRunner {
    fn spawn(sink: Box<dyn Sink>, capacity: usize, shared: Arc<Shared>) -> Self {
        let name = sink.name().to_owned();
        let destination: Option<Arc<str>> = sink.alert_destination().map(Arc::from);
        let task_destination = destination.clone();
        let (queue, mut receiver) = mpsc::channel(capacity);
        let in_flight = Arc::new(AtomicU64::new(0));
        let task_in_flight = in_flight.clone();
        tokio::spawn(async move {
            let name = sink.name().to_owned();
            while let Some(message) = receiver.recv().await {
                match message {
                    SinkMessage::Batch(batch) => {
                        let events = batch.events.len() as u64;
                        let audits = batch.audits.len() as u64;
                        match sink.write(&batch).await {
                            Ok(()) => {
                                shared.counters.delivered(&name, events);
                                shared.counters.audits_delivered(&name, audits);
                            }
                            Err(error) => {
                                count_lost(&shared, &name, task_destination.as_deref(), error.kind.as_str(), &batch);
                                report_sink_error(&name, &error);
                            }
                        }
                        task_in_flight.fetch_sub(events + audits, Relaxed);
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
        SinkRunner { name, destination, queue, in_flight }
    }

    fn offer(&self, batch: &Arc<Batch>, shared: &Shared) {
        let events = batch.events.len() as u64;
        let audits = batch.audits.len() as u64;
        self.in_flight.fetch_add(events + audits, Relaxed);
        if self.queue.try_send(SinkMessage::Batch(batch.clone())).is_err() {
            self.in_flight.fetch_sub(events + audits, Relaxed);
            count_lost(shared, &self.name, self.destination.as_deref(), stats::SINK_QUEUE_FULL, batch);
        }
    }
}

/// Counts what a sink did not take from `batch`, by kind of record, under
/// `sink:reason`, `sink:audit_reason` and `sink:notification_reason`; a
/// sink of one alert destination loses only that destination's
/// notifications.
fn count_lost(shared: &Shared, sink: &str, destination: Option<&str>, reason: &str, batch: &Batch) {
    let notifications =
        batch.notifications.iter().filter(|n| destination.is_none_or(|mine| n.destination == mine)).count();
    shared.counters.drop_events(&format!("{sink}:{reason}"), batch.events.len() as u64);
    shared.counters.drop_events(&format!("{sink}:audit_{reason}"), batch.audits.len() as u64);
    shared.counters.drop_events(&format!("{sink}:notification_{reason}"), notifications as u64);
}

/// Sink failures go to stderr at most once a minute per sink, so a dead disk
/// does not flood the host's logs; the counts are always in `stats()`.
fn report_sink_error(name: &str, error: &crate::sink::SinkError) {
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

struct Worker {
    shared: Arc<Shared>,
    receiver: flume::Receiver<Message>,
    sinks: Vec<Box<dyn Sink>>,
    runners: Vec<SinkRunner>,
    pending: Vec<Arc<Event>>,
    pending_audits: Vec<Arc<crate::audit::AuditRecord>>,
    /// An extra look at the alert rules before the next tick, if one is due.
    next_alert_look: Option<tokio::time::Instant>,
    config: WorkerConfig,
}

impl Worker {
    fn new(
        shared: Arc<Shared>,
        receiver: flume::Receiver<Message>,
        sinks: Vec<Box<dyn Sink>>,
        config: WorkerConfig,
    ) -> Self {
        Worker {
            shared,
            receiver,
            sinks,
            runners: Vec::new(),
            pending: Vec::new(),
            pending_audits: Vec::new(),
            next_alert_look: None,
            config,
        }
    }

    async fn run(mut self) {
        let capacity = self.config.sink_queue_capacity;
        self.runners = std::mem::take(&mut self.sinks)
            .into_iter()
            .map(|sink| SinkRunner::spawn(sink, capacity, self.shared.clone()))
            .collect();
        let mut tick = tokio::time::interval(self.config.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let look_at = self.next_alert_look;
            // In this order: the tick, so a steady stream of events cannot
            // hold back the group counters and router timers; then the
            // events, so a burst is taken whole before a prompt look at the
            // rules, which therefore sends one batch for the burst, not one
            // per new group.
            tokio::select! {
                biased;
                _ = tick.tick() => {
                    self.shared.groups.evict_over_limit();
                    self.shared.counters.publish(&self.shared.stats());
                    self.dispatch();
                }
                message = self.receiver.recv_async() => match message {
                    Ok(Message::Event(event)) => self.accept(*event),
                    Ok(Message::Audit(record)) => self.accept_audit(*record),
                    Ok(Message::Heartbeat { name, at }) => self.config.alerting.on_heartbeat(&name, at),
                    Ok(Message::Alerts(config)) => self.reload_alerts(*config),
                    Ok(Message::Flush(done)) => {
                        self.dispatch();
                        self.flush_sinks(Instant::now() + Duration::from_secs(30), false).await;
                        let _ = done.send(());
                    }
                    Ok(Message::Shutdown { deadline, done }) => {
                        self.drain();
                        self.dispatch_last();
                        self.flush_sinks(deadline, true).await;
                        let _ = done.send(());
                        return;
                    }
                    Err(flume::RecvError::Disconnected) => {
                        self.dispatch_last();
                        self.flush_sinks(Instant::now() + Duration::from_secs(5), true).await;
                        return;
                    }
                },
                () = sleep_until(look_at) => self.dispatch(),
            }
        }
    }

    fn accept(&mut self, event: Event) {
        let event = scrub_event(&self.config.scrubber, event);
        self.config.alerting.on_event(&event);
        if self.config.alerting.wants_prompt_look(&event) {
            self.next_alert_look = Some(tokio::time::Instant::now());
        }
        self.pending.push(Arc::new(event));
        self.dispatch_if_full();
    }

    fn accept_audit(&mut self, mut record: crate::audit::AuditRecord) {
        // The derived code already masked what was marked; this catches what was not.
        for value in record.details.values_mut() {
            scrub_json(&self.config.scrubber, value);
        }
        self.config.alerting.on_audit(&record);
        self.pending_audits.push(Arc::new(record));
        self.dispatch_if_full();
    }

    /// A full batch goes out at once, without group counters (they follow on the tick).
    fn dispatch_if_full(&mut self) {
        if self.pending.len() + self.pending_audits.len() >= self.config.batch_size {
            self.offer_pending(Vec::new(), Vec::new());
        }
    }

    fn reload_alerts(&mut self, config: crate::alerts::AlertConfig) {
        let notifications = self.config.alerting.reload(config);
        self.offer_pending(Vec::new(), notifications);
    }

    /// Takes whatever is still queued, answering flushes on the way.
    fn drain(&mut self) {
        while let Ok(message) = self.receiver.try_recv() {
            match message {
                Message::Event(event) => self.accept(*event),
                Message::Audit(record) => self.accept_audit(*record),
                Message::Heartbeat { name, at } => self.config.alerting.on_heartbeat(&name, at),
                Message::Alerts(config) => self.reload_alerts(*config),
                Message::Flush(done) | Message::Shutdown { done, .. } => {
                    let _ = done.send(());
                }
            }
        }
    }

    /// Hands pending events, changed group counters and the notifications
    /// due from the alert rules to every sink.
    fn dispatch(&mut self) {
        let mut groups = self.shared.groups.take_dirty();
        for group in &mut groups {
            let clean = self.config.scrubber.scrub_text(&group.template).into_owned();
            group.template = clean;
        }
        self.config.alerting.on_groups(&groups);
        let notifications = self.config.alerting.evaluate();
        self.offer_pending(groups, notifications);
        // A router timer due before the next tick gets a look of its own, so
        // a short group_wait is not rounded up to the flush interval.
        self.next_alert_look = self
            .config
            .alerting
            .next_due_in()
            // Due already yet not sent (muted, say): the tick is soon enough,
            // and looking again at once would only spin.
            .filter(|wait| !wait.is_zero() && *wait < self.config.flush_interval)
            .map(|wait| tokio::time::Instant::now() + wait);
    }

    /// The last dispatch before the worker stops: what the router still
    /// holds goes too, rather than vanishing with the process.
    fn dispatch_last(&mut self) {
        self.dispatch();
        let held = self.config.alerting.release_held();
        self.offer_pending(Vec::new(), held);
    }

    fn offer_pending(
        &mut self,
        groups: Vec<crate::event::GroupSnapshot>,
        notifications: Vec<Arc<crate::rules::Notification>>,
    ) {
        let batch = Batch {
            events: std::mem::take(&mut self.pending),
            groups,
            audits: std::mem::take(&mut self.pending_audits),
            notifications,
        };
        self.offer(batch);
    }

    fn offer(&self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        let events = batch.events.len() as u64;
        self.shared.counters.written.fetch_add(events, Relaxed);
        if self.runners.is_empty() {
            return;
        }
        let batch = Arc::new(batch);
        for runner in &self.runners {
            runner.offer(&batch, &self.shared);
        }
    }

    /// Asks every sink to write out what it has, waiting until `deadline`.
    /// At shutdown, events still not written then are counted as
    /// `shutdown_deadline`.
    async fn flush_sinks(&self, deadline: Instant, shutting_down: bool) {
        let mut waits = Vec::new();
        for runner in &self.runners {
            let (done, wait) = oneshot::channel();
            let sent = tokio::time::timeout_at(deadline.into(), runner.queue.send(SinkMessage::Flush(done))).await;
            if matches!(sent, Ok(Ok(()))) {
                waits.push(wait);
            }
        }
        for wait in waits {
            let _ = tokio::time::timeout_at(deadline.into(), wait).await;
        }
        if !shutting_down {
            return;
        }
        for runner in &self.runners {
            let stuck = runner.in_flight.swap(0, Relaxed);
            self.shared.counters.drop_events(stats::SHUTDOWN_DEADLINE, stuck);
        }
    }
}

/// Applies the scrubber to every text of an event that a person or a sink
/// will read.
fn scrub_event(scrubber: &Scrubber, mut event: Event) -> Event {
    let text = |value: &mut String| set_if_changed(value, |v| changed(v, scrubber.scrub_text(v)));
    text(&mut event.message);
    text(&mut event.template);
    event.chain.iter_mut().for_each(|link| {
        text(link);
    });
    for (name, value) in &mut event.args {
        set_if_changed(value, |v| changed(v, scrubber.scrub_field(name, v)));
    }
    let mut context = (*event.context).clone();
    let mut any = false;
    for value in
        [&mut context.user, &mut context.trace_id, &mut context.service, &mut context.environment, &mut context.release]
            .into_iter()
            .flatten()
    {
        any |= text(value);
    }
    for (key, value) in &mut context.tags {
        any |= set_if_changed(value, |v| changed(v, scrubber.scrub_field(key, v)));
    }
    if any {
        event.context = Arc::new(context);
    }
    event
}

/// The scrubbed text, if it differs. A redaction may come back borrowed
/// (`[REDACTED]`), so this compares content rather than looking at the `Cow`.
fn changed(original: &str, scrubbed: std::borrow::Cow<'_, str>) -> Option<String> {
    (scrubbed != original).then(|| scrubbed.into_owned())
}

fn set_if_changed(value: &mut String, scrub: impl FnOnce(&str) -> Option<String>) -> bool {
    match scrub(value) {
        Some(clean) => {
            *value = clean;
            true
        }
        None => false,
    }
}

fn scrub_json(scrubber: &Scrubber, value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            set_if_changed(text, |v| changed(v, scrubber.scrub_text(v)));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| scrub_json(scrubber, item)),
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if let serde_json::Value::String(text) = item {
                    set_if_changed(text, |v| changed(v, scrubber.scrub_field(key, v)));
                } else {
                    scrub_json(scrubber, item);
                }
            }
        }
        _ => {}
    }
}

/// Sleeps until `at`; forever without one (a `select!` branch that is off).
/// An instant already past returns at once: Tokio's timer would first round
/// it up to its next millisecond tick, and a prompt look is meant to be
/// prompt.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) if at <= tokio::time::Instant::now() => {}
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
