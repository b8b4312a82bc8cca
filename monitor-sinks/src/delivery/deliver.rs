//! One destination's delivery task: takes notifications in order, tries
//! each with retries and pacing, and keeps in the spool whatever cannot go
//! yet.
//!
//! Order is kept by one rule: while the spool holds anything, new
//! notifications are appended to it rather than sent, and the spool is
//! replayed from its oldest record. Only one notification is in flight at a
//! time, so pacing is exact and a retry never overtakes a newer message.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use monitor_runtime::alerting::Notification;
use tokio::sync::{mpsc, oneshot};

use crate::delivery::attempt::Attempt;
use crate::delivery::backlog::Backlog;
use crate::delivery::breaker::{Breaker, State};
use crate::delivery::clock::later;
use crate::delivery::config::{Endpoint, Kind, Plan};
use crate::delivery::format;
use crate::delivery::options::DeliveryOptions;
use crate::delivery::pacing::Pacer;
use crate::delivery::retry::RetryPolicy;
use crate::delivery::stats::{Counters, DropReason};
use crate::spool::{AppendError, Payload, SPOOL_VERSION, Spool, SpoolRecord};

/// Asked of the task by its sink.
#[derive(Debug)]
pub(crate) enum Control {
    /// Deliver what can be within the flush budget (the spool's backlog
    /// too, while the destination answers), spool the rest, then answer.
    Flush(oneshot::Sender<()>),
}

type AttemptFuture = Pin<Box<dyn Future<Output = (Instant, Attempt)> + Send>>;

/// The notification being delivered.
struct Current {
    record: Arc<SpoolRecord>,
    /// It is the spool's head: it stays there until delivered.
    from_spool: bool,
    /// The circuit was open: one attempt decides whether it closes.
    probe: bool,
    /// An Alertmanager's firing alerts posted again: never queued, counted
    /// or spooled, as the next resend carries them anyway.
    resend: bool,
    failures: u32,
    attempt: AttemptFuture,
}

pub(crate) struct Delivery {
    plan: Arc<Plan>,
    policy: RetryPolicy,
    flush_budget: std::time::Duration,
    breaker: Breaker,
    pacer: Pacer,
    spool: Spool,
    counters: Arc<Counters>,
    current: Option<Current>,
    /// Flushes waiting for an answer, and when they must have one.
    flush: Option<(Instant, Vec<oneshot::Sender<()>>)>,
    /// An Alertmanager's alerts firing now, posted again every interval.
    firing: Option<Firing>,
}

/// What an Alertmanager destination keeps firing there.
struct Firing {
    every: std::time::Duration,
    next: Option<Instant>,
    /// The latest notification of each alert firing, by its identity.
    alerts: std::collections::BTreeMap<(String, monitor_runtime::alerting::Labels), Arc<Notification>>,
}

impl Delivery {
    pub(crate) fn new(plan: Arc<Plan>, options: &DeliveryOptions, counters: Arc<Counters>) -> std::io::Result<Self> {
        let mut spool = Spool::open(&options.spool_dir, &plan.destination, &plan.fingerprint, options.spool_max_bytes)?;
        counters.dropped(DropReason::SpoolCorrupt, spool.take_corrupt());
        counters.set_spool_other_version(spool.other_version());
        for notice in spool.take_notices() {
            // Each is found once, at start, and needs a person: always printed.
            eprintln!("monitor: delivery to `{}`: {notice}", plan.destination);
            counters.spool_notice(notice);
        }
        let delivery = Delivery {
            policy: options.retry,
            flush_budget: options.flush_budget,
            breaker: Breaker::new(options.breaker),
            pacer: Pacer::new(plan.kind.min_interval(), plan.kind == Kind::Discord),
            spool,
            counters,
            current: None,
            flush: None,
            firing: (plan.kind == Kind::Alertmanager).then(|| Firing {
                every: options.alertmanager_resend,
                next: None,
                alerts: Default::default(),
            }),
            plan,
        };
        // A backlog left by an earlier run is being replayed from the start:
        // whoever waits for idleness waits for it.
        delivery.publish_spool();
        Ok(delivery)
    }

