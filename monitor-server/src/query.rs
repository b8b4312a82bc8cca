//! The filters that select groups, events and audit records, as operators
//! write them: on the command line (`--module 'payments::*'`) and in a
//! query string (`?module=payments::*`). Both read into one [`Filters`],
//! which makes the store's queries, so the same words select the same
//! records everywhere.

use std::fmt;
use std::time::SystemTime;

use monitor_runtime::audit::ComplianceStatus;
use monitor_runtime::{EventKind, GroupStatus, Severity};
use monitor_sinks::store::{AuditQuery, EventFilter, EventQuery, GroupQuery, GroupSort};

use crate::time::{parse_time, show};

/// A filter that cannot be used, saying what is wrong and what would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

type Result<T> = std::result::Result<T, FilterError>;

/// Every filter, as text given by a person. Empty fields select all.
///
/// ```
/// use std::time::SystemTime;
/// use monitor_server::query::Filters;
///
/// let filters = Filters::from_pairs([("module", "payments::*"), ("min_severity", "error")]).unwrap();
/// let query = filters.groups(SystemTime::now(), 50).unwrap();
/// assert_eq!(query.module.as_deref(), Some("payments::*"));
/// assert!(Filters::from_pairs([("modul", "x")]).unwrap_err().to_string().contains("unknown filter `modul`"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// This severity or worse: debug, info, warning, error, critical, fatal.
    pub min_severity: Option<String>,
    /// Exactly this severity.
    pub severity: Option<String>,
    /// This kind of event: error, panic, slow, message.
    pub kind: Option<String>,
    /// Groups with this status: open, investigating, resolved, ignored.
    pub status: Option<String>,
    /// Groups assigned to this person.
    pub assignee: Option<String>,
    /// This service.
    pub service: Option<String>,
    /// This environment.
    pub environment: Option<String>,
    /// This release.
    pub release: Option<String>,
    /// This module and its submodules, or a glob: `payments::*`.
    pub module: Option<String>,
    /// This function: `charge`, `sepa::charge`, `payments::*`.
    pub function: Option<String>,
    /// This user.
    pub user: Option<String>,
    /// This trace.
    pub trace_id: Option<String>,
    /// Tags, each `key=value`; all must match.
    pub tags: Vec<String>,
    /// This error type.
    pub error_type: Option<String>,
    /// Messages holding these words.
    pub text: Option<String>,
    /// From this time on: `24h` (ago), `2026-12-01`, `2026-12-01T08:00:00Z`.
    pub since: Option<String>,
    /// Before this time.
    pub until: Option<String>,
    /// Groups by: last-seen, count, first-seen.
    pub sort: Option<String>,
    /// Audit records of this process.
    pub process: Option<String>,
    /// Audit records of this action.
    pub action: Option<String>,
    /// Audit records with this compliance status.
    pub compliance: Option<String>,
    /// Audit records of this actor.
    pub actor: Option<String>,
}

/// The names [`Filters::from_pairs`] takes, for the error that names them.
pub const FILTER_NAMES: &[&str] = &[
    "min_severity",
    "severity",
    "kind",
    "status",
    "assignee",
    "service",
    "environment",
    "release",
    "module",
    "function",
    "user",
    "trace_id",
    "tag",
    "error_type",
    "text",
    "since",
    "until",
    "sort",
    "process",
    "action",
    "compliance",
    "actor",
];

const SEVERITIES: &str = "debug, info, warning, error, critical, fatal";

impl Filters {
    /// Reads filters from `name=value` pairs (a query string); a name that
    /// is not a filter is refused, so a typo does not select everything.
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self> {
        let mut filters = Filters::default();
        for (name, value) in pairs {
            let value = Some(value.into());
            let slot = match name.as_ref() {
                "min_severity" => &mut filters.min_severity,
                "severity" => &mut filters.severity,
                "kind" => &mut filters.kind,
                "status" => &mut filters.status,
                "assignee" => &mut filters.assignee,
                "service" => &mut filters.service,
                "environment" => &mut filters.environment,
                "release" => &mut filters.release,
                "module" => &mut filters.module,
                "function" => &mut filters.function,
                "user" => &mut filters.user,
                "trace_id" => &mut filters.trace_id,
                "error_type" => &mut filters.error_type,
                "text" => &mut filters.text,
                "since" => &mut filters.since,
                "until" => &mut filters.until,
                "sort" => &mut filters.sort,
                "process" => &mut filters.process,
                "action" => &mut filters.action,
                "compliance" => &mut filters.compliance,
                "actor" => &mut filters.actor,
                "tag" => {
                    filters.tags.extend(value);
                    continue;
                }
                other => {
                    return Err(FilterError(format!(
                        "unknown filter `{other}`: use one of {}",
                        FILTER_NAMES.join(", ")
                    )));
                }
            };
            *slot = value;
        }
        Ok(filters)
    }

    /// True when no filter selecting groups is given: a bulk change would
    /// take every group.
    pub fn selects_all_groups(&self) -> bool {
        self.group_filters_given(SystemTime::now()).is_empty()
    }

    fn tag_pairs(&self) -> Result<Vec<(String, String)>> {
        self.tags
            .iter()
            .map(|tag| match tag.split_once('=') {
                Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
                _ => Err(FilterError(format!("tag `{tag}` is not KEY=VALUE: write it as tenant=acme"))),
            })
            .collect()
    }

