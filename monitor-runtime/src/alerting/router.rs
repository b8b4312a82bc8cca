//! The router: when and where alerts are notified, with Alertmanager's
//! semantics as the reference: wait `group_wait` before the first
//! notification of a new alert, send changes (such as resolution) at most
//! every `group_interval`, repeat an unchanged firing alert every
//! `repeat_interval`; a critical alert inhibits lower ones of other rules
//! with the same non-empty labels; each destination is rate limited (at
//! its own limit when it sets one, else at the router's), and what is over
//! the limit is held and sent later, not dropped (unless the held queue
//! overflows, which is counted). A rule with a schedule sends only during
//! it; outside it, notifications are held until it opens, or dropped, as
//! the rule says.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_rules::{AlertConfig, OutsideSchedule, Rule, Schedule};
use xxhash_rust::xxh3::Xxh3;

use super::alert::{Alert, AlertState, Labels};
use crate::summary::SummaryReport;
use monitor_rules::Severity;
use std::sync::Arc;

/// Settings of the [`Router`].
#[derive(Clone, Debug, PartialEq)]
pub struct RouterConfig {
    /// Notifications per minute each destination receives at most (default
    /// 10), unless the destination sets its own limit
    /// ([`Destination::per_minute`](crate::alerts::Destination::per_minute)).
    pub per_destination_per_minute: u32,
    /// Notifications held per destination while over its rate (default 100);
    /// beyond it the oldest held one is dropped and counted.
    pub held_per_destination: usize,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig { per_destination_per_minute: 10, held_per_destination: 100 }
    }
}

/// One alert to deliver to one destination.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The same for every delivery attempt of this notification, different
    /// for every new one: receivers use it to drop duplicates.
    pub key: String,
    /// The destination's name.
    pub destination: String,
    /// The alert as it stands. For a summary, its title: the rule is the
    /// summary's name, the severity `info`, the summary line the title.
    pub alert: Alert,
    /// A scheduled summary's report, when this notification is one and not
    /// an alert (see [`summary`](crate::summary)); destinations render it
    /// in place of the alert.
    pub summary: Option<Arc<SummaryReport>>,
}

/// What the router did, for `stats()` and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouterCounts {
    /// Notifications handed out.
    pub sent: u64,
    /// Times an alert group was muted by inhibition (once per muting, not
    /// once per look while it stays muted).
    pub inhibited: u64,
    /// Notifications delayed by a rate limit (sent later).
    pub rate_limited: u64,
    /// Held notifications dropped because the held queue was full.
    pub dropped: u64,
    /// Notifications held because they fell outside their rule's schedule.
    pub held_by_schedule: u64,
    /// Notifications dropped because they fell outside their rule's schedule.
    pub dropped_by_schedule: u64,
    /// Held notifications (rate limited or waiting for a schedule) handed
    /// out when the monitor shut down, rather than lost with the process.
    pub released_at_shutdown: u64,
    /// Repeat notifications not sent because an operator acknowledged the
    /// alert (and its severity has not risen since).
    pub acknowledged_repeats: u64,
}

/// An alert an operator acknowledged in a store: its repeat notifications
/// stop until it resolves or fires with a higher severity than this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcknowledgedAlert {
    /// The rule.
    pub rule: String,
    /// The alert's labels: with the rule, which alert it is.
    pub labels: Labels,
    /// The severity it had when acknowledged (the highest it fired with).
    pub severity: Severity,
}

struct Group {
    latest: Alert,
    first_seen: SystemTime,
    last_notified: Option<SystemTime>,
    last_state: Option<AlertState>,
    sequence: u64,
    /// Muted by a critical alert at the last look (counted once per muting).
    inhibited: bool,
}

struct Bucket {
    tokens: f64,
    refilled: SystemTime,
}

