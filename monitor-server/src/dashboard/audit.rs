//! The audit log: whether its chain is intact, the compliance summary per
//! process over 30 days with a chart of it day by day (of the process
//! chosen, else of all), and its records filtered by process, action,
//! compliance status, actor and time, with the details as the store keeps
//! them (masked fields stay masked).

use std::time::{Duration, SystemTime};

use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Html;
use maud::{Markup, html};
use monitor_sinks::store::{AuditCount, BucketCount, Buckets, ChainReport};

use super::chart;
use super::form::Form;
use super::layout::{self, Nav, PageError, PageResult, Viewer, when};
use super::session::Base;
use crate::auth::{Caller, Role};
use crate::query::Filters;
use crate::state::AppState;
use crate::summary::{AuditSummary, STATUSES};

/// Records on one page.
const PAGE: usize = 50;
/// The summary's window.
const SUMMARY_DAYS: u64 = 30;

const COMPLIANCE: [(&str, &str); 4] = [
    ("compliant", "compliant"),
    ("exception", "exception"),
    ("failed", "failed"),
    ("pending_review", "pending review"),
];

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
    RawQuery(raw): RawQuery,
) -> PageResult<Html<String>> {
    let form = Form::parse(raw.unwrap_or_default().as_bytes());
    let chosen = form.without(&["after"]);
    let now = SystemTime::now();
    let mut query = Filters::from_pairs(chosen.clone())?.audit(now, PAGE)?;
    query.after_seq = form
        .get("after")
        .map(|text| {
            text.parse::<i64>()
                .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, format!("after `{text}` is not a seq number")))
        })
        .transpose()?;
    let records = state.store.audit_records(&query).await?;
    let chain = state.store.verify_audit_chain().await?;
    let since = now - Duration::from_secs(SUMMARY_DAYS * 86_400);
    let days = chart::last_buckets(now, SUMMARY_DAYS, 86_400);
    let counts = state.store.audit_counts(&Buckets::daily(since, now)).await?;
    let per_day = compliance_per_day(&counts, form.get("process"));
    let summary = AuditSummary::of(counts, None);

    let viewer = Viewer { base, caller };
    let next = (records.len() == PAGE).then(|| records.last().map(|record| record.seq)).flatten().map(|seq| {
        let mut pairs = chosen.clone();
        pairs.push(("after".to_owned(), seq.to_string()));
        viewer.base.to(&format!("/audit{}", Form::query(&pairs)))
    });
    let body = html! {
        (chain_state(&chain))
        section {
            h2 { "Compliance, last " (SUMMARY_DAYS) " days" }
            (summary_table(&summary))
            (compliance_chart(&days, &per_day, form.get("process")))
        }
        section {
            h2 { "Records" }
            (filter_form(&viewer.base, &form))
            @if viewer.may(Role::Admin) {
                (export_links(&viewer, &chosen))
            }
            p.muted #record-count { (layout::count(records.len(), "record", "records")) " on this page, oldest first" }
            div.scroll {
                table #audit-records {
                    thead { tr { th { "Seq" } th { "Time" } th { "Process" } th { "Action" } th { "Status" } th { "Reference" } th { "Actor" } th { "Details" } } }
                    tbody {
                        @for record in &records {
                            tr {
                                td.num { (record.seq) }
                                td { (when(record.timestamp)) }
                                td { (record.process) }
                                td { (record.action) }
                                td { (layout::status(record.status.as_str())) }
                                td { @if let Some(reference) = &record.reference { (reference.kind) " " (reference.id) } }
                                td { (record.actor.as_deref().unwrap_or("—")) }
                                td { code.details { (record.details) } }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = next {
                p { a.button href=(next) rel="next" { "Next page" } }
            }
        }
    };
    Ok(layout::page(&viewer, Nav::Audit, "Audit", body))
}

/// Compliance statuses, worst first: the bottom of each day's bar.
const WORST_FIRST: [&str; 4] = ["failed", "exception", "pending_review", "compliant"];

/// Records per day and compliance status, of one process or of all.
fn compliance_per_day(counts: &[AuditCount], process: Option<&str>) -> Vec<BucketCount> {
    counts
        .iter()
        .filter(|count| process.is_none_or(|process| process == count.process))
        .map(|count| BucketCount { start: count.start, label: count.status.clone(), count: count.count })
        .collect()
}

fn compliance_chart(days: &Buckets, per_day: &[BucketCount], process: Option<&str>) -> Markup {
    let classes: Vec<String> = WORST_FIRST.iter().map(|status| format!("cmp-{status}")).collect();
    let label = match process {
        Some(process) => format!("Audit records of {process} per day, by compliance"),
        None => "Audit records per day, by compliance".to_owned(),
    };
    html! {
        div #compliance-chart { (chart::stacked_bars(&label, days, per_day, &WORST_FIRST, &classes)) }
    }
}

/// The formats an admin may download the filtered records in.
const EXPORTS: [(&str, &str); 4] = [("csv", "CSV"), ("xlsx", "Excel"), ("pdf", "PDF report"), ("ndjson", "NDJSON")];

/// Links to the records the filters select, as files (admins only: the
/// route refuses other roles too).
fn export_links(viewer: &Viewer, chosen: &[(String, String)]) -> Markup {
    html! {
        p #exports {
            "Export these records: "
            @for (format, label) in EXPORTS {
                a.export.button href=(export_link(viewer, chosen, format)) download { (label) }
                " "
            }
        }
    }
}

/// The export route with the page's filters and `format`.
fn export_link(viewer: &Viewer, chosen: &[(String, String)], format: &str) -> String {
    let mut pairs = chosen.to_vec();
    pairs.push(("format".to_owned(), format.to_owned()));
    viewer.base.to(&format!("/audit/export{}", Form::query(&pairs)))
}

fn chain_state(report: &ChainReport) -> Markup {
    html! {
        section.chain-state #chain-state {
            @match &report.first_broken {
                None => p.ok { strong { "Chain intact" } " · " (report.rows) " records checked" },
                Some(link) => p.error role="alert" { strong { "Chain broken" } " at record " (link.seq) ": " (link.reason) },
            }
            p.muted { (report.to_string()) }
        }
    }
}

fn summary_table(summary: &AuditSummary) -> Markup {
    html! {
        @if summary.per_process.is_empty() {
            p.empty { "No audit records in this window." }
        } @else {
            div.scroll {
                table #compliance {
                    thead { tr { th { "Process" } @for status in STATUSES { th.num { (status.replace('_', " ")) } } th.num { "total" } } }
                    tbody {
                        @for (process, counts) in &summary.per_process {
                            tr {
                                td { (process) }
                                @for count in counts { td.num { (count) } }
                                td.num { (counts.iter().sum::<u64>()) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn filter_form(base: &Base, form: &Form) -> Markup {
    let text = |name: &str| form.get(name).unwrap_or_default().to_owned();
    html! {
        form.filters method="get" action=(base.to("/audit")) role="search" {
            label { "Process" input type="text" name="process" value=(text("process")); }
            label { "Action" input type="text" name="action" value=(text("action")); }
            label {
                "Status"
                select name="compliance" {
                    option value="" { "any" }
                    @for (value, label) in COMPLIANCE {
                        option value=(value) selected[form.get("compliance") == Some(value)] { (label) }
                    }
                }
            }
            label { "Actor" input type="text" name="actor" value=(text("actor")); }
            label { "Since" input type="text" name="since" value=(text("since")) placeholder="24h, 2026-12-01"; }
            label { "Until" input type="text" name="until" value=(text("until")); }
            button type="submit" { "Filter" }
        }
    }
}
