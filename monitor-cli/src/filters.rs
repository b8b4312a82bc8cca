//! The filters every selecting command takes, turned into the store's
//! queries: the same words select groups, events and audit records.

use std::time::SystemTime;

use clap::Args;
use monitor_runtime::audit::ComplianceStatus;
use monitor_runtime::{EventKind, GroupStatus, Severity};
use monitor_sinks::store::{AuditQuery, EventFilter, EventQuery, GroupQuery, GroupSort};

use crate::failure::{Failure, Result};
use crate::when::{parse_time, show};

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

fn parsed<T: std::str::FromStr>(value: &Option<String>, what: &str, valid: &str) -> Result<Option<T>> {
    value
        .as_deref()
        .map(|text| text.parse::<T>().map_err(|_| Failure(format!("unknown {what} `{text}`: use one of {valid}"))))
        .transpose()
}

const SEVERITIES: &str = "debug, info, warning, error, critical, fatal";

fn time(value: &Option<String>, now: SystemTime) -> Result<Option<SystemTime>> {
    value.as_deref().map(|text| parse_time(text, now).map_err(Failure)).transpose()
}

/// A group sort as people write it: `last-seen` or `last_seen`.
pub(crate) fn sort(text: &str) -> Result<GroupSort> {
    text.replace('-', "_")
        .parse::<GroupSort>()
        .map_err(|_| Failure(format!("unknown sort `{text}`: use one of last-seen, count, first-seen")))
}

impl GroupFilters {
    /// True when no filter is given: a bulk change would take every group.
    pub(crate) fn is_empty(&self) -> bool {
        self.described(SystemTime::now()).is_empty()
    }

    fn tags(&self) -> Result<Vec<(String, String)>> {
        self.tag
            .iter()
            .map(|tag| match tag.split_once('=') {
                Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
                _ => Err(Failure(format!("tag `{tag}` is not KEY=VALUE: write it as --tag tenant=acme"))),
            })
            .collect()
    }

    fn kind(&self) -> Result<Option<EventKind>> {
        self.kind
            .as_deref()
            .map(|text| {
                EventKind::parse(text)
                    .ok_or_else(|| Failure(format!("unknown kind `{text}`: use one of error, panic, slow, message")))
            })
            .transpose()
    }

    fn event_filter(&self) -> Result<EventFilter> {
        Ok(EventFilter {
            service: self.service.clone(),
            environment: self.environment.clone(),
            release: self.release.clone(),
            user: self.user.clone(),
            trace_id: self.trace_id.clone(),
            tags: self.tags()?,
            text: self.text.clone(),
        })
    }

    /// The group query these filters make (times bound when groups were
    /// last seen), in the store's default order.
    pub(crate) fn groups(&self, now: SystemTime, limit: usize) -> Result<GroupQuery> {
        let status = self
            .status
            .as_deref()
            .map(|text| {
                GroupStatus::parse(text).ok_or_else(|| {
                    Failure(format!("unknown status `{text}`: use one of open, investigating, resolved, ignored"))
                })
            })
            .transpose()?;
        Ok(GroupQuery {
            min_severity: parsed::<Severity>(&self.min_severity, "severity", SEVERITIES)?,
            severity: parsed::<Severity>(&self.severity, "severity", SEVERITIES)?,
            kind: self.kind()?,
            status,
            seen_since: time(&self.since, now)?,
            seen_before: time(&self.until, now)?,
            module: self.module.clone(),
            function: self.function.clone(),
            error_type: self.error_type.clone(),
            assignee: self.assignee.clone(),
            events: self.event_filter()?,
            limit,
            ..GroupQuery::default()
        })
    }

    /// The event query these filters make (a group's status and assignee
    /// do not apply to events and are ignored).
    pub(crate) fn events(&self, now: SystemTime, limit: usize) -> Result<EventQuery> {
        Ok(EventQuery {
            min_severity: parsed::<Severity>(&self.min_severity, "severity", SEVERITIES)?,
            severity: parsed::<Severity>(&self.severity, "severity", SEVERITIES)?,
            kind: self.kind()?,
            module: self.module.clone(),
            function: self.function.clone(),
            error_type: self.error_type.clone(),
            since: time(&self.since, now)?,
            until: time(&self.until, now)?,
            context: self.event_filter()?,
            limit,
            ..EventQuery::default()
        })
    }

    /// The filters given, as (name, value) pairs for a report's header or a
    /// confirmation question.
    pub(crate) fn described(&self, now: SystemTime) -> Vec<(String, String)> {
        let mut given = Vec::new();
        let mut add = |name: &str, value: &Option<String>| {
            if let Some(value) = value {
                given.push((name.to_owned(), value.clone()));
            }
        };
        add("min severity", &self.min_severity);
        add("severity", &self.severity);
        add("kind", &self.kind);
        add("status", &self.status);
        add("assignee", &self.assignee);
        add("service", &self.service);
        add("environment", &self.environment);
        add("release", &self.release);
        add("module", &self.module);
        add("function", &self.function);
        add("user", &self.user);
        add("trace id", &self.trace_id);
        add("error type", &self.error_type);
        add("text", &self.text);
        for tag in &self.tag {
            given.push(("tag".to_owned(), tag.clone()));
        }
        for (name, value) in [("since", &self.since), ("until", &self.until)] {
            if let Some(text) = value {
                // A time that does not parse is refused when the query is
                // made; here it is shown as given.
                let shown = parse_time(text, now).map(show).unwrap_or_else(|_| text.clone());
                given.push((name.to_owned(), shown));
            }
        }
        given
    }
}

impl FilterArgs {
    /// The group query these filters make, in the order `--sort` asks.
    pub(crate) fn groups(&self, now: SystemTime, limit: usize) -> Result<GroupQuery> {
        let mut query = self.groups.groups(now, limit)?;
        if let Some(text) = &self.sort {
            query.sort = sort(text)?;
        }
        Ok(query)
    }

    /// The event query these filters make.
    pub(crate) fn events(&self, now: SystemTime, limit: usize) -> Result<EventQuery> {
        self.groups.events(now, limit)
    }

    /// The audit query these filters make.
    pub(crate) fn audit(&self, now: SystemTime, limit: usize) -> Result<AuditQuery> {
        Ok(AuditQuery {
            process: self.process.clone(),
            action: self.action.clone(),
            status: compliance(&self.compliance)?,
            actor: self.actor.clone(),
            since: time(&self.groups.since, now)?,
            before: time(&self.groups.until, now)?,
            limit,
            ..AuditQuery::default()
        })
    }

    /// The filters given, as (name, value) pairs for a report's header.
    pub(crate) fn described(&self, now: SystemTime) -> Vec<(String, String)> {
        let mut given = self.groups.described(now);
        for (name, value) in [
            ("process", &self.process),
            ("action", &self.action),
            ("compliance", &self.compliance),
            ("actor", &self.actor),
        ] {
            if let Some(value) = value {
                given.push((name.to_owned(), value.clone()));
            }
        }
        given
    }
}

/// A compliance status as given on the command line.
pub(crate) fn compliance(value: &Option<String>) -> Result<Option<ComplianceStatus>> {
    value
        .as_deref()
        .map(|text| {
            ComplianceStatus::parse(&text.replace('-', "_")).ok_or_else(|| {
                Failure(format!(
                    "unknown compliance status `{text}`: use one of compliant, exception, failed, pending_review"
                ))
            })
        })
        .transpose()
}
