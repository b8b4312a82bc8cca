//! The compliance summary of audit records: per process, and per day and
//! process, how many records were compliant, exceptions, failed or pending
//! review. The CLI prints it as tables, the API answers it as JSON.

use std::collections::BTreeMap;
use std::time::SystemTime;

use monitor_sinks::store::AuditCount;
use serde_json::{Map, Value, json};

use crate::time::show;

/// The compliance statuses, in the order counts are kept.
pub const STATUSES: [&str; 4] = ["compliant", "exception", "failed", "pending_review"];

/// Records per compliance status, in [`STATUSES`] order.
pub type StatusCounts = [u64; 4];

/// Counts per process, and per (UTC day, process).
///
/// ```
/// use monitor_server::summary::AuditSummary;
/// let summary = AuditSummary::of(Vec::new(), None);
/// assert!(summary.per_process.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditSummary {
    /// Each process's counts.
    pub per_process: BTreeMap<String, StatusCounts>,
    /// Each day's (`2026-12-01`) counts per process.
    pub per_day: BTreeMap<(String, String), StatusCounts>,
}

impl AuditSummary {
    /// Sums the store's daily counts, of one `process` or of all.
    pub fn of(counts: Vec<AuditCount>, process: Option<&str>) -> Self {
        let mut summary = AuditSummary::default();
        for count in counts {
            if process.is_some_and(|process| process != count.process) {
                continue;
            }
            let Some(index) = STATUSES.iter().position(|known| *known == count.status) else { continue };
            summary.per_process.entry(count.process.clone()).or_default()[index] += count.count;
            let day = show(count.start)[..10].to_owned();
            summary.per_day.entry((day, count.process)).or_default()[index] += count.count;
        }
        summary
    }

    /// As JSON: `{since, until, processes: [{process, compliant, …, total}], days: [{day, process, …}]}`.
    pub fn to_json(&self, since: SystemTime, until: SystemTime) -> Value {
        let processes: Vec<Value> = self
            .per_process
            .iter()
            .map(|(process, counts)| {
                let mut object = counts_json(counts);
                object.insert("process".to_owned(), json!(process));
                Value::Object(object)
            })
            .collect();
        let days: Vec<Value> = self
            .per_day
            .iter()
            .map(|((day, process), counts)| {
                let mut object = counts_json(counts);
                object.insert("day".to_owned(), json!(day));
                object.insert("process".to_owned(), json!(process));
                Value::Object(object)
            })
            .collect();
        json!({ "since": show(since), "until": show(until), "processes": processes, "days": days })
    }
}

fn counts_json(counts: &StatusCounts) -> Map<String, Value> {
    let mut object: Map<String, Value> =
        STATUSES.iter().zip(counts).map(|(status, count)| ((*status).to_owned(), json!(count))).collect();
    object.insert("total".to_owned(), json!(counts.iter().sum::<u64>()));
    object
}
