//! The rules engine and router as the worker runs them: fed with what the
//! worker sees (events, group counters, audit records, heartbeats, call
//! durations, resource samples), evaluated on every tick, and turned into
//! notifications that go to the sinks with the next batch.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use crate::alerting::{
    AlertDetails, AlertState, Clock, Engine, Notification, Occurrence, ResourceSampler, Router, RouterConfig,
};
use crate::alerts::AlertConfig;
use crate::audit::AuditRecord;
use crate::callsite::CallsiteStats;
use crate::context::Context;
use crate::event::{Event, GroupKey, GroupSnapshot, QueueReason};
use crate::histogram::DURATION_BUCKETS;
use crate::stats::{AlertCounters, AlertStats};

/// Details kept for at most this many groups; beyond it the map starts
/// over (details then come from group counters until the next event).
const MAX_DETAILED_GROUPS: usize = 10_000;

/// One call site's counters as last fed to the engine.
struct CallsSeen {
    durations: [u64; DURATION_BUCKETS],
    finished: u64,
    failed: u64,
}

impl Default for CallsSeen {
    fn default() -> Self {
        CallsSeen { durations: [0; DURATION_BUCKETS], finished: 0, failed: 0 }
    }
}

/// What one call site did since the previous look.
struct NewCalls {
    module: &'static str,
    function: &'static str,
    durations: [u64; DURATION_BUCKETS],
    finished: u64,
    failed: u64,
}

pub(super) struct Evaluator {
    engine: Engine,
    router: Router,
    clock: Arc<dyn Clock>,
    sampler: ResourceSampler,
    base: Arc<Context>,
    /// Call-site counters as of the previous tick, to feed only what is new.
    calls_seen: HashMap<(&'static str, &'static str, u32), CallsSeen>,
    /// What alerts about a group show: from its latest event.
    details: HashMap<GroupKey, Arc<AlertDetails>>,
    /// First snapshots of new groups whose event had not reached the worker
    /// yet (a tick fell between a caller counting the group and queueing
    /// its event): counted one look later, with the event's details.
    waiting_for_event: Vec<GroupSnapshot>,
    counters: Arc<AlertCounters>,
    stats: AlertStats,
}

impl Evaluator {
    pub(super) fn new(
        config: AlertConfig,
        router: RouterConfig,
        clock: Arc<dyn Clock>,
        base: Arc<Context>,
        counters: Arc<AlertCounters>,
        callsites_at_start: &[CallsiteStats],
    ) -> Self {
        let now = clock.now();
        let stats = AlertStats { rules: config.rules.len(), ..AlertStats::default() };
        let mut evaluator = Evaluator {
            router: Router::new(&config, router),
            engine: Engine::new(config, now),
            clock,
            sampler: ResourceSampler::new(),
            base,
            calls_seen: HashMap::new(),
            details: HashMap::new(),
            waiting_for_event: Vec::new(),
            counters,
            stats,
        };
        // Calls made before install are not this monitor's to judge.
        evaluator.new_calls(callsites_at_start);
        evaluator
    }

    pub(super) fn reload(&mut self, config: AlertConfig) -> Vec<Arc<Notification>> {
        let now = self.clock.now();
        self.router.reload(&config);
        self.stats.rules = config.rules.len();
        self.stats.reloads += 1;
        let resolved = self.engine.reload(config, now);
        self.stats.resolved += resolved.len() as u64;
        self.router.route(now, &resolved).into_iter().map(Arc::new).collect()
    }

    /// How long until the router has something due, if that is known; the
    /// worker looks again then instead of waiting for its next tick.
    pub(super) fn next_due_in(&self) -> Option<std::time::Duration> {
        let due = self.router.next_due()?;
        Some(due.duration_since(self.clock.now()).unwrap_or_default())
    }

    /// Whether an event starts a one-off alert (a new group or a
    /// regression): worth evaluating at once rather than at the next tick.
    pub(super) fn wants_prompt_look(&self, event: &Event) -> bool {
        !self.engine.is_empty() && matches!(event.reason, QueueReason::NewGroup | QueueReason::Regression)
    }

    /// An event the worker accepted (already scrubbed).
    pub(super) fn on_event(&mut self, event: &Event) {
        let details = Arc::new(event_details(event));
        if self.details.len() >= MAX_DETAILED_GROUPS {
            self.details.clear();
        }
        self.details.insert(event.group_key, details.clone());
        let regression = match event.reason {
            QueueReason::NewGroup => false,
            QueueReason::Regression => true,
            QueueReason::NewWindow | QueueReason::Sample => return,
        };
        let occurrence = Occurrence {
            severity: event.severity,
            kind: event.kind,
            module: &event.location.module,
            function: &event.location.function,
            group: event.group_key,
            tags: &event.context.tags,
            template: &event.template,
            details: Some(&details),
        };
        self.engine.record_group(self.clock.now(), &occurrence, regression);
    }

    pub(super) fn on_audit(&mut self, record: &AuditRecord) {
        self.engine.record_audit(self.clock.now(), record);
    }

    pub(super) fn on_heartbeat(&mut self, name: &str, at: SystemTime) {
        self.engine.heartbeat(at, name);
    }