/// Decides which notifications go out at each moment; see the module docs.
///
/// ```
/// use monitor_runtime::alerting::{Alert, AlertState, Router, RouterConfig};
/// use monitor_runtime::Severity;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let config = monitor_runtime::alerts! {
///     destination ops = console;
///     rule too_many { when errors > 10 within 1h; notify ops; group_wait 30s; }
/// };
/// let mut router = Router::new(&config, RouterConfig::default());
/// let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
/// let alert = Alert {
///     rule: "too_many".into(), severity: Severity::Error, labels: Default::default(),
///     state: AlertState::Firing, value: 11.0, threshold: 10.0, summary: "11 errors".into(),
///     starts_at: t0, ends_at: None, repeat_interval: Duration::from_secs(4 * 3600), details: Default::default(),
/// };
/// assert!(router.route(t0, &[alert.clone()]).is_empty(), "group_wait first");
/// assert_eq!(router.route(t0 + Duration::from_secs(30), &[alert]).len(), 1);
/// ```
pub struct Router {
    rules: HashMap<String, Rule>,
    schedules: HashMap<String, Schedule>,
    /// Notifications waiting for their rule's schedule to open, in order.
    waiting_for_schedule: VecDeque<Notification>,
    config: RouterConfig,
    /// Destinations with a rate limit of their own; the others have the config's.
    limits: HashMap<String, u32>,
    groups: HashMap<(String, Labels), Group>,
    buckets: HashMap<String, Bucket>,
    held: HashMap<String, VecDeque<Notification>>,
    /// Alerts acknowledged in a store, with the severity acknowledged.
    acknowledged: HashMap<(String, Labels), Severity>,
    counts: RouterCounts,
}

impl Router {
    /// A router for the rules of `alerts`.
    pub fn new(alerts: &AlertConfig, config: RouterConfig) -> Self {
        Router {
            rules: alerts.rules.iter().map(|r| (r.name.clone(), r.clone())).collect(),
            schedules: alerts.schedules.iter().map(|s| (s.name.clone(), s.clone())).collect(),
            waiting_for_schedule: VecDeque::new(),
            config,
            limits: limits(alerts),
            groups: HashMap::new(),
            buckets: HashMap::new(),
            held: HashMap::new(),
            acknowledged: HashMap::new(),
            counts: RouterCounts::default(),
        }
    }

    /// Takes a new configuration, its destinations' rate limits included
    /// (what is held stays held, and goes out at the new rate). Alerts of
    /// rules that are gone can still be routed (their resolutions); their
    /// groups are forgotten once resolved.
    pub fn reload(&mut self, alerts: &AlertConfig) {
        let mut rules: HashMap<String, Rule> = alerts.rules.iter().map(|r| (r.name.clone(), r.clone())).collect();
        for (name, rule) in self.rules.drain() {
            if !rules.contains_key(&name) && self.groups.keys().any(|(r, _)| *r == name) {
                rules.insert(name, rule);
            }
        }
        self.rules = rules;
        self.schedules = alerts.schedules.iter().map(|s| (s.name.clone(), s.clone())).collect();
        self.limits = limits(alerts);
    }

