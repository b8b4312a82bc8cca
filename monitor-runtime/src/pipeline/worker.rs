//! The worker: one named thread that scrubs events, batches them, hands
//! each batch to every sink's own task and each alert notification to its
//! destination's notifier.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::alerting::Notification;
use crate::audit::record::AuditRecord;
use crate::calls::CallCounts;
use crate::event::{Event, GroupSnapshot};
use crate::notify::{Notifiers, NotifyError};
use crate::scrub::Scrubber;
use crate::sink::{Batch, Sink};
use crate::stats::DropReason;

use super::audits::AuditIntake;
use super::calls::CallTally;
use super::evaluator::Evaluator;
use super::sinks::SinkRunner;
use super::{Message, Shared};

pub(super) struct WorkerConfig {
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub status_sync_interval: Duration,
    pub fleet: Option<Arc<dyn crate::alerting::FleetSource>>,
    /// Where summaries are read from, and when each is due.
    pub summaries: Option<Arc<dyn crate::summary::SummarySource>>,
    pub summary_plan: super::summaries::SummaryPlan,
    pub sink_queue_capacity: usize,
    pub scrubber: Scrubber,
    pub evaluator: Evaluator,
}

/// The worker's ends of its two queues.
pub(super) struct Intake {
    pub messages: flume::Receiver<Message>,
    pub quiet_events: flume::Receiver<Box<Event>>,
    pub audits: AuditIntake,
}

pub(super) fn spawn(
    shared: Arc<Shared>,
    intake: Intake,
    sinks: Vec<Box<dyn Sink>>,
    config: WorkerConfig,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // Built here so that a failure is an install error, not a dead thread.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // The call counters now, during install: calls made before it are not
    // the monitor's to report, calls made after it are, however soon the
    // worker thread starts.
    let calls = CallTally::new(&crate::callsite::callsites(), shared.now());
    std::thread::Builder::new().name("monitor-worker".to_owned()).spawn(move || {
        runtime.block_on(Worker::new(shared, intake, sinks, config, calls).run());
        // A sink's write still running on the blocking pool (a store
        // waiting out a lock) finishes on its own: the shutdown deadline
        // has passed, and whatever it held was counted.
        runtime.shutdown_background();
    })
}

struct Worker {
    shared: Arc<Shared>,
    receiver: flume::Receiver<Message>,
    quiet_events: flume::Receiver<Box<Event>>,
    audits: AuditIntake,
    sinks: Vec<Box<dyn Sink>>,
    runners: Vec<SinkRunner>,
    pending: Vec<Arc<Event>>,
    pending_audits: Vec<Arc<AuditRecord>>,
    /// Calls per function and minute, and the counts ready to hand on.
    calls: CallTally,
    pending_calls: Vec<CallCounts>,
    /// An extra look at the alert rules before the next tick, if one is due.
    next_alert_look: Option<tokio::time::Instant>,
    config: WorkerConfig,
}

impl Worker {
    fn new(
        shared: Arc<Shared>,
        intake: Intake,
        sinks: Vec<Box<dyn Sink>>,
        config: WorkerConfig,
        calls: CallTally,
    ) -> Self {
        Worker {
            shared,
            receiver: intake.messages,
            audits: intake.audits,
            quiet_events: intake.quiet_events,
            sinks,
            runners: Vec::new(),
            pending: Vec::new(),
            pending_audits: Vec::new(),
            calls,
            pending_calls: Vec::new(),
            next_alert_look: None,
            config,
        }
    }

