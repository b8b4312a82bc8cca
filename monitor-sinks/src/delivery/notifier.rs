//! The notifier the monitor hands each notification of one destination
//! to: it only queues; its own thread delivers.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use monitor_runtime::alerting::Notification;
use monitor_runtime::alerts::Destination;
use monitor_runtime::{
    DestinationError, DestinationStats, Notifier, NotifierFactory, NotifyError, SinkError, SinkErrorKind, async_trait,
};
use tokio::sync::{mpsc, oneshot};

use crate::delivery::config::{DeliveryConfigError, Plan};
use crate::delivery::deliver::{Control, Delivery};
use crate::delivery::options::DeliveryOptions;
use crate::delivery::stats::{Counters, DeliveryHandle, DropReason};

/// Delivers one destination's alert notifications: Slack, Discord, Teams,
/// a generic webhook or e-mail.
///
/// [`notify`](Notifier::notify) queues a notification and returns at once.
/// The notifier's own thread delivers them, one at a time and in order,
/// with retries, pacing, a circuit breaker and a disk spool (see the
/// [module docs](crate::delivery)). [`flush`](Notifier::flush) answers
/// within the flush budget (1 s by default), having spooled whatever was
/// not delivered by then, so a restart loses nothing. While the
/// destination answers, it also waits (within that budget) for the spool's
/// backlog to be replayed, as [`DeliveryHandle::wait_idle`] does within its
/// timeout.
///
/// The monitor makes one per destination from its [`DeliveryOptions`];
/// make one yourself to deliver outside a monitor (a test, a tool):
///
/// ```no_run
/// use monitor_runtime::Notifier;
/// use monitor_runtime::alerts::{Destination, Target};
/// use monitor_sinks::delivery::{sample_notification, DeliveryNotifier, DeliveryOptions};
///
/// let destination = Destination {
///     name: "ops".into(),
///     target: Target::Webhook("https://alerts.example.org/hook".into()),
///     per_minute: None,
/// };
/// let notifier = DeliveryNotifier::new(&destination, &DeliveryOptions::new())?;
/// notifier.notify(sample_notification("card declined".into()).into())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Each notifier runs its own thread with a single-threaded Tokio runtime,
/// rather than tasks on the worker's runtime: the spool's file writes and
/// fsyncs block, and would stall the worker and every other destination; a
/// destination that hangs cannot slow another; and delivery outlives the
/// worker's shutdown deadline long enough to spool what is in flight.
pub struct DeliveryNotifier {
    plan: Arc<Plan>,
    counters: Arc<Counters>,
    runner: Option<Runner>,
}

/// The channels to the delivery thread.
struct Runner {
    items: mpsc::Sender<Arc<Notification>>,
    control: mpsc::UnboundedSender<Control>,
    thread: JoinHandle<()>,
    /// Told when the thread is done (a mutex only to make the notifier `Sync`).
    finished: parking_lot::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl std::fmt::Debug for DeliveryNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryNotifier")
            .field("destination", &self.plan.destination)
            .field("to", &self.plan.shown)
            .finish()
    }
}

impl DeliveryNotifier {
    /// Checks `destination` (its URL or addresses, the SMTP server, the
    /// link) and starts its delivery thread, which replays its spool at once.
    pub fn new(destination: &Destination, options: &DeliveryOptions) -> Result<Self, DeliveryConfigError> {
        let Some(plan) = Plan::new(destination, options)? else {
            return Err(DeliveryConfigError::new(
                Some(&destination.name),
                String::new(),
                "console destinations are delivered by the monitor itself, not by a delivery notifier",
            ));
        };
        let plan = Arc::new(plan);
        let counters = Arc::new(Counters::new(&plan.destination));
        let runner = spawn(&plan, options, &counters)?;
        Ok(DeliveryNotifier { plan, counters, runner: Some(runner) })
    }

    /// The destination's name.
    pub fn destination(&self) -> &str {
        &self.plan.destination
    }

    /// Where it delivers: the URL with its secret hidden, or the recipients.
    pub fn target(&self) -> &str {
        &self.plan.shown
    }

