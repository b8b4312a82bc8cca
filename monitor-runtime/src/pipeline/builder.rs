//! Configuring and installing the monitor.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use parking_lot::Mutex;

use crate::alerting::{Clock, RouterConfig, SystemClock};
use crate::alerts::AlertConfig;
use crate::callsite::callsites;
use crate::context::Context;
use crate::dedup::DedupGroups;
use crate::fingerprint::{Fingerprinter, GrouperConfig};
use crate::notify::{DestinationError, NotifierFactory, Notifiers};
use crate::scrub::Scrubber;
use crate::sink::{Sink, SinkError};
use crate::stats::{AlertCounters, Counters};

use super::audits::AuditQueue;
use super::evaluator::Evaluator;
use super::shutdown::MonitorGuard;
use super::summaries::SummaryPlan;
use super::worker::{self, Intake, WorkerConfig};
use super::{Shared, set_current};

/// Entry point: `Monitor::builder()…install()`.
///
/// ```
/// use monitor_runtime::Monitor;
/// use std::time::Duration;
///
/// let guard = Monitor::builder()
///     .service("invoices")
///     .environment("staging")
///     .dedup_window(Duration::from_secs(60))
///     .install()
///     .expect("monitor installs");
/// assert!(monitor_runtime::stats().installed);
/// drop(guard); // flushes with a deadline, then uninstalls
/// assert!(!monitor_runtime::stats().installed);
/// ```
#[derive(Debug)]
pub struct Monitor;

impl Monitor {
    /// A builder with the defaults described on each of its methods.
    pub fn builder() -> MonitorBuilder {
        MonitorBuilder::default()
    }
}

/// Settings for [`Monitor::builder`]. Every bound here is what keeps memory
/// fixed whatever the host does.
pub struct MonitorBuilder {
    context: Context,
    sinks: Vec<(Box<dyn Sink>, bool)>,
    queue_capacity: usize,
    sink_queue_capacity: usize,
    batch_size: usize,
    flush_interval: Duration,
    status_sync_interval: Duration,
    shutdown_timeout: Duration,
    dedup_window: Duration,
    sample_every: u64,
    max_groups: usize,
    grouper: GrouperConfig,
    scrubber: Scrubber,
    panic_hook: bool,
    backtraces: bool,
    alerts: AlertConfig,
    delivery: Option<Arc<dyn NotifierFactory>>,
    router: RouterConfig,
    clock: Arc<dyn Clock>,
    /// Whether `clock` is the system clock (then dedup windows read the
    /// call clock's wall milliseconds instead).
    system_clock: bool,
}

/// How often a store is asked for statuses changed elsewhere, by default.
pub const DEFAULT_STATUS_SYNC_INTERVAL: Duration = Duration::from_secs(10);

impl Default for MonitorBuilder {
    fn default() -> Self {
        MonitorBuilder {
            context: Context::default(),
            sinks: Vec::new(),
            queue_capacity: 1024,
            sink_queue_capacity: 64,
            batch_size: 256,
            flush_interval: Duration::from_millis(200),
            status_sync_interval: DEFAULT_STATUS_SYNC_INTERVAL,
            shutdown_timeout: Duration::from_secs(5),
            dedup_window: Duration::from_secs(300),
            sample_every: 100,
            max_groups: 10_000,
            grouper: GrouperConfig::default(),
            scrubber: Scrubber::default(),
            panic_hook: true,
            backtraces: true,
            alerts: AlertConfig::default(),
            delivery: None,
            router: RouterConfig::default(),
            clock: Arc::new(SystemClock),
            system_clock: true,
        }
    }
}

