//! Which events, audit records and calls a rule's filters select, and the
//! labels that split its alerts.

use monitor_rules::{Field, Filter, Op};

use super::alert::{Labels, Occurrence};
use crate::audit::AuditRecord;
use monitor_rules::Severity;

pub(super) fn occurrence_labels(group_by: &[String], occurrence: &Occurrence<'_>) -> Labels {
    group_by
        .iter()
        .map(|label| {
            let value = match label.as_str() {
                "function" => occurrence.function.to_owned(),
                "module" => occurrence.module.to_owned(),
                "group" => occurrence.group.to_string(),
                "severity" => occurrence.severity.as_str().to_owned(),
                "kind" => occurrence.kind.as_str().to_owned(),
                tag => occurrence.tags.get(tag.trim_start_matches("tag.")).cloned().unwrap_or_default(),
            };
            (label.clone(), value)
        })
        .collect()
}

pub(super) fn matches_occurrence(filter: &Filter, occurrence: &Occurrence<'_>) -> bool {
    match &filter.field {
        Field::Severity => match filter.value.parse::<Severity>() {
            Ok(wanted) => compare(filter.op, occurrence.severity.cmp(&wanted)),
            Err(_) => false,
        },
        Field::Module => text(filter, occurrence.module),
        Field::Function => function(filter, occurrence.module, occurrence.function),
        Field::Group => text(filter, &occurrence.group.to_string()),
        Field::Kind => text(filter, occurrence.kind.as_str()),
        Field::Tag(tag) => text(filter, occurrence.tags.get(tag).map_or("", String::as_str)),
        Field::Process | Field::Action | Field::Status => false,
    }
}

/// Audit rules split their alerts by `process`, `action` and `status`.
pub(super) fn audit_labels(group_by: &[String], record: &AuditRecord) -> Labels {
    group_by
        .iter()
        .map(|label| {
            let value = match label.as_str() {
                "process" => record.process.to_string(),
                "action" => record.action.to_string(),
                "status" => record.status.as_str().to_owned(),
                _ => String::new(),
            };
            (label.clone(), value)
        })
        .collect()
}

pub(super) fn matches_audit(filter: &Filter, record: &AuditRecord) -> bool {
    match &filter.field {
        Field::Process => text(filter, &record.process),
        Field::Action => text(filter, &record.action),
        Field::Status => text(filter, record.status.as_str()),
        _ => false,
    }
}

fn compare(op: Op, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => ordering == Equal,
        Op::Ne => ordering != Equal,
        Op::Ge => ordering != Less,
        Op::Gt => ordering == Greater,
        Op::Le => ordering != Greater,
        Op::Lt => ordering == Less,
    }
}

/// `=` and `!=` match with `*` as "any run of characters"; the orderings compare text.
fn text(filter: &Filter, value: &str) -> bool {
    match filter.op {
        Op::Eq => glob(&filter.value, value),
        Op::Ne => !glob(&filter.value, value),
        op => compare(op, value.cmp(filter.value.as_str())),
    }
}

/// A function filter names the function alone (`charge`, `*_batch`) or
/// with the end of its module path (`payments::*`, `cards::charge`, or the
/// whole `billing::cards::charge`): `=` matches when the pattern matches
/// the full path with any number of leading modules dropped (the crate's
/// own name among them), `!=` when it matches none of them.
fn function(filter: &Filter, module: &str, function: &str) -> bool {
    match filter.op {
        Op::Eq => any_path_suffix(&filter.value, module, function),
        Op::Ne => !any_path_suffix(&filter.value, module, function),
        op => compare(op, function.cmp(filter.value.as_str())),
    }
}

fn any_path_suffix(pattern: &str, module: &str, function: &str) -> bool {
    if glob(pattern, function) {
        return true;
    }
    // Only a pattern with a path separator can match more than the name;
    // others skip building the path (this runs for every rule on every
    // new occurrence).
    if !pattern.contains("::") {
        return false;
    }
    let full = format!("{module}::{function}");
    let mut rest = full.as_str();
    loop {
        if glob(pattern, rest) {
            return true;
        }
        match rest.find("::") {
            Some(at) => rest = &rest[at + 2..],
            None => return false,
        }
    }
}

fn glob(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) || value.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Latency rules filter calls by where they are.
pub(super) fn matches_call(filter: &Filter, module: &str, function: &str) -> bool {
    match &filter.field {
        Field::Module => text(filter, module),
        Field::Function => self::function(filter, module, function),
        _ => false,
    }
}

pub(super) fn call_labels(group_by: &[String], module: &str, function: &str) -> Labels {
    group_by
        .iter()
        .map(|label| {
            let value = match label.as_str() {
                "function" => function.to_owned(),
                "module" => module.to_owned(),
                _ => String::new(),
            };
            (label.clone(), value)
        })
        .collect()
}

/// Where a call rule's alert points, for its summary: ` of ` and the
/// function, or else the module, when its labels have one; empty when the
/// rule does not split by either.
pub(super) fn call_place(labels: &Labels) -> String {
    labels.get("function").or_else(|| labels.get("module")).map_or(String::new(), |p| format!(" of {p}"))
}

#[cfg(test)]
mod tests {
    use super::{function, glob};
    use monitor_rules::{Field, Filter, Op};

    #[test]
    fn function_filters_match_the_name_or_the_full_path() {
        let filter = |op, value: &str| Filter { field: Field::Function, op, value: value.to_owned() };
        assert!(function(&filter(Op::Eq, "payments::*"), "payments::sepa", "collect"));
        assert!(function(&filter(Op::Eq, "payments::*"), "shop::payments", "charge"), "the crate name dropped");
        assert!(function(&filter(Op::Eq, "sepa::collect"), "shop::payments::sepa", "collect"));
        assert!(!function(&filter(Op::Eq, "ments::*"), "shop::payments", "charge"), "whole path segments only");
        assert!(function(&filter(Op::Eq, "charge"), "billing::cards", "charge"));
        assert!(function(&filter(Op::Eq, "billing::cards::charge"), "billing::cards", "charge"));
        assert!(function(&filter(Op::Eq, "*::charge"), "billing::cards", "charge"));
        assert!(!function(&filter(Op::Eq, "payments::*"), "billing", "payments"));
        assert!(!function(&filter(Op::Ne, "payments::*"), "payments", "collect"));
        assert!(function(&filter(Op::Ne, "payments::*"), "billing", "charge"));
    }

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob("payments::*", "payments::sepa::collect"));
        assert!(!glob("payments::*", "billing::payments"));
        assert!(glob("*::collect", "payments::sepa::collect"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxc"));
        assert!(glob("exact", "exact"));
        assert!(!glob("ab*ba", "aba"));
    }
}