    async fn run(mut self) {
        let capacity = self.config.sink_queue_capacity;
        self.runners = std::mem::take(&mut self.sinks)
            .into_iter()
            .map(|sink| SinkRunner::spawn(sink, capacity, self.config.batch_size, self.shared.clone()))
            .collect();
        let mut tick = tokio::time::interval(self.config.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let sync_every = self.config.status_sync_interval;
        self.note_fleet_window();
        if let Some(source) = self.config.fleet.clone() {
            tokio::spawn(super::fleet::lead_the_fleet(source, self.shared.clone(), sync_every));
        }
        let mut status_sync = tokio::time::interval_at(tokio::time::Instant::now() + sync_every, sync_every);
        status_sync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
                    self.take_quiet_events();
                    self.take_audits();
                    self.shared.maintain_groups();
                    self.shared.counters.publish(&self.shared.stats());
                    self.dispatch();
                    self.send_due_summaries();
                }
                message = self.receiver.recv_async() => match message {
                    Ok(Message::Flush(done)) => {
                        let deadline = Instant::now() + Duration::from_secs(30);
                        self.take_quiet_events();
                        self.take_every_audit();
                        self.shared.maintain_groups();
                        self.dispatch_all();
                        self.send_due_summaries();
                        self.flush_all(deadline, false).await;
                        let _ = done.send(());
                    }
                    Ok(Message::Shutdown { deadline, done }) => {
                        self.stop(deadline).await;
                        let _ = done.send(());
                        return;
                    }
                    Ok(message) => self.take(message),
                    Err(flume::RecvError::Disconnected) => {
                        self.stop(Instant::now() + Duration::from_secs(5)).await;
                        return;
                    }
                },
                () = sleep_until(look_at) => self.dispatch(),
                _ = status_sync.tick() => self.runners.iter().for_each(SinkRunner::sync_statuses),
            }
        }
    }

    /// Takes a message that needs no waiting (every kind but flush and shutdown).
    fn take(&mut self, message: Message) {
        match message {
            Message::Event(event) => self.accept(*event),
            Message::TakeAudits => self.take_audits(),
            Message::Heartbeat { name, at } => self.config.evaluator.on_heartbeat(&name, at),
            Message::Alerts(config, notifiers) => self.reload_alerts(*config, *notifiers),
            // Answered at once: whoever waits for them is served by what follows.
            Message::Flush(done) | Message::Shutdown { done, .. } => {
                let _ = done.send(());
            }
        }
    }

    fn accept(&mut self, mut event: Event) {
        // Resolved here, once, off the caller's thread; a stack with
        // nothing left once the monitor's frames are trimmed is no stack.
        event.backtrace = event.backtrace.take().filter(|backtrace| !backtrace.is_empty());
        let event = self.config.scrubber.scrub_event(event);
        self.config.evaluator.on_event(&event);
        if self.config.evaluator.wants_prompt_look(&event) {
            self.next_alert_look = Some(tokio::time::Instant::now());
        }
        self.pending.push(Arc::new(event));
        self.dispatch_if_full();
    }

    /// The last look before the worker stops: everything queued, every audit
    /// record accepted (the queue is closed first, and callers inside a push
    /// are waited for), then everything handed on and written by `deadline`.
    async fn stop(&mut self, deadline: Instant) {
        for runner in &self.runners {
            runner.give_up_at(deadline);
        }
        self.drain();
        self.take_quiet_events();
        self.shared.audits.close();
        loop {
            // Sealed first, then taken: whatever was pushed before the seal
            // is in the queue now. A caller waiting for room gets it as
            // records are taken.
            let sealed = self.shared.audits.is_sealed();
            self.take_every_audit();
            if sealed || Instant::now() >= deadline {
                break;
            }
            std::thread::yield_now();
        }
        self.shared.maintain_groups();
        self.dispatch_last();
        self.flush_all(deadline, true).await;
        self.shared.retire_notifiers(deadline);
    }

    /// Takes the events queued without a wake-up (see `Shared::submit_quiet`).
    fn take_quiet_events(&mut self) {
        while let Ok(event) = self.quiet_events.try_recv() {
            self.accept(*event);
        }
    }

    /// Takes the audit records waiting in their queue, as far as every sink
    /// has room for them: a slow store leaves them queued, and `audit()`
    /// waits for room (its bound, then `QueueTimeout`) rather than having
    /// its records dropped further on.
    fn take_audits(&mut self) {
        for runner in &mut self.runners {
            runner.pump();
        }
        loop {
            // Checked at each batch's start: a batch once begun is finished,
            // and what a full queue cannot take is held, not lost.
            if self.pending_audits.is_empty() && !self.runners.iter().all(SinkRunner::takes_audits) {
                return;
            }
            let Some(record) = self.audits.take(&self.shared.audits) else { return };
            self.accept_audit(record);
        }
    }

    /// Takes every audit record waiting, room or not, before a flush: what
    /// the sinks' queues cannot take is held and offered as they make room.
    fn take_every_audit(&mut self) {
        while let Some(record) = self.audits.take(&self.shared.audits) {
            self.accept_audit(record);
        }
    }

    fn accept_audit(&mut self, mut record: AuditRecord) {
        // The derived code already masked what was marked; this catches what was not.
        self.config.scrubber.scrub_audit(&mut record);
        self.config.evaluator.on_audit(&record);
        self.pending_audits.push(Arc::new(record));
        self.dispatch_if_full();
    }

    /// A full batch goes out at once, without group counters (they follow on the tick).
    fn dispatch_if_full(&mut self) {
        if self.pending.len() + self.pending_audits.len() >= self.config.batch_size {
            self.offer_pending(Vec::new(), Vec::new());
        }
    }

    fn reload_alerts(&mut self, config: crate::alerts::AlertConfig, notifiers: Notifiers) {
        let retired = self.shared.notifiers.swap(Arc::new(notifiers));
        // A removed destination's notifier delivers or spools what it holds
        // when dropped, which may take a moment: not on this thread.
        let _ = std::thread::Builder::new().name("monitor-retire".to_owned()).spawn(move || drop(retired));
        let now = self.shared.now();
        self.config.summary_plan =
            super::summaries::SummaryPlan::new(&config.summaries, now, Some(&self.config.summary_plan));
        let notifications = self.config.evaluator.reload(config);
        self.note_fleet_window();
        self.offer_pending(Vec::new(), notifications);
    }

    /// Starts sending each summary that is due, on a task of its own.
    fn send_due_summaries(&mut self) {
        let Some(source) = &self.config.summaries else { return };
        for (summary, since, until) in self.config.summary_plan.take_due(self.shared.now()) {
            tokio::spawn(super::summaries::send_summary(source.clone(), self.shared.clone(), summary, since, until));
        }
    }

    /// Tells the fleet task how far back the fleet rules in force look.
    fn note_fleet_window(&self) {
        let window = self.config.evaluator.fleet_window().map_or(0, |w| w.as_millis() as u64);
        self.shared.fleet_window_ms.store(window, std::sync::atomic::Ordering::Relaxed);
    }

    /// Takes whatever is still queued, answering flushes on the way.
    fn drain(&mut self) {
        while let Ok(message) = self.receiver.try_recv() {
            self.take(message);
        }
    }

    /// Hands pending events, changed group counters and the notifications
    /// due from the alert rules on.
    fn dispatch(&mut self) {
        self.dispatch_calls(false);
    }

    /// A dispatch that also hands on the current minute's calls so far:
    /// what a flush or the last dispatch owes the sinks.
    fn dispatch_all(&mut self) {
        self.dispatch_calls(true);
    }

    fn dispatch_calls(&mut self, with_current_minute: bool) {
        let wants_calls = self.config.evaluator.wants_calls();
        // Every call site's counters, every tick: storage keeps calls per
        // function and minute whether or not a rule looks at them.
        let mut look = self.shared.look(true);
        let finished = self.calls.observe(&look.callsites, self.shared.now());
        self.pending_calls.extend(finished);
        if with_current_minute {
            let so_far = self.calls.take();
            self.pending_calls.extend(so_far);
        }
        for group in &mut look.groups {
            self.config.scrubber.scrub_group(group);
        }
        self.config.evaluator.on_groups(&look.groups);
        if let Some(look) = self.shared.fleet_look.lock().take() {
            self.config.evaluator.on_fleet(&look);
        }
        if let Some(acknowledged) = self.shared.acknowledged_alerts.lock().take() {
            self.config.evaluator.set_acknowledged(acknowledged);
        }
        let notifications = self.config.evaluator.evaluate(if wants_calls { &look.callsites } else { &[] });
        self.offer_pending(look.groups, notifications);
        // A router timer due before the next tick gets a look of its own, so
        // a short group_wait is not rounded up to the flush interval.
        self.next_alert_look = self
            .config
            .evaluator
            .next_due_in()
            // Due already yet not sent (muted, say): the tick is soon enough,
            // and looking again at once would only spin.
            .filter(|wait| !wait.is_zero() && *wait < self.config.flush_interval)
            .map(|wait| tokio::time::Instant::now() + wait);
    }

    /// The last dispatch before the worker stops: what the router still
    /// holds goes too, rather than vanishing with the process.
    fn dispatch_last(&mut self) {
        self.dispatch_all();
        let held = self.config.evaluator.release_held();
        self.offer_pending(Vec::new(), held);
    }

    /// Hands each notification to its destination's notifier, then the
    /// batch (with a record of the notifications) to every sink.
    fn offer_pending(&mut self, groups: Vec<GroupSnapshot>, notifications: Vec<Arc<Notification>>) {
        self.notify(&notifications);
        let batch = Batch {
            events: std::mem::take(&mut self.pending),
            groups,
            audits: std::mem::take(&mut self.pending_audits),
            notifications,
            calls: std::mem::take(&mut self.pending_calls),
        };
        if batch.is_empty() {
            return;
        }
        self.shared.counters.written(batch.events.len() as u64);
        if self.runners.is_empty() {
            return;
        }
        let batch = Arc::new(batch);
        for runner in &mut self.runners {
            runner.offer(batch.clone(), &self.shared);
        }
    }

    fn notify(&self, notifications: &[Arc<Notification>]) {
        if notifications.is_empty() {
            return;
        }
        let notifiers = self.shared.notifiers.load();
        for notification in notifications {
            // A destination a reload removed while the router held one of
            // its notifications has no notifier any more.
            let refused = match notifiers.get(&notification.destination) {
                Some(notifier) => notifier.notify(notification.clone()).err(),
                None => Some(NotifyError::Stopped),
            };
            if let Some(error) = refused {
                let destination = notification.destination.clone();
                self.shared.counters.drop_events(&DropReason::Notification { destination, error }, 1);
            }
        }
    }

    /// Asks every sink and notifier to write out what it has, waiting
    /// until `deadline`. At shutdown, records still not written then are
    /// counted as `shutdown_deadline`.
    async fn flush_all(&mut self, deadline: Instant, shutting_down: bool) {
        for runner in &mut self.runners {
            runner.pump_until(deadline).await;
        }
        let mut waits = Vec::new();
        for runner in &self.runners {
            if let Some(wait) = runner.request_flush(deadline).await {
                waits.push(wait);
            }
        }
        let notifiers: Vec<_> = self.shared.notifiers.load().all().cloned().collect();
        let flushes: Vec<_> =
            notifiers.into_iter().map(|notifier| tokio::spawn(async move { notifier.flush().await })).collect();
        for wait in waits {
            let _ = tokio::time::timeout_at(deadline.into(), wait).await;
        }
        for flush in flushes {
            let _ = tokio::time::timeout_at(deadline.into(), flush).await;
        }
        if shutting_down {
            for runner in &self.runners {
                self.shared.counters.drop_events(&DropReason::ShutdownDeadline, runner.take_in_flight());
            }
        }
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