    fn kind(&self) -> Result<Option<EventKind>> {
        self.kind
            .as_deref()
            .map(|text| {
                EventKind::parse(text).ok_or_else(|| {
                    FilterError(format!("unknown kind `{text}`: use one of error, panic, slow, message"))
                })
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
            tags: self.tag_pairs()?,
            text: self.text.clone(),
        })
    }

    /// The group query these filters make (times bound when groups were
    /// last seen), in the order `sort` asks.
    pub fn groups(&self, now: SystemTime, limit: usize) -> Result<GroupQuery> {
        let status = self
            .status
            .as_deref()
            .map(|text| {
                GroupStatus::parse(text).ok_or_else(|| {
                    FilterError(format!("unknown status `{text}`: use one of open, investigating, resolved, ignored"))
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
            sort: self.sort.as_deref().map(sort).transpose()?.unwrap_or_default(),
            limit,
            ..GroupQuery::default()
        })
    }

    /// The event query these filters make. A group's status and assignee
    /// do not apply to events: [`Filters::refuse_group_only`] says so
    /// where that matters.
    pub fn events(&self, now: SystemTime, limit: usize) -> Result<EventQuery> {
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

    /// Refuses the filters that select groups only, where events are
    /// asked for.
    pub fn refuse_group_only(&self) -> Result<()> {
        if self.status.is_some() || self.assignee.is_some() {
            return Err(FilterError(
                "status and assignee select groups, not events: use them when listing groups".to_owned(),
            ));
        }
        Ok(())
    }

    /// The audit query these filters make.
    pub fn audit(&self, now: SystemTime, limit: usize) -> Result<AuditQuery> {
        Ok(AuditQuery {
            process: self.process.clone(),
            action: self.action.clone(),
            status: compliance(self.compliance.as_deref())?,
            actor: self.actor.clone(),
            since: time(&self.since, now)?,
            before: time(&self.until, now)?,
            limit,
            ..AuditQuery::default()
        })
    }

    /// The filters given that select groups and events, as (name, value)
    /// pairs for a report's header or a confirmation question.
    pub fn group_filters_given(&self, now: SystemTime) -> Vec<(String, String)> {
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
        for tag in &self.tags {
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

    /// Every filter given, audit ones included, as (name, value) pairs.
    pub fn given(&self, now: SystemTime) -> Vec<(String, String)> {
        let mut given = self.group_filters_given(now);
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

fn parsed<T: std::str::FromStr>(value: &Option<String>, what: &str, valid: &str) -> Result<Option<T>> {
    value
        .as_deref()
        .map(|text| text.parse::<T>().map_err(|_| FilterError(format!("unknown {what} `{text}`: use one of {valid}"))))
        .transpose()
}

fn time(value: &Option<String>, now: SystemTime) -> Result<Option<SystemTime>> {
    value.as_deref().map(|text| parse_time(text, now).map_err(FilterError)).transpose()
}

/// A group sort as people write it: `last-seen` or `last_seen`.
pub fn sort(text: &str) -> Result<GroupSort> {
    text.replace('-', "_")
        .parse::<GroupSort>()
        .map_err(|_| FilterError(format!("unknown sort `{text}`: use one of last-seen, count, first-seen")))
}

/// A compliance status as people write it: `pending-review` or
/// `pending_review`.
pub fn compliance(value: Option<&str>) -> Result<Option<ComplianceStatus>> {
    value
        .map(|text| {
            ComplianceStatus::parse(&text.replace('-', "_")).ok_or_else(|| {
                FilterError(format!(
                    "unknown compliance status `{text}`: use one of compliant, exception, failed, pending_review"
                ))
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_words_make_the_same_queries() {
        let now = SystemTime::now();
        let filters = Filters::from_pairs([
            ("status", "open"),
            ("tag", "tenant=acme"),
            ("tag", "region=eu"),
            ("sort", "first-seen"),
            ("since", "24h"),
        ])
        .unwrap();
        let query = filters.groups(now, 10).unwrap();
        assert_eq!(query.status, Some(GroupStatus::Open));
        assert_eq!(query.events.tags.len(), 2);
        assert_eq!(query.sort, GroupSort::FirstSeen);
        assert_eq!(query.seen_since, Some(now - std::time::Duration::from_secs(86_400)));
        assert!(filters.refuse_group_only().is_err());
    }

    #[test]
    fn bad_values_say_what_would_do() {
        let now = SystemTime::now();
        let error = |pairs: [(&str, &str); 1]| Filters::from_pairs(pairs).unwrap().groups(now, 1).unwrap_err().0;
        assert!(error([("severity", "loud")]).contains("use one of debug"));
        assert!(error([("status", "done")]).contains("open, investigating"));
        assert!(error([("tag", "tenant")]).contains("KEY=VALUE"));
        assert!(error([("since", "yesterday")]).contains("not a time"));
        assert!(error([("sort", "name")]).contains("last-seen"));
        assert!(
            Filters::from_pairs([("compliance", "ok")]).unwrap().audit(now, 1).unwrap_err().0.contains("compliant")
        );
    }
}