    /// Takes the alerts acknowledged in a store (all of them: any alert not
    /// listed is no longer acknowledged). An acknowledged alert sends no
    /// repeat notifications until it resolves, or fires with a higher
    /// severity than it was acknowledged at; its resolution is still sent.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use monitor_runtime::Severity;
    /// use monitor_runtime::alerting::{AcknowledgedAlert, Alert, AlertState, Router, RouterConfig};
    ///
    /// let config = monitor_runtime::alerts! {
    ///     destination ops = console;
    ///     rule too_many { when errors > 10 within 1h; notify ops; group_wait 0s; repeat_interval 1h; }
    /// };
    /// let mut router = Router::new(&config, RouterConfig::default());
    /// let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
    /// let alert = Alert {
    ///     rule: "too_many".into(), severity: Severity::Error, labels: Default::default(),
    ///     state: AlertState::Firing, value: 11.0, threshold: 10.0, summary: "11 errors".into(),
    ///     starts_at: t0, ends_at: None, repeat_interval: Duration::from_secs(3600), details: Default::default(),
    /// };
    /// assert_eq!(router.route(t0, &[alert.clone()]).len(), 1);
    /// router.set_acknowledged(vec![AcknowledgedAlert { rule: "too_many".into(), labels: Default::default(), severity: Severity::Error }]);
    /// assert!(router.route(t0 + Duration::from_secs(3600), &[alert]).is_empty(), "no repeat once acknowledged");
    /// assert_eq!(router.counts().acknowledged_repeats, 1);
    /// ```
    pub fn set_acknowledged(&mut self, alerts: impl IntoIterator<Item = AcknowledgedAlert>) {
        self.acknowledged = alerts.into_iter().map(|alert| ((alert.rule, alert.labels), alert.severity)).collect();
    }

    /// True when nothing is tracked, held or waiting: routing would do nothing.
    pub fn is_idle(&self) -> bool {
        self.groups.is_empty() && self.held.values().all(VecDeque::is_empty) && self.waiting_for_schedule.is_empty()
    }

    /// The earliest moment a tracked group's timer (group_wait,
    /// group_interval or repeat_interval) comes due, so a caller can look
    /// again then rather than at its next regular tick. Held and scheduled
    /// notifications are not included: they wait for tokens or opening hours.
    ///
    /// ```
    /// use monitor_runtime::alerting::{Router, RouterConfig};
    ///
    /// let config = monitor_runtime::alerts! {
    ///     destination ops = console;
    ///     rule too_many { when errors > 10 within 1h; notify ops; }
    /// };
    /// assert_eq!(Router::new(&config, RouterConfig::default()).next_due(), None, "nothing tracked");
    /// ```
    pub fn next_due(&self) -> Option<SystemTime> {
        self.groups
            .values()
            .filter(|group| !group.inhibited)
            .filter_map(|group| {
                let rule = self.rules.get(&group.latest.rule)?;
                Some(match group.last_notified {
                    None => group.first_seen + rule.group_wait,
                    Some(at) if group.last_state != Some(group.latest.state) => at + rule.group_interval,
                    Some(at) => at + rule.repeat_interval,
                })
            })
            .min()
    }

    /// Everything the router still holds (over a rate limit, or waiting
    /// for a schedule to open), in the order it was held, counted as sent
    /// and as `released_at_shutdown`: for a process that stops, so held
    /// notifications reach the sinks (whose delivery spools what it cannot
    /// send) instead of vanishing with the process.
    ///
    /// ```
    /// use monitor_runtime::alerting::{Router, RouterConfig};
    ///
    /// let config = monitor_runtime::alerts! {
    ///     destination ops = console;
    ///     rule too_many { when errors > 10 within 1h; notify ops; }
    /// };
    /// let mut router = Router::new(&config, RouterConfig::default());
    /// assert!(router.release_all().is_empty(), "nothing held");
    /// ```
    pub fn release_all(&mut self) -> Vec<Notification> {
        let mut out: Vec<Notification> = Vec::new();
        let mut destinations: Vec<String> = self.held.keys().cloned().collect();
        destinations.sort();
        for destination in destinations {
            out.extend(self.held.remove(&destination).unwrap_or_default());
        }
        out.extend(std::mem::take(&mut self.waiting_for_schedule));
        let released = out.len() as u64;
        self.counts.sent += released;
        self.counts.released_at_shutdown += released;
        out
    }

    /// What the router did so far.
    pub fn counts(&self) -> RouterCounts {
        self.counts
    }

