//! `monitor export`: groups, events or audit records selected by filters,
//! read from the store a page at a time and written row by row, so memory
//! stays flat however many rows there are.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use monitor_export::{ComplianceSummary, Export, ExportWriter, Fields, Format, Record, RecordKind, Report};
use monitor_sinks::store::{AuditQuery, Store, StoredAudit};

use crate::cli::ExportArgs;
use crate::failure::{Failure, Result};
use crate::progress;

/// Rows read from the store at a time.
const PAGE: usize = 1000;

pub(crate) async fn run(store: Arc<dyn Store>, args: ExportArgs) -> Result<ExitCode> {
    let what: RecordKind = args.what.parse()?;
    let format = format_of(args.format.as_deref(), &args.out)?;
    let now = SystemTime::now();
    let mut report = Report::new(title(what, &*store));
    for (name, value) in args.filters.described(now) {
        report = report.filter(name, value);
    }
    let bar = progress::rows(&format!("{what} exported"));
    let rows = match what {
        RecordKind::Groups => {
            let fields = fields(&args)?;
            let mut out = open(format, report, &fields, &args.out)?;
            let mut query = args.filters.groups(now, PAGE)?;
            loop {
                let page = store.group_page(&query).await?;
                write(&mut out, &fields, &page.items, &bar)?;
                match page.next {
                    Some(next) => query.after = Some(next),
                    None => break out.finish()?,
                }
            }
        }
        RecordKind::Events => {
            let fields = fields(&args)?;
            let mut out = open(format, report, &fields, &args.out)?;
            let mut query = args.filters.events(now, PAGE)?;
            loop {
                let page = store.event_page(&query).await?;
                write(&mut out, &fields, &page.items, &bar)?;
                match page.next {
                    Some(next) => query.after = Some(next),
                    None => break out.finish()?,
                }
            }
        }
        RecordKind::Audit => {
            let fields = fields(&args)?;
            let query = args.filters.audit(now, PAGE)?;
            if format == Format::Pdf {
                // A PDF report opens with the compliance summary of every
                // record it covers: counted in a first pass.
                let mut summary = ComplianceSummary::new();
                audit_pages(&*store, query.clone(), |rows| {
                    rows.iter().for_each(|row| summary.add(row));
                    Ok(())
                })
                .await?;
                report = report.summary(summary.table());
            }
            let mut out = open(format, report, &fields, &args.out)?;
            audit_pages(&*store, query, |rows| write(&mut out, &fields, rows, &bar)).await?;
            out.finish()?
        }
    };
    bar.finish_and_clear();
    let mut said = format!("{} rows of {what} written to {} ({} bytes)", rows.rows, args.out.display(), rows.bytes);
    if rows.rows_not_shown > 0 {
        said.push_str(&format!(
            "; the PDF lists the first {} and counts the other {}: export CSV or xlsx for all of them",
            rows.rows - rows.rows_not_shown,
            rows.rows_not_shown
        ));
    }
    eprintln!("{said}");
    Ok(ExitCode::SUCCESS)
}

/// Every audit row the query selects, a page at a time, oldest first.
async fn audit_pages(
    store: &dyn Store,
    mut query: AuditQuery,
    mut each: impl FnMut(&[StoredAudit]) -> Result<()>,
) -> Result<()> {
    loop {
        let rows = store.audit_records(&query).await?;
        each(&rows)?;
        match rows.last() {
            Some(last) if rows.len() == query.limit => query.after_seq = Some(last.seq),
            _ => return Ok(()),
        }
    }
}

fn title(what: RecordKind, store: &dyn Store) -> String {
    let what = match what {
        RecordKind::Audit => "Audit records",
        RecordKind::Groups => "Error groups",
        RecordKind::Events => "Events",
    };
    format!("{what} of {}", store.describe())
}

/// The format asked for, or the one the file's extension names.
fn format_of(given: Option<&str>, out: &Path) -> Result<Format> {
    if let Some(name) = given {
        return Ok(name.parse()?);
    }
    let extension = out.extension().and_then(|extension| extension.to_str()).unwrap_or_default();
    extension.to_ascii_lowercase().parse().map_err(|_| {
        Failure(format!(
            "which format? `{}` has no known extension: give --format csv, json, ndjson, xml, xlsx or pdf",
            out.display()
        ))
    })
}

fn fields<R: Record>(args: &ExportArgs) -> Result<Fields<R>> {
    Ok(match &args.fields {
        Some(spec) => Fields::parse(spec)?,
        None => Fields::all(),
    })
}

fn open(format: Format, report: Report, fields: &Fields<impl Record>, out: &Path) -> Result<ExportWriter<'static>> {
    Ok(Export::new(format, report, fields.names())?.to_path(out)?)
}

fn write<R: Record>(
    out: &mut ExportWriter<'_>,
    fields: &Fields<R>,
    rows: &[R],
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    for row in rows {
        out.write_row(&fields.row(row))?;
    }
    bar.inc(rows.len() as u64);
    Ok(())
}
