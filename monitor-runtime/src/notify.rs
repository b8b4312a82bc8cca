//! The contract of alert destinations: the router hands each notification
//! to its destination's [`Notifier`], made by a [`NotifierFactory`] from the
//! destination's configuration.
//!
//! The runtime delivers `console` destinations itself (a line on stderr).
//! Every other kind (Slack, Discord, Teams, webhooks, e-mail) is delivered
//! by the factory given to
//! [`MonitorBuilder::delivery`](crate::MonitorBuilder::delivery), such as
//! the sinks crate's `DeliveryOptions`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::alerting::{AlertState, Notification};
use crate::alerts::{Destination, Target};
use crate::sink::SinkError;

/// Delivers the notifications of one alert destination.
///
/// `notify` is called on the monitor's worker for each notification the
/// router releases for this destination: it must only queue and return at
/// once (deliver on a task or thread of your own). A notification it
/// refuses is counted as lost under the destination and the reason.
///
/// ```
/// use monitor_runtime::alerting::Notification;
/// use monitor_runtime::{Notifier, NotifyError};
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Default)]
/// struct Pager(Mutex<Vec<String>>);
///
/// impl Notifier for Pager {
///     fn notify(&self, notification: Arc<Notification>) -> Result<(), NotifyError> {
///         self.0.lock().unwrap().push(notification.alert.summary.clone());
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Takes one notification for delivery, without waiting.
    fn notify(&self, notification: Arc<Notification>) -> Result<(), NotifyError>;

    /// Delivers, or keeps durably (a spool), everything taken so far.
    /// Called on flush and shutdown, within their deadline.
    async fn flush(&self) -> Result<(), SinkError> {
        Ok(())
    }

    /// What happened to this destination's notifications so far; shown in
    /// [`Stats::destinations`](crate::Stats::destinations).
    fn stats(&self) -> DestinationStats {
        DestinationStats::default()
    }
}

/// Why a [`Notifier`] refused a notification; the name is the drop reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NotifyError {
    /// The destination's queue is full.
    QueueFull,
    /// The destination's delivery has stopped.
    Stopped,
}

impl NotifyError {
    /// The name used in drop reasons: `queue_full`, `stopped`.
    pub const fn as_str(self) -> &'static str {
        match self {
            NotifyError::QueueFull => "queue_full",
            NotifyError::Stopped => "stopped",
        }
    }
}

impl fmt::Display for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotifyError::QueueFull => "the destination's queue is full",
            NotifyError::Stopped => "the destination's delivery has stopped",
        })
    }
}

impl std::error::Error for NotifyError {}

/// Makes the [`Notifier`] of each destination that is not `console`: at
/// `install()`, and at a reload for destinations added or changed.
///
/// An error names what is wrong with the destination (a malformed URL, a
/// missing SMTP server) with any secret hidden; `install()` or the reload
/// then fails with it and changes nothing.
pub trait NotifierFactory: Send + Sync + 'static {
    /// The notifier of `destination`.
    fn notifier(&self, destination: &Destination) -> Result<Box<dyn Notifier>, DestinationError>;
}

/// Any function from a destination to its notifier is a factory: handy for
/// tests and for notifiers of your own.
///
/// ```
/// use monitor_runtime::alerts::Destination;
/// use monitor_runtime::alerting::Notification;
/// use monitor_runtime::{DestinationError, Monitor, Notifier, NotifyError};
/// use std::sync::Arc;
///
/// struct Pager;
/// impl Notifier for Pager {
///     fn notify(&self, _: Arc<Notification>) -> Result<(), NotifyError> { Ok(()) }
/// }
///
/// let factory = |_: &Destination| -> Result<Box<dyn Notifier>, DestinationError> { Ok(Box::new(Pager)) };
/// let guard = Monitor::builder().delivery(factory).install().unwrap();
/// # drop(guard);
/// ```
impl<F> NotifierFactory for F
where
    F: Fn(&Destination) -> Result<Box<dyn Notifier>, DestinationError> + Send + Sync + 'static,
{
    fn notifier(&self, destination: &Destination) -> Result<Box<dyn Notifier>, DestinationError> {
        self(destination)
    }
}