    /// Takes the engine's latest alerts and returns what is due at `now`.
    /// Call it regularly even without new alerts: timers run on it.
    pub fn route(&mut self, now: SystemTime, alerts: &[Alert]) -> Vec<Notification> {
        for alert in alerts {
            let key = (alert.rule.clone(), alert.labels.clone());
            let group = self.groups.entry(key).or_insert_with(|| Group {
                latest: alert.clone(),
                first_seen: now,
                last_notified: None,
                last_state: None,
                sequence: 0,
                inhibited: false,
            });
            group.latest = alert.clone();
        }
        let mut out = self.release_held(now);
        for notification in self.release_scheduled(now) {
            out.extend(self.admit(now, notification));
        }
        let critical: Vec<(String, Labels)> = self
            .groups
            .values()
            .filter(|g| g.latest.state == AlertState::Firing && g.latest.severity >= Severity::Critical)
            .map(|g| (g.latest.rule.clone(), g.latest.labels.clone()))
            .collect();
        let mut finished = Vec::new();
        let mut due = Vec::new();
        for (key, group) in &mut self.groups {
            let Some(rule) = self.rules.get(&group.latest.rule) else { continue };
            let mut state = group.latest.state;
            if state == AlertState::Resolved && group.last_notified.is_none() {
                if !fired_past_group_wait(group, rule) {
                    // Resolved before anyone was told it fired: nothing to say.
                    finished.push(key.clone());
                    continue;
                }
                // It fired for longer than its group_wait, but between two
                // calls: the firing was due, so it goes out now and the
                // resolution follows after the group interval, as if the
                // router had looked at the right moment.
                state = AlertState::Firing;
            }
            let is_due = match group.last_notified {
                None => elapsed(group.first_seen, now) >= rule.group_wait,
                Some(at) if group.last_state != Some(state) => elapsed(at, now) >= rule.group_interval,
                Some(at) => elapsed(at, now) >= rule.repeat_interval,
            };
            if !is_due {
                continue;
            }
            let repeat = group.last_state == Some(state) && state == AlertState::Firing;
            if repeat && self.acknowledged.get(key).is_some_and(|acked| group.latest.severity <= *acked) {
                // Someone is on it: no reminder until it resolves or worsens.
                // The timer restarts, so this is counted once per interval.
                group.last_notified = Some(now);
                self.counts.acknowledged_repeats += 1;
                continue;
            }
            // Only alerts that name what they are about (their group_by
            // labels) can mute each other: two rules without labels say
            // nothing in common, and muting on empty labels would let one
            // critical rule silence every other rule.
            let inhibited = state == AlertState::Firing
                && group.latest.severity < Severity::Critical
                && !group.latest.labels.is_empty()
                && critical.iter().any(|(r, labels)| *r != group.latest.rule && *labels == group.latest.labels);
            if inhibited {
                if !group.inhibited {
                    self.counts.inhibited += 1;
                }
                group.inhibited = true;
                continue;
            }
            group.inhibited = false;
            group.sequence += 1;
            group.last_notified = Some(now);
            group.last_state = Some(state);
            let mut alert = group.latest.clone();
            if state != alert.state {
                alert.state = state;
                alert.ends_at = None;
            }
            let key_text = notification_key(&alert, group.sequence);
            for destination in &rule.notify {
                due.push(Notification {
                    key: key_text.clone(),
                    destination: destination.clone(),
                    alert: alert.clone(),
                    summary: None,
                });
            }
            if state == AlertState::Resolved {
                finished.push(key.clone());
            }
        }
        for key in finished {
            self.groups.remove(&key);
        }
        for notification in due {
            match self.schedule_verdict(now, &notification.alert.rule) {
                None => out.extend(self.admit(now, notification)),
                Some(OutsideSchedule::Drop) => self.counts.dropped_by_schedule += 1,
                Some(OutsideSchedule::Hold) => {
                    self.counts.held_by_schedule += 1;
                    if self.waiting_for_schedule.len() >= self.config.held_per_destination.max(1) * 10 {
                        self.waiting_for_schedule.pop_front();
                        self.counts.dropped += 1;
                    }
                    self.waiting_for_schedule.push_back(notification);
                }
            }
        }
        out
    }