    /// Runs until the sink is dropped, then spools what is left.
    pub(crate) async fn run(
        mut self,
        mut items: mpsc::Receiver<Arc<Notification>>,
        mut control: mpsc::UnboundedReceiver<Control>,
    ) {
        loop {
            self.pick_next(&mut items);
            // The circuit may have closed or opened since: the backlog's
            // state as waiters see it follows.
            self.publish_spool();
            self.answer_flushes_if_settled(&items);
            let holding = self.breaker.holds(Instant::now());
            // While the spool holds anything (or the circuit is open), new
            // notifications join it, so they are never held back in memory.
            let take_items = self.current.is_none() || !self.spool.is_empty() || holding;
            let reopen = if self.current.is_none() { self.breaker.reopens_at() } else { None };
            let flush_at = self.flush.as_ref().map(|(at, _)| *at);
            let sync_at = self.spool.sync_due();
            let resend_at = self.firing.as_ref().and_then(|firing| firing.next);
            tokio::select! {
                biased;
                message = control.recv() => match message {
                    Some(Control::Flush(done)) => self.start_flush(done, &items),
                    None => break,
                },
                () = sleep_until(flush_at) => self.flush_deadline_passed(&mut items),
                (started, attempt) = poll_attempt(&mut self.current) => self.finished(started, attempt, &mut items),
                item = items.recv(), if take_items => match item {
                    Some(notification) => self.accept(&notification),
                    None => break,
                },
                () = sleep_until(reopen) => {}
                () = sleep_until(sync_at) => self.sync(),
                () = sleep_until(resend_at) => self.resend_firing(),
            }
        }
        self.stop(&mut items);
    }

    /// Starts the next notification when nothing is in flight: the spool's
    /// oldest record first, then the queue.
    fn pick_next(&mut self, items: &mut mpsc::Receiver<Arc<Notification>>) {
        let now = Instant::now();
        if self.current.is_some() || self.breaker.holds(now) {
            return;
        }
        let probe = matches!(self.breaker.state(), State::Open(_));
        loop {
            let head = match self.spool.head() {
                Ok(head) => head.cloned(),
                Err(error) => {
                    self.report(format!("cannot read the spool: {error}"));
                    None
                }
            };
            self.counters.dropped(DropReason::SpoolCorrupt, self.spool.take_corrupt());
            if let Some(record) = head {
                if record.target != self.plan.kind.as_str() || !matches_endpoint(&record.payload, &self.plan.endpoint) {
                    self.counters.dropped(DropReason::TargetChanged, 1);
                    self.advance_spool();
                    continue;
                }
                self.begin(Arc::new(record), true, probe, None);
                return;
            }
            if !self.spool.is_empty() {
                return;
            }
            let Ok(notification) = items.try_recv() else { return };
            match self.render(&notification) {
                Ok(record) => {
                    self.begin(Arc::new(record), false, probe, None);
                    return;
                }
                Err(why) => {
                    self.counters.dropped(DropReason::RenderFailed, 1);
                    self.report(why);
                    self.counters.left_memory();
                }
            }
        }
    }

    /// A notification arrived from the queue.
    fn accept(&mut self, notification: &Arc<Notification>) {
        let record = match self.render(notification) {
            Ok(record) => record,
            Err(why) => {
                self.counters.dropped(DropReason::RenderFailed, 1);
                self.report(why);
                self.counters.left_memory();
                return;
            }
        };
        let now = Instant::now();
        if self.current.is_none() && self.spool.is_empty() && !self.breaker.holds(now) {
            let probe = matches!(self.breaker.state(), State::Open(_));
            self.begin(Arc::new(record), false, probe, None);
        } else {
            self.spool_record(&record);
            self.counters.left_memory();
        }
    }

    fn begin(&mut self, record: Arc<SpoolRecord>, from_spool: bool, probe: bool, retry_at: Option<Instant>) {
        let attempt = self.attempt(record.clone(), retry_at);
        self.current = Some(Current { record, from_spool, probe, resend: false, failures: 0, attempt });
    }

    /// Posts an Alertmanager's firing alerts again, all in one body, when
    /// nothing else is going: otherwise what is in flight or spooled is
    /// newer, and the next interval tries again.
    fn resend_firing(&mut self) {
        let now = Instant::now();
        let Some(firing) = self.firing.as_mut() else { return };
        firing.next = (!firing.alerts.is_empty()).then(|| later(now, firing.every));
        if firing.alerts.is_empty() || self.current.is_some() || !self.spool.is_empty() || self.breaker.holds(now) {
            return;
        }
        self.post_firing();
    }