/// A destination that cannot be delivered to, found when its notifier is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestinationError {
    /// The destination's name.
    pub destination: String,
    /// What is wrong and how to fix it, secrets hidden.
    pub message: String,
}

impl DestinationError {
    /// A new error about `destination`.
    ///
    /// ```
    /// let error = monitor_runtime::DestinationError::new("ops", "the webhook URL is not valid");
    /// assert_eq!(error.to_string(), "destination `ops`: the webhook URL is not valid");
    /// ```
    pub fn new(destination: impl Into<String>, message: impl Into<String>) -> Self {
        DestinationError { destination: destination.into(), message: message.into() }
    }
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The message of a factory may name the destination already.
        if self.message.starts_with(&format!("destination `{}`", self.destination)) {
            f.write_str(&self.message)
        } else {
            write!(f, "destination `{}`: {}", self.destination, self.message)
        }
    }
}

impl std::error::Error for DestinationError {}

/// A snapshot of one destination's delivery.
///
/// `sent` counts every notification delivered, `replayed` those of them
/// that came from a spool; `retried` counts attempts after the first;
/// `spooled` counts notifications written to a spool.
///
/// ```
/// let stats = monitor_runtime::DestinationStats::default();
/// assert_eq!(stats.sent + stats.dropped.values().sum::<u64>(), 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DestinationStats {
    /// The destination's name.
    pub destination: String,
    /// Notifications delivered.
    pub sent: u64,
    /// Attempts after the first.
    pub retried: u64,
    /// Notifications written to the spool.
    pub spooled: u64,
    /// Notifications delivered from the spool.
    pub replayed: u64,
    /// Notifications dropped, by reason.
    pub dropped: BTreeMap<String, u64>,
    /// Why the destination was disabled (a webhook that answered 404 or 410).
    pub disabled: Option<String>,
    /// Notifications waiting in memory or being delivered.
    pub queued: u64,
    /// Notifications in the spool.
    pub spool_pending: u64,
    /// Spool lines of another format version (another release's), kept in
    /// the file and not replayed.
    pub spool_other_version: u64,
    /// What opening the spool found that needs a person, each said once on
    /// stderr too: another process owning the destination's spool file (so
    /// this one spools to its own), files left for another target of the
    /// destination (its URL or recipients changed), lines of another
    /// format version.
    pub spool_notices: Vec<String>,
    /// The latest failure, for people.
    pub last_error: Option<String>,
}

impl DestinationStats {
    /// Empty stats of `destination`.
    pub fn new(destination: impl Into<String>) -> Self {
        DestinationStats { destination: destination.into(), ..DestinationStats::default() }
    }
}

/// The `console` destination: one line per notification on stderr,
/// `[alert FIRING] too_many_errors (critical) {function=charge} -> ops: 11 errors within 1h (more than 10)`.
pub(crate) struct ConsoleNotifier {
    counters: parking_lot::Mutex<DestinationStats>,
}

impl ConsoleNotifier {
    pub(crate) fn new(destination: &str) -> Self {
        ConsoleNotifier { counters: parking_lot::Mutex::new(DestinationStats::new(destination)) }
    }
}

