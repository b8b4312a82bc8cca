//! The sink the monitor's worker talks to: it only queues; its own thread
//! delivers.

use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use monitor_runtime::rules::Notification;
use monitor_runtime::{Batch, Sink, SinkError, SinkErrorKind, async_trait};
use tokio::sync::{mpsc, oneshot};

use crate::config::Plan;
use crate::deliver::{Control, Delivery};
use crate::options::DeliveryOptions;
use crate::stats::{Counters, DeliveryHandle, DeliveryStats, reason};

/// Delivers one destination's alert notifications: Slack, Discord, Teams,
/// a generic webhook or e-mail.
///
/// `write()` takes the batch's notifications for this destination, queues
/// them and returns at once. The sink's own thread delivers them, one at a
/// time and in order, with retries, pacing, a circuit breaker and a disk
/// spool (see the [crate docs](crate)). `flush()` answers within the flush
/// budget (1 s by default), having spooled whatever was not delivered by
/// then, so a restart loses nothing.
///
/// Each sink runs its own thread with a single-threaded Tokio runtime,
/// rather than tasks on the worker's runtime: the spool's file writes and
/// fsyncs block, and would stall the worker and every other sink; a
/// destination that hangs cannot slow another; and delivery outlives the
/// worker's shutdown deadline long enough to spool what is in flight.
///
/// ```no_run
/// use monitor_delivery::{sinks_for, DeliveryOptions};
/// use monitor_runtime::Monitor;
///
/// let config = monitor_runtime::alerts! {
///     destination ops_chat = slack("https://hooks.slack.com/services/T000/B000/XXXX");
///     rule too_many_errors { when errors(severity >= error) > 10 within 1h; notify ops_chat; }
/// };
/// let mut builder = Monitor::builder().alerts(config.clone());
/// let mut handles = Vec::new();
/// for sink in sinks_for(&config, &DeliveryOptions::new())? {
///     handles.push(sink.handle());
///     builder = builder.sink(sink);
/// }
/// let guard = builder.install()?;
/// // … later: what happened to each destination
/// for handle in &handles {
///     println!("{:?}", handle.stats());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DeliverySink {
    name: String,
    plan: Arc<Plan>,
    options: DeliveryOptions,
    counters: Arc<Counters>,
    runner: OnceLock<Result<Runner, SinkError>>,
}

/// The channels to the delivery thread.
struct Runner {
    items: mpsc::Sender<Arc<Notification>>,
    control: mpsc::UnboundedSender<Control>,
    thread: Option<JoinHandle<()>>,
    /// Told when the thread is done (a mutex only to make the sink `Sync`).
    finished: parking_lot::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl std::fmt::Debug for DeliverySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverySink")
            .field("destination", &self.plan.destination)
            .field("to", &self.plan.shown)
            .finish()
    }
}

impl DeliverySink {
    pub(crate) fn new(plan: Plan, options: DeliveryOptions) -> Self {
        DeliverySink {
            name: format!("delivery:{}", plan.destination),
            counters: Arc::new(Counters::new(&plan.destination)),
            plan: Arc::new(plan),
            options,
            runner: OnceLock::new(),
        }
    }

    /// The destination's name.
    pub fn destination(&self) -> &str {
        &self.plan.destination
    }

    /// Where it delivers: the URL with its secret hidden, or the recipients.
    pub fn target(&self) -> &str {
        &self.plan.shown
    }

    /// What happened so far.
    pub fn stats(&self) -> DeliveryStats {
        self.counters.snapshot()
    }

    /// A cloneable view of the stats, usable after the sink moved into the
    /// monitor.
    pub fn handle(&self) -> DeliveryHandle {
        DeliveryHandle { counters: self.counters.clone() }
    }

    /// Starts the delivery thread once (it replays the spool at once).
    fn runner(&self) -> Result<&Runner, SinkError> {
        self.runner.get_or_init(|| self.spawn()).as_ref().map_err(Clone::clone)
    }

    fn spawn(&self) -> Result<Runner, SinkError> {
        let unavailable = |what: &str, error: std::io::Error| {
            SinkError::new(SinkErrorKind::Unavailable, format!("{}: {what}: {error}", self.name))
        };
        let delivery = Delivery::new(self.plan.clone(), &self.options, self.counters.clone())
            .map_err(|e| unavailable(&format!("cannot open the spool in {}", self.options.spool_dir.display()), e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| unavailable("cannot start a runtime", e))?;
        let (items, item_receiver) = mpsc::channel(self.options.queue_capacity);
        let (control, control_receiver) = mpsc::unbounded_channel();
        let (finished_sender, finished) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("monitor-{}", self.name))
            .spawn(move || {
                runtime.block_on(delivery.run(item_receiver, control_receiver));
                let _ = finished_sender.send(());
            })
            .map_err(|e| unavailable("cannot start its thread", e))?;
        Ok(Runner { items, control, thread: Some(thread), finished: parking_lot::Mutex::new(finished) })
    }
}

#[async_trait]
impl Sink for DeliverySink {
    fn name(&self) -> &str {
        &self.name
    }

    fn start(&mut self) -> Result<(), SinkError> {
        self.runner().map(|_| ())
    }

    fn alert_destination(&self) -> Option<&str> {
        Some(&self.plan.destination)
    }

    async fn write(&self, batch: &Batch) -> Result<(), SinkError> {
        let mine = batch.notifications.iter().filter(|n| n.destination == self.plan.destination);
        let mut lost = 0;
        // Accepted but refused by the queue: they leave the in-memory count
        // only once their drop and the error are recorded.
        let mut refused = 0;
        for notification in mine {
            let Ok(runner) = self.runner() else {
                self.counters.dropped(reason::STOPPED, 1);
                lost += 1;
                continue;
            };
            self.counters.accepted();
            if let Err(error) = runner.items.try_send(notification.clone()) {
                let why = match error {
                    mpsc::error::TrySendError::Full(_) => reason::QUEUE_FULL,
                    mpsc::error::TrySendError::Closed(_) => reason::STOPPED,
                };
                self.counters.dropped(why, 1);
                lost += 1;
                refused += 1;
            }
        }
        // Never an error: the batch's events are not ours, and the worker
        // would count them as dropped. Lost notifications are counted here.
        if lost > 0 && self.counters.failed(format!("{lost} notifications dropped: queue full or delivery stopped")) {
            eprintln!("monitor: delivery to `{}`: {lost} notifications dropped (see stats)", self.plan.destination);
        }
        for _ in 0..refused {
            self.counters.left_memory();
        }
        Ok(())
    }

    async fn flush(&self) -> Result<(), SinkError> {
        let runner = self.runner()?;
        let (done, answer) = oneshot::channel();
        if runner.control.send(Control::Flush(done)).is_err() {
            return Err(SinkError::new(SinkErrorKind::Unavailable, format!("{}: delivery stopped", self.name)));
        }
        // The delivery thread answers within its flush budget on its own
        // clock; a closed channel means it is gone.
        answer.await.map_err(|_| SinkError::new(SinkErrorKind::Unavailable, format!("{}: delivery stopped", self.name)))
    }
}

impl Drop for DeliverySink {
    fn drop(&mut self) {
        let Some(Ok(runner)) = self.runner.take() else { return };
        let Runner { items, control, thread, finished } = runner;
        // Closing both channels tells the thread to spool what is left; it
        // does no network I/O then, so this wait is short.
        drop(items);
        drop(control);
        if finished.into_inner().recv_timeout(Duration::from_secs(2)).is_ok()
            && let Some(thread) = thread
        {
            let _ = thread.join();
        }
    }
}