    /// Counts the occurrences group snapshots report as new.
    pub(super) fn on_groups(&mut self, groups: &[GroupSnapshot]) {
        let now = self.clock.now();
        let no_tags = BTreeMap::new();
        // A group's first snapshot without its event waits one look; those
        // that waited since the previous look are counted now.
        let (first_looks, ready): (Vec<&GroupSnapshot>, Vec<&GroupSnapshot>) = groups
            .iter()
            .partition(|group| group.count == group.new_occurrences && !self.details.contains_key(&group.key));
        let waited = std::mem::replace(&mut self.waiting_for_event, first_looks.into_iter().cloned().collect());
        for group in waited.iter().chain(ready).filter(|g| g.new_occurrences > 0) {
            let details = match self.details.get(&group.key) {
                Some(details) => details.clone(),
                None => Arc::new(self.group_details(group)),
            };
            let occurrence = Occurrence {
                severity: group.severity,
                kind: group.kind,
                module: &group.location.module,
                function: &group.location.function,
                group: group.key,
                // Repeats that were only counted carry no context of their
                // own: the group's latest event speaks for them.
                tags: if details.tags.is_empty() { &no_tags } else { &details.tags },
                template: &group.template,
                details: Some(&details),
            };
            self.engine.record_occurrences(now, &occurrence, group.new_occurrences);
        }
    }

    /// Whether the rules read call sites' counters (the worker then takes
    /// them in its look; without rules it does not).
    pub(super) fn wants_calls(&self) -> bool {
        !self.engine.is_empty()
    }

    /// Evaluates every rule, with the call sites' counters as they are now,
    /// and returns the notifications due now.
    /// Takes what the fleet source said: counts to compare, or that another
    /// instance leads.
    pub(super) fn on_fleet(&mut self, look: &crate::alerting::FleetLook) {
        self.engine.record_fleet(self.clock.now(), look);
    }

    /// The longest window of the fleet rules in force.
    pub(super) fn fleet_window(&self) -> Option<std::time::Duration> {
        self.engine.fleet_window()
    }

    /// Takes the alerts a store says are acknowledged.
    pub(super) fn set_acknowledged(&mut self, alerts: Vec<crate::alerting::AcknowledgedAlert>) {
        self.router.set_acknowledged(alerts);
    }

    pub(super) fn evaluate(&mut self, callsites: &[CallsiteStats]) -> Vec<Arc<Notification>> {
        if self.engine.is_empty() && self.router.is_idle() {
            // No rules: the worker's tick costs nothing more than without alerting.
            return Vec::new();
        }
        let now = self.clock.now();
        for calls in self.new_calls(callsites) {
            self.engine.record_calls(now, calls.module, calls.function, &calls.durations);
            self.engine.record_call_outcomes(now, calls.module, calls.function, calls.finished, calls.failed);
        }
        if self.engine.resources_due(now) {
            let sample = self.sampler.sample();
            self.engine.record_resources(now, sample);
        }
        let alerts = self.engine.evaluate(now);
        self.stats.firing = alerts.iter().filter(|a| a.state == AlertState::Firing).count() as u64;
        self.stats.resolved += alerts.iter().filter(|a| a.state == AlertState::Resolved).count() as u64;
        let notifications = self.router.route(now, &alerts);
        self.publish_stats();
        notifications.into_iter().map(Arc::new).collect()
    }

    /// Takes the router's and the engine's counts into the stats callers see.
    fn publish_stats(&mut self) {
        self.stats.routed = self.router.counts();
        self.stats.over_label_limit = self.engine.over_label_limit();
        self.counters.set(self.stats);
    }

    /// At shutdown, after the last evaluation: what the router still holds,
    /// so it reaches the sinks rather than vanishing with the process.
    pub(super) fn release_held(&mut self) -> Vec<Arc<Notification>> {
        let released = self.router.release_all();
        self.publish_stats();
        released.into_iter().map(Arc::new).collect()
    }

    /// Calls that finished since the previous look, per call site.
    fn new_calls(&mut self, callsites: &[CallsiteStats]) -> Vec<NewCalls> {
        let mut out = Vec::new();
        for site in callsites {
            let seen = self.calls_seen.entry((site.module, site.function, site.line)).or_default();
            let mut durations = [0u64; DURATION_BUCKETS];
            for ((new, old), now) in durations.iter_mut().zip(seen.durations.iter()).zip(site.duration_buckets.iter()) {
                *new = now.saturating_sub(*old);
            }
            // A panic is a failed call too; a cancelled future is not.
            let failed_total = site.errors + site.panics;
            let new = NewCalls {
                module: site.module,
                function: site.function,
                durations,
                finished: site.calls.saturating_sub(seen.finished),
                failed: failed_total.saturating_sub(seen.failed),
            };
            *seen = CallsSeen { durations: site.duration_buckets, finished: site.calls, failed: failed_total };
            if new.finished > 0 || new.failed > 0 || durations.iter().any(|n| *n > 0) {
                out.push(new);
            }
        }
        out
    }

    fn group_details(&self, group: &GroupSnapshot) -> AlertDetails {
        AlertDetails {
            service: self.base.service.clone(),
            environment: self.base.environment.clone(),
            module: Some(group.location.module.to_string()),
            function: Some(group.location.function.to_string()),
            group: Some(group.key),
            kind: Some(group.kind),
            message: Some(group.template.clone()),
            error_type: group.error_type.as_ref().map(|t| t.to_string()),
            ..AlertDetails::default()
        }
    }
}

fn event_details(event: &Event) -> AlertDetails {
    let context = &event.context;
    let mut traceback = event.chain.clone();
    traceback.push(format!("at {}:{}", event.location.file, event.location.line));
    AlertDetails {
        service: context.service.clone(),
        environment: context.environment.clone(),
        module: Some(event.location.module.to_string()),
        function: Some(event.location.function.to_string()),
        group: Some(event.group_key),
        kind: Some(event.kind),
        message: Some(event.message.clone()),
        error_type: event.error_type.as_ref().map(|t| t.to_string()),
        user: context.user.clone(),
        trace_id: context.trace_id.clone(),
        traceback,
        backtrace: event.backtrace.as_ref().map(|backtrace| backtrace.frames().to_vec()).unwrap_or_default(),
        occurrences: event.occurrences,
        tags: context.tags.clone(),
    }
}