impl Notifier for ConsoleNotifier {
    fn notify(&self, notification: Arc<Notification>) -> Result<(), NotifyError> {
        use std::io::Write;
        let alert = &notification.alert;
        let state = match alert.state {
            AlertState::Firing => "FIRING",
            AlertState::Resolved => "RESOLVED",
        };
        let labels: Vec<String> = alert.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let labels = if labels.is_empty() { String::new() } else { format!(" {{{}}}", labels.join(", ")) };
        let line = match &notification.summary {
            // A summary is read whole: its title, period and sections.
            Some(report) => format!("[summary] -> {}: {}", notification.destination, report.text().trim_end()),
            None => format!(
                "[alert {state}] {} ({}){labels} -> {}: {}",
                alert.rule, alert.severity, notification.destination, alert.summary
            ),
        };
        let mut counters = self.counters.lock();
        match writeln!(std::io::stderr().lock(), "{line}") {
            Ok(()) => counters.sent += 1,
            Err(error) => {
                *counters.dropped.entry("unavailable".to_owned()).or_default() += 1;
                counters.last_error = Some(format!("cannot write to stderr: {error}"));
            }
        }
        Ok(())
    }

    fn stats(&self) -> DestinationStats {
        self.counters.lock().clone()
    }
}

/// The notifiers of the destinations in force, by name, with the targets
/// they were made for (a reload remakes those whose target changed).
#[derive(Default)]
pub(crate) struct Notifiers {
    by_name: BTreeMap<String, (Destination, Arc<dyn Notifier>)>,
}

impl Notifiers {
    /// Notifiers for every destination of `destinations`, reusing those of
    /// `current` whose destination did not change (a changed rate limit
    /// alone is the router's business, not the notifier's).
    pub(crate) fn build(
        destinations: &[Destination],
        current: Option<&Notifiers>,
        factory: Option<&dyn NotifierFactory>,
    ) -> Result<Notifiers, DestinationError> {
        let mut by_name = BTreeMap::new();
        for destination in destinations {
            let reused = current
                .and_then(|current| current.by_name.get(&destination.name))
                .filter(|(old, _)| old.target == destination.target)
                .map(|(_, notifier)| notifier.clone());
            let notifier = match reused {
                Some(notifier) => notifier,
                None => make(destination, factory)?,
            };
            by_name.insert(destination.name.clone(), (destination.clone(), notifier));
        }
        Ok(Notifiers { by_name })
    }

    pub(crate) fn get(&self, destination: &str) -> Option<&Arc<dyn Notifier>> {
        self.by_name.get(destination).map(|(_, notifier)| notifier)
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<dyn Notifier>> {
        self.by_name.values().map(|(_, notifier)| notifier)
    }

    pub(crate) fn stats(&self) -> BTreeMap<String, DestinationStats> {
        self.by_name
            .iter()
            .map(|(name, (_, notifier))| {
                let mut stats = notifier.stats();
                if stats.destination.is_empty() {
                    stats.destination.clone_from(name);
                }
                (name.clone(), stats)
            })
            .collect()
    }
}

fn make(
    destination: &Destination,
    factory: Option<&dyn NotifierFactory>,
) -> Result<Arc<dyn Notifier>, DestinationError> {
    if destination.target == Target::Console {
        return Ok(Arc::new(ConsoleNotifier::new(&destination.name)));
    }
    match factory {
        Some(factory) => factory.notifier(destination).map(Arc::from),
        None => Err(DestinationError::new(
            &destination.name,
            format!(
                "{} destination needs delivery: add `.delivery(DeliveryOptions::new())` to the monitor's builder \
                 (with the `{}` feature of monitor)",
                target_kind(&destination.target),
                if matches!(destination.target, Target::Email(_)) { "email" } else { "webhook" }
            ),
        )),
    }
}

/// The kind of a target, as people name it, with its article.
fn target_kind(target: &Target) -> &'static str {
    match target {
        Target::Console => "a console",
        Target::Slack(_) => "a Slack",
        Target::Discord(_) => "a Discord",
        Target::Teams(_) => "a Teams",
        Target::Webhook(_) => "a webhook",
        Target::TemplatedWebhook(_) => "a templated webhook",
        Target::Alertmanager(_) => "an Alertmanager",
        Target::Email(_) => "an e-mail",
        _ => "this kind of",
    }
}