    /// A cloneable view of the stats, usable after the notifier moved into
    /// the monitor.
    pub fn handle(&self) -> DeliveryHandle {
        DeliveryHandle { counters: self.counters.clone() }
    }
}

fn spawn(plan: &Arc<Plan>, options: &DeliveryOptions, counters: &Arc<Counters>) -> Result<Runner, DeliveryConfigError> {
    let unavailable = |what: &str, error: std::io::Error| {
        DeliveryConfigError::new(Some(&plan.destination), String::new(), &format!("{what}: {error}"))
    };
    let delivery = Delivery::new(plan.clone(), options, counters.clone())
        .map_err(|e| unavailable(&format!("cannot open the spool in {}", options.spool_dir.display()), e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| unavailable("cannot start a runtime", e))?;
    let (items, item_receiver) = mpsc::channel(options.queue_capacity);
    let (control, control_receiver) = mpsc::unbounded_channel();
    let (finished_sender, finished) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("monitor-delivery:{}", plan.destination))
        .spawn(move || {
            runtime.block_on(delivery.run(item_receiver, control_receiver));
            let _ = finished_sender.send(());
        })
        .map_err(|e| unavailable("cannot start its thread", e))?;
    Ok(Runner { items, control, thread, finished: parking_lot::Mutex::new(finished) })
}

#[async_trait]
impl Notifier for DeliveryNotifier {
    fn notify(&self, notification: Arc<Notification>) -> Result<(), NotifyError> {
        let Some(runner) = &self.runner else {
            self.counters.dropped(DropReason::Stopped, 1);
            return Err(NotifyError::Stopped);
        };
        self.counters.accepted();
        let Err(error) = runner.items.try_send(notification) else { return Ok(()) };
        let (why, refused) = match error {
            mpsc::error::TrySendError::Full(_) => (DropReason::QueueFull, NotifyError::QueueFull),
            mpsc::error::TrySendError::Closed(_) => (DropReason::Stopped, NotifyError::Stopped),
        };
        self.counters.dropped(why, 1);
        if self.counters.failed(format!("a notification was dropped: {refused}")) {
            eprintln!("monitor: delivery to `{}`: a notification was dropped: {refused}", self.plan.destination);
        }
        // Accepted but refused by the queue: it leaves the in-memory count
        // only once its drop and the error are recorded.
        self.counters.left_memory();
        Err(refused)
    }

    async fn flush(&self) -> Result<(), SinkError> {
        let stopped =
            || SinkError::new(SinkErrorKind::Unavailable, format!("delivery to `{}` stopped", self.plan.destination));
        let runner = self.runner.as_ref().ok_or_else(stopped)?;
        let (done, answer) = oneshot::channel();
        runner.control.send(Control::Flush(done)).map_err(|_| stopped())?;
        // The delivery thread answers within its flush budget on its own
        // clock; a closed channel means it is gone.
        answer.await.map_err(|_| stopped())
    }

    fn stats(&self) -> DestinationStats {
        self.counters.snapshot()
    }
}

impl Drop for DeliveryNotifier {
    fn drop(&mut self) {
        let Some(runner) = self.runner.take() else { return };
        let Runner { items, control, thread, finished } = runner;
        // Closing both channels tells the thread to spool what is left; it
        // does no network I/O then, so this wait is short.
        drop(items);
        drop(control);
        if finished.into_inner().recv_timeout(Duration::from_secs(2)).is_ok() {
            let _ = thread.join();
        }
    }
}

/// The monitor's builder takes the options as the maker of every
/// destination's notifier (`.delivery(options)`).
impl NotifierFactory for DeliveryOptions {
    fn notifier(&self, destination: &Destination) -> Result<Box<dyn Notifier>, DestinationError> {
        match DeliveryNotifier::new(destination, self) {
            Ok(notifier) => Ok(Box::new(notifier)),
            Err(error) => Err(DestinationError::new(&destination.name, error.to_string())),
        }
    }
}