impl MonitorBuilder {
    /// The service name put on every event.
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.context.service = Some(name.into());
        self
    }

    /// The environment put on every event.
    pub fn environment(mut self, name: impl Into<String>) -> Self {
        self.context.environment = Some(name.into());
        self
    }

    /// The release put on every event.
    pub fn release(mut self, name: impl Into<String>) -> Self {
        self.context.release = Some(name.into());
        self
    }

    /// Adds a sink. If its `start` fails, `install()` fails with that error.
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.sinks.push((Box::new(sink), false));
        self
    }

    /// Adds a sink that may fail to start: then the monitor runs without it,
    /// says so on stderr and lists it in `Stats::disabled_sinks`.
    pub fn optional_sink(mut self, sink: impl Sink) -> Self {
        self.sinks.push((Box::new(sink), true));
        self
    }

    /// Events the queue to the worker holds (default 1024). When it is full,
    /// new events are dropped and counted as `queue_full`. Audit records
    /// have a queue of their own of the same size; when it is full,
    /// [`audit`](crate::audit::audit) waits a bounded time for room.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity.max(1);
        self
    }

    /// Batches each sink's own queue holds (default 64).
    pub fn sink_queue_capacity(mut self, capacity: usize) -> Self {
        self.sink_queue_capacity = capacity.max(1);
        self
    }

    /// Largest batch handed to sinks (default 256 events).
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// How often the worker hands partial batches and group counters to
    /// sinks (default 200 ms).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// How often each sink with a store is asked for the group statuses
    /// changed there by an operator or by another instance (default 10 s,
    /// at least 100 ms). A group resolved in the store and seen again here
    /// is a regression here within one interval.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = monitor_runtime::Monitor::builder().status_sync_interval(Duration::from_secs(5));
    /// # drop(builder);
    /// ```
    pub fn status_sync_interval(mut self, interval: Duration) -> Self {
        self.status_sync_interval = interval.max(Duration::from_millis(100));
        self
    }

    /// How long dropping the guard may wait for the last events to be
    /// written (default 5 s). It never waits longer.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Within this window only a group's first occurrence (plus samples) is
    /// delivered; the rest are counted (default 5 minutes).
    pub fn dedup_window(mut self, window: Duration) -> Self {
        self.dedup_window = window;
        self
    }

    /// Within a window, every `n`th occurrence of a group is delivered as a
    /// sample carrying the count so far (default 100).
    pub fn sample_every(mut self, n: u64) -> Self {
        self.sample_every = n.max(1);
        self
    }

    /// Most groups kept in memory (default 10 000); the least recently seen
    /// are evicted beyond it, and evictions are counted.
    pub fn max_groups(mut self, n: usize) -> Self {
        self.max_groups = n.max(1);
        self
    }

    /// Settings of the message grouper.
    pub fn grouper(mut self, config: GrouperConfig) -> Self {
        self.grouper = config;
        self
    }

    /// The scrubber applied to every event before any sink sees it.
    pub fn scrubber(mut self, scrubber: Scrubber) -> Self {
        self.scrubber = scrubber;
        self
    }

    /// Whether to install the panic hook that lets panic events carry the
    /// panic message (default true; the previous hook still runs).
    pub fn panic_hook(mut self, enabled: bool) -> Self {
        self.panic_hook = enabled;
        self
    }

    /// Whether the first occurrence of each group and every panic carry a
    /// stack [`Backtrace`](crate::Backtrace) (default true, whatever
    /// `RUST_BACKTRACE` says). The caller's thread only walks its stack,
    /// for an occurrence that will be delivered; the worker resolves and
    /// trims it. A panic's stack is taken by the panic hook, where it is
    /// still whole, so it needs [`panic_hook`](Self::panic_hook) too.
    ///
    /// ```
    /// let guard = monitor_runtime::Monitor::builder().backtraces(false).install().unwrap();
    /// # drop(guard);
    /// ```
    pub fn backtraces(mut self, enabled: bool) -> Self {
        self.backtraces = enabled;
        self
    }

    /// Alert rules and destinations the worker evaluates and notifies (from
    /// [`alerts!`](crate::alerts!) or [`AlertConfig::from_path`]), given once:
    /// the monitor makes each destination's notifier at `install()` (the
    /// `console` ones itself, the others through [`delivery`](Self::delivery)),
    /// and the router hands each notification to its destination's notifier.
    /// Storage sinks also receive a record of every notification in
    /// [`Batch::notifications`](crate::Batch::notifications). Replace rules
    /// and destinations later with [`reload_alerts`](crate::reload_alerts).
    ///
    /// ```
    /// use monitor_runtime::{capture_message, MemorySink, Monitor, Severity};
    ///
    /// let sink = MemorySink::new();
    /// let guard = Monitor::builder()
    ///     .alerts(monitor_runtime::alerts! {
    ///         destination ops = console;
    ///         rule new_error { when new_group(severity >= error); notify ops; group_wait 1ms; }
    ///     })
    ///     .sink(sink.clone())
    ///     .install()
    ///     .unwrap();
    /// capture_message("ledger out of balance", Severity::Error);
    /// guard.flush(std::time::Duration::from_secs(5)); // the rule fires; group_wait starts
    /// std::thread::sleep(std::time::Duration::from_millis(10));
    /// guard.flush(std::time::Duration::from_secs(5)); // past group_wait: notified
    /// let notifications = sink.notifications();
    /// assert_eq!(notifications[0].alert.rule, "new_error");
    /// assert_eq!(notifications[0].alert.details.message.as_deref(), Some("ledger out of balance"));
    /// assert_eq!(guard.stats().destinations["ops"].sent, 1);
    /// ```
    pub fn alerts(mut self, config: AlertConfig) -> Self {
        self.alerts = config;
        self
    }

    /// What delivers to destinations other than `console` (Slack, Discord,
    /// Teams, webhooks, e-mail): the sinks crate's `DeliveryOptions`, or
    /// any [`NotifierFactory`]. Without it, such a destination makes
    /// `install()` fail, saying so, rather than alert nobody.
    ///
    /// ```
    /// use monitor_runtime::alerting::Notification;
    /// use monitor_runtime::{DestinationError, Monitor, Notifier, NotifyError};
    /// use monitor_runtime::alerts::Destination;
    /// use std::sync::Arc;
    ///
    /// struct Discard;
    /// impl Notifier for Discard {
    ///     fn notify(&self, _: Arc<Notification>) -> Result<(), NotifyError> { Ok(()) }
    /// }
    ///
    /// let config = monitor_runtime::alerts! {
    ///     destination oncall = email("oncall@example.org");
    ///     rule many_errors { when errors > 5 within 1m; notify oncall; }
    /// };
    /// let refused = Monitor::builder().alerts(config.clone()).install().err().unwrap();
    /// assert!(refused.to_string().contains("needs delivery"), "{refused}");
    ///
    /// let factory = |_: &Destination| -> Result<Box<dyn Notifier>, DestinationError> { Ok(Box::new(Discard)) };
    /// let guard = Monitor::builder().alerts(config).delivery(factory).install().unwrap();
    /// # drop(guard);
    /// ```
    pub fn delivery(mut self, factory: impl NotifierFactory) -> Self {
        self.delivery = Some(Arc::new(factory));
        self
    }

    /// Settings of the alert router (rate limits per destination).
    pub fn router(mut self, config: RouterConfig) -> Self {
        self.router = config;
        self
    }

    /// The clock alert windows, timers and schedules read (the system clock
    /// by default); tests pass a [`ManualClock`](crate::alerting::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self.system_clock = false;
        self
    }

    /// Starts the sinks and the worker and makes the monitor current.
    ///
    /// Fails if another monitor is installed, if a required sink cannot
    /// start (a storage file that cannot be opened, say), or if the worker
    /// thread cannot be spawned. Never panics.
    pub fn install(self) -> Result<MonitorGuard, InstallError> {
        let _install = super::shutdown::INSTALL_LOCK.lock();
        if super::current().is_some() {
            return Err(InstallError::AlreadyInstalled);
        }
        // Once per process, and before any call guard can read the clock.
        crate::clock::calibrate();
        // Help texts for the recorder installed before the monitor.
        crate::metric_names::describe();
        let notifiers = Notifiers::build(&self.alerts.destinations, None, self.delivery.as_deref())
            .map_err(InstallError::Destination)?;
        let mut started = Vec::new();
        let mut disabled_sinks = Vec::new();
        for (mut sink, optional) in self.sinks {
            match sink.start() {
                Ok(()) => started.push(sink),
                Err(error) if optional => {
                    eprintln!("monitor: sink `{}` is disabled: {error}", sink.name());
                    disabled_sinks.push(sink.name().to_owned());
                }
                Err(error) => return Err(InstallError::Sink { sink: sink.name().to_owned(), error }),
            }
        }
        let groups = DedupGroups::new(self.dedup_window, self.sample_every, self.max_groups);
        for sink in &started {
            match sink.stored_statuses() {
                Ok(statuses) => groups.remember_statuses(statuses),
                Err(error) => eprintln!(
                    "monitor: could not read the group statuses sink `{}` holds; groups it resolved or ignored are \
                     treated as new until seen there again: {error}",
                    sink.name()
                ),
            }
        }
        let fleet = started.iter().find_map(|sink| sink.fleet());
        let fleet_rules: Vec<String> = self
            .alerts
            .rules
            .iter()
            .filter(|rule| matches!(rule.condition, monitor_rules::Condition::FleetErrors { .. }))
            .map(|rule| rule.name.clone())
            .collect();
        if fleet.is_none() && !fleet_rules.is_empty() {
            return Err(InstallError::NoFleetStore { rules: fleet_rules });
        }
        let summary_source = started.iter().find_map(|sink| sink.summaries());
        if summary_source.is_none() && !self.alerts.summaries.is_empty() {
            let summaries = self.alerts.summaries.iter().map(|summary| summary.name.clone()).collect();
            return Err(InstallError::NoSummaryStore { summaries });
        }
        if self.panic_hook {
            crate::panic_hook::install();
        }
        let (sender, receiver) = flume::bounded(self.queue_capacity);
        let (audits, audit_intake) = AuditQueue::new(self.queue_capacity);
        let (quiet_events, quiet_intake) = flume::bounded(self.queue_capacity);
        let base_context = Arc::new(self.context);
        let alert_counters = Arc::new(AlertCounters::default());
        let destinations = self.alerts.destinations.clone();
        let summary_plan = SummaryPlan::new(&self.alerts.summaries, self.clock.now(), None);
        let evaluator = Evaluator::new(
            self.alerts,
            self.router,
            self.clock.clone(),
            base_context.clone(),
            alert_counters.clone(),
            &callsites(),
        );
        let shared = Arc::new(Shared {
            sender,
            quiet_events,
            audits,
            groups,
            fingerprinter: Fingerprinter::new(self.grouper),
            counters: Counters::default(),
            base_context,
            disabled_sinks,
            clock: self.clock,
            wall_millis: if self.system_clock { crate::clock::WallMillis::new() } else { None },
            alert_counters,
            notifiers: ArcSwap::from_pointee(notifiers),
            destinations: Mutex::new(destinations),
            factory: self.delivery,
            retired_destinations: Mutex::default(),
            acknowledged_alerts: Mutex::default(),
            fleet_look: Mutex::default(),
            fleet_window_ms: std::sync::atomic::AtomicU64::new(0),
            has_summary_source: summary_source.is_some(),
            backtraces: self.backtraces,
        });
        let config = WorkerConfig {
            batch_size: self.batch_size,
            flush_interval: self.flush_interval,
            status_sync_interval: self.status_sync_interval,
            fleet,
            summaries: summary_source,
            summary_plan,
            sink_queue_capacity: self.sink_queue_capacity,
            scrubber: self.scrubber,
            evaluator,
        };
        let intake = Intake { messages: receiver, quiet_events: quiet_intake, audits: audit_intake };
        let worker = worker::spawn(shared.clone(), intake, started, config).map_err(InstallError::Worker)?;
        set_current(Some(shared.clone()));
        Ok(MonitorGuard::new(shared, worker, self.shutdown_timeout))
    }
}