    /// One request with every firing alert, to end four intervals later.
    #[cfg(feature = "webhook")]
    fn post_firing(&mut self) {
        let Some(firing) = self.firing.as_ref() else { return };
        let body = crate::webhook::alertmanager::render_all(
            firing.alerts.values().map(|n| n.as_ref()),
            &self.plan.render,
            firing.every,
        );
        let record = Arc::new(SpoolRecord {
            v: SPOOL_VERSION,
            destination: self.plan.destination.clone(),
            key: format!("resend-{}", format::rfc3339(SystemTime::now())),
            target: self.plan.kind.as_str().to_owned(),
            rendered_at: format::rfc3339(SystemTime::now()),
            payload: Payload::Http { body },
        });
        let probe = matches!(self.breaker.state(), State::Open(_));
        let attempt = self.attempt(record.clone(), None);
        self.current = Some(Current { record, from_spool: false, probe, resend: true, failures: 0, attempt });
    }

    #[cfg(not(feature = "webhook"))]
    fn post_firing(&mut self) {}

    /// Keeps an Alertmanager's firing alerts up to date: a firing
    /// notification replaces the alert's last, a resolve removes it.
    fn track_firing(&mut self, notification: &Arc<Notification>) {
        let Some(firing) = self.firing.as_mut() else { return };
        let alert = &notification.alert;
        // What tells one alert from another there: the rule and its labels.
        let identity = (&alert.rule, &alert.labels);
        if notification.alert.state == monitor_runtime::alerting::AlertState::Firing {
            firing.alerts.insert((identity.0.clone(), identity.1.clone()), notification.clone());
            firing.next.get_or_insert_with(|| later(Instant::now(), firing.every));
        } else {
            firing.alerts.remove(&(identity.0.clone(), identity.1.clone()));
        }
    }

    /// One attempt, after the pacing (and any retry wait) allows it.
    fn attempt(&self, record: Arc<SpoolRecord>, retry_at: Option<Instant>) -> AttemptFuture {
        let plan = self.plan.clone();
        let start = retry_at.max(self.pacer.next_start());
        Box::pin(async move {
            // Only a start in the future sleeps: the timer rounds up to the
            // next millisecond, which would cap delivery at 1,000 a second.
            if let Some(start) = start.filter(|at| *at > Instant::now()) {
                tokio::time::sleep_until(start.into()).await;
            }
            let started = Instant::now();
            (started, send(&plan, &record.payload).await)
        })
    }

    fn finished(&mut self, started: Instant, attempt: Attempt, items: &mut mpsc::Receiver<Arc<Notification>>) {
        let Some(mut current) = self.current.take() else { return };
        let now = Instant::now();
        match attempt {
            Attempt::Sent(limit) => {
                self.pacer.sent(started, limit);
                self.breaker.success();
                // An empty bucket for longer than max_wait: what comes next
                // waits in the spool, not in memory.
                if let Some(until) = self.paced_too_far(now) {
                    self.breaker.pause_until(until);
                }
                self.done_with(&current, |this| this.counters.sent(current.from_spool));
            }
            Attempt::Rejected(why) => {
                self.pacer.sent(started, Default::default());
                // The destination is up; this notification will never go.
                self.breaker.success();
                if current.resend {
                    self.report(format!("resending the firing alerts refused: {why}"));
                }
                self.done_with(&current, |this| {
                    this.counters.dropped(DropReason::Rejected, 1);
                    this.report(format!("notification {} refused, dropped: {why}", current.record.key));
                });
            }
            Attempt::Gone(why) => {
                self.breaker.disable();
                let message = format!(
                    "{} {why}: the webhook no longer exists; destination disabled until restart, \
                     notifications kept in the spool",
                    self.plan.shown
                );
                self.counters.disable(message.clone());
                // Always printed: somebody has to fix the configuration.
                eprintln!("monitor: delivery to `{}`: {message}", self.plan.destination);
                self.counters.failed(message);
                self.keep(&current);
                self.spool_queue(items);
            }
            Attempt::Retry { wait, limit, why } => {
                self.pacer.sent(started, limit);
                if let Some(wait) = wait {
                    self.pacer.not_before(later(now, wait));
                }
                current.failures += 1;
                let exhausted = current.probe || current.failures >= self.policy.attempts();
                let paced = self.paced_too_far(now);
                let too_long = wait.is_some_and(|w| w > self.policy.longest_wait()) || paced.is_some();
                if exhausted || too_long {
                    self.breaker.trip(now, wait);
                    if let Some(until) = paced {
                        self.breaker.pause_until(until);
                    }
                    self.report(format!(
                        "{} {why} ({} attempts); spooled, circuit open",
                        self.plan.shown, current.failures
                    ));
                    self.keep(&current);
                    self.spool_queue(items);
                } else {
                    self.counters.retried();
                    self.counters.failed(format!("{} {why}; retrying", self.plan.shown));
                    let retry_at = later(now, self.policy.wait(current.failures, wait));
                    current.attempt = self.attempt(current.record.clone(), Some(retry_at));
                    self.current = Some(current);
                }
            }
        }
    }

