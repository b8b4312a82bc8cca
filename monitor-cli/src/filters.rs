//! The filters every selecting command takes, turned into the store's
//! queries: the same words select groups, events and audit records.

use std::time::SystemTime;

use clap::Args;
use monitor_runtime::audit::ComplianceStatus;
use monitor_server::query::Filters;
use monitor_sinks::store::{AuditQuery, EventQuery, GroupQuery, GroupSort};

use crate::failure::Result;

/// What selects groups and events: the filters `groups`, `tail`, bulk
/// triage and `export` share, so the same words select the same groups
/// everywhere.
#[derive(Debug, Default, Args)]
pub(crate) struct GroupFilters {
    /// Only this severity or worse: debug, info, warning, error, critical, fatal.
    #[arg(long, value_name = "SEVERITY")]
    pub(crate) min_severity: Option<String>,
    /// Only exactly this severity.
    #[arg(long, value_name = "SEVERITY")]
    pub(crate) severity: Option<String>,
    /// Only this kind of event: error, panic, slow, message.
    #[arg(long)]
    pub(crate) kind: Option<String>,
    /// Only groups with this status: open, investigating, resolved, ignored.
    #[arg(long)]
    pub(crate) status: Option<String>,
    /// Only groups assigned to this person.
    #[arg(long, value_name = "NAME")]
    pub(crate) assignee: Option<String>,
    /// Only this service.
    #[arg(long)]
    pub(crate) service: Option<String>,
    /// Only this environment.
    #[arg(long)]
    pub(crate) environment: Option<String>,
    /// Only this release.
    #[arg(long)]
    pub(crate) release: Option<String>,
    /// Only this module and its submodules, or a glob: `payments::*`.
    #[arg(long)]
    pub(crate) module: Option<String>,
    /// Only this function: `charge`, `sepa::charge`, `payments::*`.
    #[arg(long)]
    pub(crate) function: Option<String>,
    /// Only this user.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// Only this trace.
    #[arg(long)]
    pub(crate) trace_id: Option<String>,
    /// Only with this tag: `tenant=acme` (repeat for more).
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) tag: Vec<String>,
    /// Only this error type.
    #[arg(long)]
    pub(crate) error_type: Option<String>,
    /// Only messages holding these words.
    #[arg(long)]
    pub(crate) text: Option<String>,
    /// From this time on: `24h` (ago), `2026-12-01`, `2026-12-01T08:00:00Z`.
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Before this time.
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
}

/// Every filter `export` takes: those of groups and events, their order,
/// and those of audit records.
#[derive(Debug, Default, Args)]
pub(crate) struct FilterArgs {
    #[command(flatten)]
    pub(crate) groups: GroupFilters,
    /// Groups by: last-seen, count, first-seen.
    #[arg(long)]
    pub(crate) sort: Option<String>,
    /// Audit records of this process.
    #[arg(long)]
    pub(crate) process: Option<String>,
    /// Audit records of this action.
    #[arg(long)]
    pub(crate) action: Option<String>,
    /// Audit records with this compliance status: compliant, exception, failed, pending_review.
    #[arg(long, value_name = "STATUS")]
    pub(crate) compliance: Option<String>,
    /// Audit records of this actor.
    #[arg(long)]
    pub(crate) actor: Option<String>,
}

impl GroupFilters {
    /// These filters as the library reads them: the HTTP API's query
    /// strings make the same [`Filters`], so both select alike.
    pub(crate) fn filters(&self) -> Filters {
        Filters {
            min_severity: self.min_severity.clone(),
            severity: self.severity.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
            assignee: self.assignee.clone(),
            service: self.service.clone(),
            environment: self.environment.clone(),
            release: self.release.clone(),
            module: self.module.clone(),
            function: self.function.clone(),
            user: self.user.clone(),
            trace_id: self.trace_id.clone(),
            tags: self.tag.clone(),
            error_type: self.error_type.clone(),
            text: self.text.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            ..Filters::default()
        }
    }

    /// True when no filter is given: a bulk change would take every group.
    pub(crate) fn is_empty(&self) -> bool {
        self.filters().selects_all_groups()
    }

    /// The group query these filters make (times bound when groups were
    /// last seen), in the store's default order.
    pub(crate) fn groups(&self, now: SystemTime, limit: usize) -> Result<GroupQuery> {
        Ok(self.filters().groups(now, limit)?)
    }

    /// The event query these filters make (a group's status and assignee
    /// do not apply to events and are ignored).
    pub(crate) fn events(&self, now: SystemTime, limit: usize) -> Result<EventQuery> {
        Ok(self.filters().events(now, limit)?)
    }
}

impl FilterArgs {
    fn filters(&self) -> Filters {
        Filters {
            sort: self.sort.clone(),
            process: self.process.clone(),
            action: self.action.clone(),
            compliance: self.compliance.clone(),
            actor: self.actor.clone(),
            ..self.groups.filters()
        }
    }

    /// The group query these filters make, in the order `--sort` asks.
    pub(crate) fn groups(&self, now: SystemTime, limit: usize) -> Result<GroupQuery> {
        Ok(self.filters().groups(now, limit)?)
    }

    /// The event query these filters make.
    pub(crate) fn events(&self, now: SystemTime, limit: usize) -> Result<EventQuery> {
        Ok(self.filters().events(now, limit)?)
    }

    /// The audit query these filters make.
    pub(crate) fn audit(&self, now: SystemTime, limit: usize) -> Result<AuditQuery> {
        Ok(self.filters().audit(now, limit)?)
    }

    /// The filters given, as (name, value) pairs for a report's header.
    pub(crate) fn described(&self, now: SystemTime) -> Vec<(String, String)> {
        self.filters().given(now)
    }
}

/// A group sort as people write it: `last-seen` or `last_seen`.
pub(crate) fn sort(text: &str) -> Result<GroupSort> {
    Ok(monitor_server::query::sort(text)?)
}

/// A compliance status as given on the command line.
pub(crate) fn compliance(value: &Option<String>) -> Result<Option<ComplianceStatus>> {
    Ok(monitor_server::query::compliance(value.as_deref())?)
}