/// Why `install()` failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum InstallError {
    /// A monitor is already installed; drop its guard first.
    AlreadyInstalled,
    /// A required sink could not start.
    Sink {
        /// The sink's name.
        sink: String,
        /// What went wrong.
        error: SinkError,
    },
    /// An alert destination cannot be delivered to.
    Destination(DestinationError),
    /// The worker thread could not be started.
    Worker(std::io::Error),
    /// Rules count across the fleet, but no sink writes to a store shared
    /// by the instances.
    NoFleetStore {
        /// The fleet rules.
        rules: Vec<String>,
    },
    /// The configuration has summaries, but no sink writes to a store they
    /// can be read from.
    NoSummaryStore {
        /// The summaries.
        summaries: Vec<String>,
    },
}

/// Why summaries cannot run without a store, and what to do.
pub(super) fn no_summary_store(summaries: &[String]) -> String {
    format!(
        "summary(ies) {} are read from a store, but no sink writes to one: add the SQLite sink (or the \
         PostgreSQL sink), or remove the summaries",
        summaries.iter().map(|summary| format!("`{summary}`")).collect::<Vec<_>>().join(", ")
    )
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::AlreadyInstalled => {
                f.write_str("a monitor is already installed in this process; drop its guard before installing another")
            }
            InstallError::Sink { sink, error } => write!(
                f,
                "sink `{sink}` could not start: {error} (fix it, or add it with `optional_sink` to run without it)"
            ),
            InstallError::Destination(error) => write!(f, "{error}"),
            InstallError::Worker(error) => write!(f, "the monitor's worker thread could not start: {error}"),
            InstallError::NoSummaryStore { summaries } => f.write_str(&no_summary_store(summaries)),
            InstallError::NoFleetStore { rules } => write!(
                f,
                "rule(s) {} count across the fleet, but no sink writes to a store the instances share: add the \
                 PostgreSQL sink (or the SQLite sink, for instances on one host), or drop `across fleet`",
                rules.iter().map(|rule| format!("`{rule}`")).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

impl std::error::Error for InstallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InstallError::Sink { error, .. } => Some(error),
            InstallError::Worker(error) => Some(error),
            InstallError::Destination(error) => Some(error),
            InstallError::AlreadyInstalled
            | InstallError::NoFleetStore { .. }
            | InstallError::NoSummaryStore { .. } => None,
        }
    }
}