    /// `None` when the rule may send now, else what to do with its notification.
    fn schedule_verdict(&self, now: SystemTime, rule: &str) -> Option<OutsideSchedule> {
        let rule = self.rules.get(rule)?;
        let schedule = self.schedules.get(rule.schedule.as_deref()?)?;
        (!schedule.is_active(now)).then_some(rule.outside_schedule)
    }

    /// Held notifications whose schedule is open now, in the order they were held.
    fn release_scheduled(&mut self, now: SystemTime) -> Vec<Notification> {
        if self.waiting_for_schedule.is_empty() {
            return Vec::new();
        }
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting_for_schedule)
            .into_iter()
            .partition(|n| self.schedule_verdict(now, &n.alert.rule).is_none());
        self.waiting_for_schedule = waiting.into();
        ready
    }

    /// Passes a notification if its destination has a token, else holds it.
    fn admit(&mut self, now: SystemTime, notification: Notification) -> Option<Notification> {
        if self.held.get(&notification.destination).is_some_and(|q| !q.is_empty())
            || !self.take_token(now, &notification.destination)
        {
            self.counts.rate_limited += 1;
            let queue = self.held.entry(notification.destination.clone()).or_default();
            if queue.len() >= self.config.held_per_destination.max(1) {
                queue.pop_front();
                self.counts.dropped += 1;
            }
            queue.push_back(notification);
            return None;
        }
        self.counts.sent += 1;
        Some(notification)
    }

    fn release_held(&mut self, now: SystemTime) -> Vec<Notification> {
        let destinations: Vec<String> = self.held.keys().cloned().collect();
        let mut out = Vec::new();
        for destination in destinations {
            while self.held.get(&destination).is_some_and(|q| !q.is_empty()) && self.take_token(now, &destination) {
                if let Some(notification) = self.held.get_mut(&destination).and_then(VecDeque::pop_front) {
                    self.counts.sent += 1;
                    out.push(notification);
                }
            }
        }
        out
    }

    fn take_token(&mut self, now: SystemTime, destination: &str) -> bool {
        let per_minute = self.limits.get(destination).copied().unwrap_or(self.config.per_destination_per_minute);
        let per_minute = f64::from(per_minute.max(1));
        let bucket = self.buckets.entry(destination.to_owned()).or_insert(Bucket { tokens: per_minute, refilled: now });
        let refill = elapsed(bucket.refilled, now).as_secs_f64() * per_minute / 60.0;
        bucket.tokens = (bucket.tokens + refill).min(per_minute);
        bucket.refilled = bucket.refilled.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The destinations of `alerts` that set their own rate limit.
fn limits(alerts: &AlertConfig) -> HashMap<String, u32> {
    alerts.destinations.iter().filter_map(|d| Some((d.name.clone(), d.per_minute?))).collect()
}

/// Whether a resolved alert that was never notified stayed firing for at
/// least its group_wait (so its firing notification was due).
fn fired_past_group_wait(group: &Group, rule: &Rule) -> bool {
    group.latest.ends_at.is_some_and(|ended| elapsed(group.first_seen, ended) >= rule.group_wait)
}

fn elapsed(since: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(since).unwrap_or_default()
}

fn notification_key(alert: &Alert, sequence: u64) -> String {
    let mut hasher = Xxh3::new();
    hasher.update(alert.rule.as_bytes());
    for (name, value) in &alert.labels {
        hasher.update(&[0xff]);
        hasher.update(name.as_bytes());
        hasher.update(&[0xfe]);
        hasher.update(value.as_bytes());
    }
    let started = alert.starts_at.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    hasher.update(&started.to_le_bytes());
    hasher.update(&[u8::from(alert.state == AlertState::Resolved)]);
    hasher.update(&sequence.to_le_bytes());
    format!("{:016x}", hasher.digest())
}