    /// When the pacing allows the next request only after more than
    /// `max_wait` (a server's long rate limit).
    fn paced_too_far(&self, now: Instant) -> Option<Instant> {
        self.pacer.next_start().filter(|at| *at > later(now, self.policy.longest_wait()))
    }

    /// The current notification is finished with (delivered or dropped),
    /// in this order: the spool moves past it, `count` records the outcome,
    /// and only then does it leave the in-memory count. Whoever sees the
    /// outcome counted sees the spool without it, and whoever sees the
    /// queue empty (`wait_idle`, `queued`) sees the outcome.
    fn done_with(&mut self, current: &Current, count: impl FnOnce(&mut Self)) {
        if current.resend {
            return;
        }
        if current.from_spool {
            self.advance_spool();
        }
        count(self);
        if current.from_spool {
            // Last, as leaving memory is for the others: whoever sees the
            // backlog settled sees this outcome counted.
            self.publish_spool();
        } else {
            self.counters.left_memory();
        }
    }

    /// The current notification could not go: it waits in the spool
    /// (counted as spooled, or dropped when the spool refuses it) before it
    /// leaves the in-memory count.
    fn keep(&mut self, current: &Current) {
        if !current.from_spool && !current.resend {
            self.spool_record(&current.record);
            self.counters.left_memory();
        }
    }

    /// Everything waiting in memory goes to the spool, in order.
    fn spool_queue(&mut self, items: &mut mpsc::Receiver<Arc<Notification>>) {
        while let Ok(notification) = items.try_recv() {
            match self.render(&notification) {
                Ok(record) => self.spool_record(&record),
                Err(why) => {
                    self.counters.dropped(DropReason::RenderFailed, 1);
                    self.report(why);
                }
            }
            self.counters.left_memory();
        }
    }

    fn spool_record(&mut self, record: &SpoolRecord) {
        match self.spool.append(record) {
            Ok(()) => self.counters.spooled(),
            Err(AppendError::Full) => {
                self.counters.dropped(DropReason::SpoolFull, 1);
                self.report("the spool is full; notification dropped".to_owned());
            }
            Err(AppendError::Io(error)) => {
                self.counters.dropped(DropReason::SpoolError, 1);
                self.report(format!("cannot write the spool: {error}"));
            }
        }
        self.publish_spool();
    }

    /// Moves past the spool's head. The backlog's new state is published
    /// by the caller once the head's outcome is counted.
    fn advance_spool(&mut self) {
        if let Err(error) = self.spool.advance() {
            self.report(format!("cannot update the spool: {error}"));
        }
        self.counters.set_spool_pending(self.spool.pending());
    }

    fn sync(&mut self) {
        if let Err(error) = self.spool.sync() {
            self.report(format!("cannot sync the spool: {error}"));
        }
    }

    /// Nothing that is only in memory: everything was delivered or is in
    /// the spool.
    fn durable(&self, items: &mpsc::Receiver<Arc<Notification>>) -> bool {
        self.current.as_ref().is_none_or(|c| c.from_spool) && items.is_empty()
    }

    /// What the spool's records wait for now.
    fn backlog(&self) -> Backlog {
        if self.spool.is_empty() {
            return Backlog::Empty;
        }
        match self.breaker.state() {
            State::Disabled => Backlog::HeldForGood,
            State::Open(until) if Instant::now() < until => Backlog::HeldUntil(until),
            State::Open(_) | State::Closed => Backlog::Replaying,
        }
    }

    /// Tells the stats (and whoever waits for idleness) how many records
    /// the spool holds and what they wait for.
    fn publish_spool(&self) {
        self.counters.set_spool(self.spool.pending(), self.backlog());
    }

    /// A flush can be answered: nothing is only in memory, and the spool's
    /// backlog is delivered or cannot move before the flush deadline (the
    /// circuit is open past it). A backlog being replayed is waited for,
    /// within the budget: a process that flushes before it exits would
    /// otherwise end with the replay half done.
    fn settled(&self, items: &mpsc::Receiver<Arc<Notification>>) -> bool {
        let deadline = self.flush.as_ref().map(|(at, _)| *at);
        self.durable(items) && self.backlog().settled_by(deadline)
    }

    fn start_flush(&mut self, done: oneshot::Sender<()>, items: &mpsc::Receiver<Arc<Notification>>) {
        let deadline = later(Instant::now(), self.flush_budget);
        let (_, waiting) = self.flush.get_or_insert_with(|| (deadline, Vec::new()));
        waiting.push(done);
        self.answer_flushes_if_settled(items);
    }

