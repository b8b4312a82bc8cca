//! Exports read straight from a store: groups, events or audit records
//! selected by a query, read a page at a time and written row by row, so
//! memory stays flat however many rows there are. The `monitor export`
//! command and the HTTP API's audit export both run these.

use std::path::Path;

use monitor_sinks::store::{
    AuditQuery, EventQuery, GroupQuery, Page, Store, StoreError, StoredAudit, StoredEvent, StoredGroup,
};

use crate::{ComplianceSummary, Export, ExportError, ExportSummary, ExportWriter, Fields, Format, Record, Report};

/// Records read from the store at a time.
const PAGE: usize = 1000;

impl From<StoreError> for ExportError {
    fn from(error: StoreError) -> Self {
        ExportError::Store { message: error.message }
    }
}

fn open<R: Record>(
    format: Format,
    report: Report,
    fields: &Fields<R>,
    path: &Path,
) -> Result<ExportWriter<'static>, ExportError> {
    Export::new(format, report, fields.names())?.to_path(path)
}

fn write<R: Record>(
    out: &mut ExportWriter<'_>,
    fields: &Fields<R>,
    rows: &[R],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), ExportError> {
    for row in rows {
        out.write_row(&fields.row(row))?;
    }
    progress(rows.len() as u64);
    Ok(())
}

/// Writes every page `next_page` reads (given the cursor of the page
/// before, `first` at the start) until the last, then finishes the file.
async fn write_pages<R, F, Fut>(
    mut out: ExportWriter<'static>,
    fields: &Fields<R>,
    progress: &mut (dyn FnMut(u64) + Send),
    first: Option<String>,
    mut next_page: F,
) -> Result<ExportSummary, ExportError>
where
    R: Record,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<R>, StoreError>>,
{
    let mut after = first;
    loop {
        let page = next_page(after).await?;
        write(&mut out, fields, &page.items, progress)?;
        match page.next {
            Some(next) => after = Some(next),
            None => return out.finish(),
        }
    }
}

/// Writes the groups `query` selects (all of them, in its order, whatever
/// its limit) to `path`; `progress` hears how many rows each page added.
///
/// ```no_run
/// # async fn run(store: &dyn monitor_sinks::store::Store) -> Result<(), monitor_export::ExportError> {
/// use monitor_export::{Fields, Format, Report, export_groups};
/// use monitor_sinks::store::GroupQuery;
///
/// let summary = export_groups(store, GroupQuery::all(), Format::Csv, Report::new("Groups"), &Fields::all(), "groups.csv".as_ref(), &mut |_| {}).await?;
/// println!("{} rows", summary.rows);
/// # Ok(()) }
/// ```
pub async fn export_groups(
    store: &dyn Store,
    query: GroupQuery,
    format: Format,
    report: Report,
    fields: &Fields<StoredGroup>,
    path: &Path,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ExportSummary, ExportError> {
    let out = open(format, report, fields, path)?;
    let query = GroupQuery { limit: PAGE, ..query };
    write_pages(out, fields, progress, query.after.clone(), |after| {
        let page = GroupQuery { after, ..query.clone() };
        async move { store.group_page(&page).await }
    })
    .await
}

/// Writes the events `query` selects, newest first, to `path`.
pub async fn export_events(
    store: &dyn Store,
    query: EventQuery,
    format: Format,
    report: Report,
    fields: &Fields<StoredEvent>,
    path: &Path,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ExportSummary, ExportError> {
    let out = open(format, report, fields, path)?;
    let query = EventQuery { limit: PAGE, ..query };
    write_pages(out, fields, progress, query.after.clone(), |after| {
        let page = EventQuery { after, ..query.clone() };
        async move { store.event_page(&page).await }
    })
    .await
}

/// Writes the audit records `query` selects, oldest first, to `path`. A
/// PDF report opens with the compliance summary per process of every
/// record it covers, counted in a first pass.
pub async fn export_audit(
    store: &dyn Store,
    mut query: AuditQuery,
    format: Format,
    mut report: Report,
    fields: &Fields<StoredAudit>,
    path: &Path,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<ExportSummary, ExportError> {
    query.limit = PAGE;
    if format == Format::Pdf {
        let mut summary = ComplianceSummary::new();
        audit_pages(store, query.clone(), |rows| {
            rows.iter().for_each(|row| summary.add(row));
            Ok(())
        })
        .await?;
        report = report.summary(summary.table());
    }
    let mut out = open(format, report, fields, path)?;
    audit_pages(store, query, |rows| write(&mut out, fields, rows, progress)).await?;
    out.finish()
}

async fn audit_pages(
    store: &dyn Store,
    mut query: AuditQuery,
    mut each: impl FnMut(&[StoredAudit]) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    loop {
        let rows = store.audit_records(&query).await?;
        each(&rows)?;
        match rows.last() {
            Some(last) if rows.len() == query.limit => query.after_seq = Some(last.seq),
            _ => return Ok(()),
        }
    }
}
