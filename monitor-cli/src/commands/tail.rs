//! `monitor tail [-f]`: the newest events, and with `-f` every new one as
//! the store receives it. The store is polled for events with a larger id
//! than the last shown, so nothing is shown twice and a burst larger than
//! a page is read a page at a time.

use std::io::Write;
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;
use monitor_sinks::store::{EventQuery, Store, StoredEvent};

use crate::failure::{Failure, Result};
use crate::filters::GroupFilters;
use crate::json;
use crate::table::one_line;
use crate::when::show;

/// Events read from the store at a time while catching up.
const PAGE: usize = 500;

#[derive(Debug, Args)]
pub(crate) struct TailArgs {
    /// How many of the newest events to show first.
    #[arg(short = 'n', long = "lines", default_value_t = 10, value_name = "N")]
    pub(crate) lines: usize,
    /// Keep going: show each new event as it is stored, until Ctrl-C.
    #[arg(short = 'f', long)]
    pub(crate) follow: bool,
    /// How often the store is asked for new events with -f: `1s`, `500ms`.
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    pub(crate) interval: String,
    #[command(flatten)]
    pub(crate) filters: GroupFilters,
    /// One JSON object per line (NDJSON) instead of lines for people.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Where shown events go: standard output, one line each. A closed pipe
/// (`monitor tail -f | head`) ends the command quietly.
struct Out {
    json: bool,
}

impl Out {
    /// Writes the events oldest first; false when the reader went away.
    fn show(&self, newest_first: &[StoredEvent]) -> Result<bool> {
        let mut stdout = std::io::stdout().lock();
        for event in newest_first.iter().rev() {
            let line = if self.json { json::event(event).to_string() } else { human(event) };
            if let Err(error) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
                return match error.kind() {
                    std::io::ErrorKind::BrokenPipe => Ok(false),
                    _ => Err(error.into()),
                };
            }
        }
        Ok(true)
    }
}

fn human(event: &StoredEvent) -> String {
    format!(
        "{}  {:<8}  {}  {}::{}  {}",
        show(event.timestamp),
        event.severity.as_str(),
        event.context.service.as_deref().unwrap_or("-"),
        event.location.module,
        event.location.function,
        one_line(&event.message)
    )
}

pub(crate) async fn run(store: Arc<dyn Store>, args: TailArgs) -> Result<ExitCode> {
    if args.filters.status.is_some() || args.filters.assignee.is_some() {
        return Err(Failure(
            "--status and --assignee select groups, not events: use them with `monitor groups`".to_owned(),
        ));
    }
    let interval = humantime::parse_duration(&args.interval)
        .ok()
        .filter(|interval| *interval >= Duration::from_millis(10))
        .ok_or_else(|| {
            Failure(format!("--interval `{}` is not a duration of 10ms or more: 1s, 500ms", args.interval))
        })?;
    let query = args.filters.events(SystemTime::now(), PAGE)?;
    let out = Out { json: args.json };
    // The newest id before the first page is read: with -f, only events
    // after it (and after those shown) are new, whatever the filters.
    let mut last_id = store.recent_events(1).await?.first().map_or(0, |event| event.id);
    let first = match args.lines {
        0 => Vec::new(),
        lines => store.event_page(&EventQuery { limit: lines, ..query.clone() }).await?.items,
    };
    last_id = first.iter().map(|event| event.id).fold(last_id, i64::max);
    if !out.show(&first)? || !args.follow {
        return Ok(ExitCode::SUCCESS);
    }
    let mut stop = pin!(tokio::signal::ctrl_c());
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(ExitCode::SUCCESS),
            () = tokio::time::sleep(interval) => {}
        }
        let found = tokio::select! {
            _ = &mut stop => return Ok(ExitCode::SUCCESS),
            found = newer_than(&*store, &query, last_id) => found,
        };
        match found {
            Ok(events) => {
                last_id = events.iter().map(|event| event.id).fold(last_id, i64::max);
                if !out.show(&events)? {
                    return Ok(ExitCode::SUCCESS);
                }
            }
            // A store that is briefly away (a restarting server) is asked
            // again at the next interval, as `tail -F` waits for a file.
            Err(error) => eprintln!("monitor: reading new events failed, trying again: {error}"),
        }
    }
}

/// The events matching `query` with an id above `last_id`, newest first.
async fn newer_than(store: &dyn Store, query: &EventQuery, last_id: i64) -> Result<Vec<StoredEvent>> {
    let mut query = query.clone();
    let mut found = Vec::new();
    loop {
        let page = store.event_page(&query).await?;
        let complete = page.items.iter().any(|event| event.id <= last_id) || page.next.is_none();
        found.extend(page.items.into_iter().filter(|event| event.id > last_id));
        if complete {
            return Ok(found);
        }
        query.after = page.next;
    }
}
