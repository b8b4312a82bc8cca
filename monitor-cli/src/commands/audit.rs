//! `monitor audit list|summary|verify|export`: the audit log read by
//! filters, counted per process, compliance status and day, proved intact
//! (exit 1 on a break, naming the row), and exported.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;
use monitor_sinks::store::{AuditQuery, Buckets, Store};
use serde_json::json;

use monitor_server::summary::{AuditSummary, STATUSES, StatusCounts};

use crate::cli::{ExportArgs, VerifyArgs};
use crate::failure::{Failure, Result};
use crate::filters::{FilterArgs, compliance};
use crate::json;
use crate::table::{Table, one_line, or_dash};
use crate::when::{parse_time, show};

/// The compliance statuses, in the order columns show them.

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only this business process: `sepa_mandate_creation`.
    #[arg(long)]
    pub(crate) process: Option<String>,
    /// Only this action: `create_mandate`.
    #[arg(long)]
    pub(crate) action: Option<String>,
    /// Only this compliance status: compliant, exception, failed, pending_review.
    #[arg(long)]
    pub(crate) status: Option<String>,
    /// Only this actor.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Only this business object's id.
    #[arg(long, value_name = "ID")]
    pub(crate) reference: Option<String>,
    /// Only this kind of business object: `mandate`.
    #[arg(long, value_name = "KIND")]
    pub(crate) reference_kind: Option<String>,
    /// From this time on: `24h` (ago), `2026-12-01`, `2026-12-01T08:00:00Z`.
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Before this time.
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// At most this many records, the oldest first.
    #[arg(long, default_value_t = 100)]
    pub(crate) limit: usize,
    /// Start after this row (its `seq`): the one the page before printed last.
    #[arg(long, value_name = "SEQ")]
    pub(crate) after: Option<i64>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SummaryArgs {
    /// From this time on (default: 30 days ago); days are UTC days.
    #[arg(long, value_name = "TIME", default_value = "30d")]
    pub(crate) since: String,
    /// Before this time (default: now).
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// Only this business process.
    #[arg(long)]
    pub(crate) process: Option<String>,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AuditExportArgs {
    /// csv, json, ndjson, xml, xlsx or pdf (default: from the file's extension).
    #[arg(long)]
    pub(crate) format: Option<String>,
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// The fields, in order, separated by commas (default: all).
    #[arg(long)]
    pub(crate) fields: Option<String>,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
}

impl From<AuditExportArgs> for ExportArgs {
    fn from(args: AuditExportArgs) -> Self {
        ExportArgs {
            what: "audit".to_owned(),
            format: args.format,
            out: args.out,
            fields: args.fields,
            filters: args.filters,
        }
    }
}

pub(crate) async fn list(store: Arc<dyn Store>, args: ListArgs) -> Result<ExitCode> {
    let now = SystemTime::now();
    let time = |value: &Option<String>| value.as_deref().map(|text| parse_time(text, now).map_err(Failure)).transpose();
    let query = AuditQuery {
        process: args.process.clone(),
        action: args.action.clone(),
        status: compliance(&args.status)?,
        actor: args.actor.clone(),
        reference_kind: args.reference_kind.clone(),
        reference_id: args.reference.clone(),
        since: time(&args.since)?,
        before: time(&args.until)?,
        after_seq: args.after,
        // One more than asked says whether a next page exists.
        limit: args.limit.saturating_add(1),
    };
    let mut records = store.audit_records(&query).await?;
    let more = records.len() > args.limit;
    records.truncate(args.limit);
    let next = records.last().filter(|_| more).map(|last| last.seq);
    if args.json {
        json::print(&json!({ "records": records.iter().map(json::audit).collect::<Vec<_>>(), "next_after": next }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["seq", "time", "process", "action", "status", "actor", "reference"]);
    for record in &records {
        let reference = record.reference.as_ref().map(|reference| format!("{}:{}", reference.kind, reference.id));
        table.row(vec![
            record.seq.to_string(),
            show(record.timestamp),
            record.process.clone(),
            record.action.clone(),
            record.status.as_str().to_owned(),
            or_dash(record.actor.as_deref()),
            one_line(&or_dash(reference.as_deref())),
        ]);
    }
    if table.is_empty() {
        eprintln!("no audit record matches");
    } else {
        table.numeric(0).cut_text(6).print();
    }
    if let Some(seq) = next {
        eprintln!("more: add --after {seq}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn summary(store: Arc<dyn Store>, args: SummaryArgs) -> Result<ExitCode> {
    let now = SystemTime::now();
    let since = parse_time(&args.since, now).map_err(Failure)?;
    let until = args.until.as_deref().map(|text| parse_time(text, now).map_err(Failure)).transpose()?.unwrap_or(now);
    if since >= until {
        return Err(Failure(format!("--since {} is not before --until {}", show(since), show(until))));
    }
    // The store counts whole buckets: the last one must hold `until`.
    let buckets = Buckets::daily(since, until + Duration::from_millis(1));
    let summary = AuditSummary::of(store.audit_counts(&buckets).await?, args.process.as_deref());
    if args.json {
        json::print(&summary.to_json(since, until))?;
        return Ok(ExitCode::SUCCESS);
    }
    let AuditSummary { per_process, per_day } = summary;
    println!("audit records of {} from {} to {}", store.describe(), show(since), show(until));
    if per_process.is_empty() {
        println!("none");
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    let headers = |first: &[&'static str]| -> Vec<&'static str> {
        first.iter().copied().chain(STATUSES).chain(["total"]).collect()
    };
    let row = |mut cells: Vec<String>, counts: &StatusCounts| {
        cells.extend(counts.iter().map(u64::to_string));
        cells.push(counts.iter().sum::<u64>().to_string());
        cells
    };
    let mut processes = Table::new(&headers(&["process"]));
    for (process, counts) in &per_process {
        processes.row(row(vec![process.clone()], counts));
    }
    (1..=5).for_each(|column| {
        processes.numeric(column);
    });
    processes.print();
    println!();
    let mut days = Table::new(&headers(&["day", "process"]));
    for ((day, process), counts) in &per_day {
        days.row(row(vec![day.clone(), process.clone()], counts));
    }
    (2..=6).for_each(|column| {
        days.numeric(column);
    });
    days.print();
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn verify(store: Arc<dyn Store>, args: VerifyArgs) -> Result<ExitCode> {
    let report = if args.archive.is_empty() {
        store.verify_audit_chain().await?
    } else {
        store.verify_audit_chain_with_archives(&args.archive).await?
    };
    let broken = report.first_broken.as_ref();
    if args.json {
        let value = monitor_server::views::chain_report(&report);
        println!("{value:#}");
    } else {
        println!("{}: {report}", store.describe());
    }
    Ok(if broken.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
