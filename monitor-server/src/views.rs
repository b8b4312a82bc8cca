//! The store's records as JSON objects, as the HTTP API answers and
//! `monitor --json` prints them, with times in
//! RFC 3339 (UTC) and names as the store writes them, so scripts read the
//! same words the command takes as filters.

use std::time::SystemTime;

use monitor_sinks::store::{
    ChainCheck, ChainReport, GroupHistoryEntry, StoredAlert, StoredAudit, StoredEvent, StoredGroup,
};
use serde_json::{Value, json};

use crate::time::show;

fn time(at: Option<SystemTime>) -> Value {
    at.map_or(Value::Null, |at| Value::String(show(at)))
}

/// A group.
pub fn group(group: &StoredGroup) -> Value {
    json!({
        "key": group.key.to_string(),
        "template": group.template,
        "severity": group.severity.as_str(),
        "status": group.status.as_str(),
        "assignee": group.assignee,
        "count": group.count,
        "first_seen": show(group.first_seen),
        "last_seen": show(group.last_seen),
        "module": group.location.module,
        "function": group.location.function,
        "file": group.location.file,
        "line": group.location.line,
        "error_type": group.error_type,
        "merged_into": group.merged_into.map(|key| key.to_string()),
    })
}

/// An event.
pub fn event(event: &StoredEvent) -> Value {
    let context = &event.context;
    json!({
        "id": event.id,
        "timestamp": show(event.timestamp),
        "kind": event.kind.as_str(),
        "severity": event.severity.as_str(),
        "group": event.group_key.to_string(),
        "template": event.template,
        "message": event.message,
        "chain": event.chain,
        "error_type": event.error_type,
        "module": event.location.module,
        "function": event.location.function,
        "file": event.location.file,
        "line": event.location.line,
        "service": context.service,
        "environment": context.environment,
        "release": context.release,
        "user": context.user,
        "trace_id": context.trace_id,
        "tags": context.tags,
        "args": event.args.iter().map(|(name, value)| json!([name, value])).collect::<Vec<_>>(),
        "duration_ms": event.duration.map(|duration| duration.as_secs_f64() * 1000.0),
        "occurrences": event.occurrences,
        "backtrace": event.backtrace,
    })
}

/// An entry of a group's triage history.
pub fn history(entry: &GroupHistoryEntry) -> Value {
    json!({
        "id": entry.id,
        "at": show(entry.at),
        "by": entry.by,
        "field": entry.field.as_str(),
        "from": entry.from,
        "to": entry.to,
    })
}

/// An incident.
pub fn alert(alert: &StoredAlert) -> Value {
    json!({
        "id": alert.id,
        "rule": alert.rule,
        "status": alert.status.as_str(),
        "severity": alert.severity.as_str(),
        "summary": alert.summary,
        "labels": alert.labels,
        "value": alert.value,
        "threshold": alert.threshold,
        "started_at": show(alert.started_at),
        "last_fired_at": show(alert.last_fired_at),
        "fired": alert.fired,
        "acknowledged_at": time(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by,
        "ack_comment": alert.ack_comment,
        "resolved_at": time(alert.resolved_at),
        "resolved_by": alert.resolved_by,
        "group": alert.group_key,
    })
}

/// An audit record.
pub fn audit(record: &StoredAudit) -> Value {
    json!({
        "seq": record.seq,
        "timestamp": show(record.timestamp),
        "process": record.process,
        "action": record.action,
        "status": record.status.as_str(),
        "reference_kind": record.reference.as_ref().map(|reference| reference.kind.to_string()),
        "reference_id": record.reference.as_ref().map(|reference| reference.id.clone()),
        "actor": record.actor,
        "trace_id": record.trace_id,
        "service": record.service,
        "details": record.details,
        "truncated": record.truncated,
        "hash": record.hash,
        "key_id": record.key_id,
    })
}

/// What a walk of the audit chain found: `intact`, the rows walked, the
/// first broken row with its reason, and the report in words.
pub fn chain_report(report: &ChainReport) -> Value {
    let check = match &report.check {
        ChainCheck::Keyed => "keyed".to_owned(),
        ChainCheck::UnkeyedLinksOnly => "unkeyed_links_only".to_owned(),
        ChainCheck::KeyMissing { key_ids } => format!("key_missing:{}", key_ids.join(",")),
    };
    let broken = report.first_broken.as_ref();
    json!({
        "intact": broken.is_none(),
        "rows": report.rows,
        "first_broken": broken.map(|link| json!({"seq": link.seq, "reason": link.reason})),
        "check": check,
        "archived_up_to": report.archived_up_to,
        "archive_files_checked": report.archive_files_checked,
        "report": report.to_string(),
    })
}
