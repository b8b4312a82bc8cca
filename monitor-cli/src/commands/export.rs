//! `monitor export`: groups, events or audit records selected by filters,
//! read from the store a page at a time and written row by row, so memory
//! stays flat however many rows there are.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use monitor_export::{Fields, Format, Record, RecordKind, Report, export_audit, export_events, export_groups};
use monitor_sinks::store::Store;

use crate::cli::ExportArgs;
use crate::failure::{Failure, Result};
use crate::progress;

/// Rows read from the store at a time.
pub(crate) async fn run(store: Arc<dyn Store>, args: ExportArgs) -> Result<ExitCode> {
    let what: RecordKind = args.what.parse()?;
    let format = format_of(args.format.as_deref(), &args.out)?;
    let now = SystemTime::now();
    let mut report = Report::new(title(what, &*store));
    for (name, value) in args.filters.described(now) {
        report = report.filter(name, value);
    }
    let bar = progress::rows(&format!("{what} exported"));
    let mut progress = |rows: u64| bar.inc(rows);
    let out = &args.out;
    let rows = match what {
        RecordKind::Groups => {
            let query = args.filters.groups(now, usize::MAX)?;
            export_groups(&*store, query, format, report, &fields(&args)?, out, &mut progress).await?
        }
        RecordKind::Events => {
            let query = args.filters.events(now, usize::MAX)?;
            export_events(&*store, query, format, report, &fields(&args)?, out, &mut progress).await?
        }
        RecordKind::Audit => {
            let query = args.filters.audit(now, usize::MAX)?;
            export_audit(&*store, query, format, report, &fields(&args)?, out, &mut progress).await?
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