    fn answer_flushes_if_settled(&mut self, items: &mpsc::Receiver<Arc<Notification>>) {
        if self.flush.is_some() && self.settled(items) {
            self.answer_flushes();
        }
    }

    /// The flush budget is spent: whatever is still in memory is spooled
    /// (an attempt in flight is abandoned; it may have arrived, which the
    /// notification key lets the receiver see).
    fn flush_deadline_passed(&mut self, items: &mut mpsc::Receiver<Arc<Notification>>) {
        if let Some(current) = self.current.take_if(|c| !c.from_spool) {
            self.keep(&current);
        }
        self.spool_queue(items);
        self.answer_flushes();
    }

    fn answer_flushes(&mut self) {
        self.sync();
        for done in self.flush.take().map(|(_, waiting)| waiting).unwrap_or_default() {
            let _ = done.send(());
        }
    }

    /// The sink is gone: keep what is left for the next start.
    fn stop(&mut self, items: &mut mpsc::Receiver<Arc<Notification>>) {
        items.close();
        if let Some(current) = self.current.take() {
            self.keep(&current);
        }
        self.spool_queue(items);
        self.answer_flushes();
    }

    fn render(&mut self, notification: &Arc<Notification>) -> Result<SpoolRecord, String> {
        self.track_firing(notification);
        let options = &self.plan.render;
        let payload = match &self.plan.endpoint {
            #[cfg(feature = "webhook")]
            Endpoint::Http(_) => match &self.plan.template {
                Some(template) => Payload::Templated {
                    content_type: template.encoding.content_type().to_owned(),
                    body: crate::webhook::templated::render(notification, template, options),
                },
                None => Payload::Http {
                    body: match self.plan.kind {
                        Kind::Slack => crate::webhook::slack::render(notification, options),
                        Kind::Discord => crate::webhook::discord::render(notification, options),
                        Kind::Teams => crate::webhook::teams::render(notification, options),
                        Kind::Alertmanager => crate::webhook::alertmanager::render(
                            notification,
                            options,
                            self.firing.as_ref().map_or(std::time::Duration::from_secs(60), |firing| firing.every),
                        ),
                        // A templated webhook has its template (above).
                        Kind::Webhook | Kind::TemplatedWebhook | Kind::Email => {
                            crate::webhook::generic::render(notification, options)
                        }
                    },
                },
            },
            #[cfg(feature = "email")]
            Endpoint::Email { from, to, .. } => Payload::Email {
                from: from.email.to_string(),
                to: to.iter().map(|m| m.email.to_string()).collect(),
                message: crate::email::message(notification, options, from, to)?,
            },
        };
        Ok(SpoolRecord {
            v: SPOOL_VERSION,
            destination: self.plan.destination.clone(),
            key: notification.key.clone(),
            target: self.plan.kind.as_str().to_owned(),
            rendered_at: format::rfc3339(SystemTime::now()),
            payload,
        })
    }

    fn report(&self, why: String) {
        let message = format!("monitor: delivery to `{}`: {why}", self.plan.destination);
        if self.counters.failed(why) {
            eprintln!("{message}");
        }
    }
}

fn matches_endpoint(payload: &Payload, endpoint: &Endpoint) -> bool {
    match endpoint {
        #[cfg(feature = "webhook")]
        Endpoint::Http(_) => matches!(payload, Payload::Http { .. } | Payload::Templated { .. }),
        #[cfg(feature = "email")]
        Endpoint::Email { .. } => matches!(payload, Payload::Email { .. }),
    }
}

async fn send(plan: &Plan, payload: &Payload) -> Attempt {
    match (&plan.endpoint, payload) {
        #[cfg(feature = "webhook")]
        (Endpoint::Http(sender), Payload::Http { body }) => sender.post(body).await,
        #[cfg(feature = "webhook")]
        (Endpoint::Http(sender), Payload::Templated { content_type, body }) => {
            sender.post_text(content_type, body).await
        }
        #[cfg(feature = "email")]
        (Endpoint::Email { server, .. }, Payload::Email { from, to, message }) => server.send(from, to, message).await,
        #[allow(unreachable_patterns)]
        _ => Attempt::Rejected("spooled for another kind of destination".to_owned()),
    }
}

/// Sleeps until `at`; forever without one (a `select!` branch that is off).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn poll_attempt(current: &mut Option<Current>) -> (Instant, Attempt) {
    match current {
        Some(current) => current.attempt.as_mut().await,
        None => std::future::pending().await,
    }
}
