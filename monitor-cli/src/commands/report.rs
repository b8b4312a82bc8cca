//! `monitor report`: what a scheduled summary says, for any period, on
//! demand: errors by severity, new groups, regressions, top groups, the
//! slowest functions, alerts with their mean times, and audit records per
//! process.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;
use monitor_sinks::store::{Store, summary_report};

use crate::failure::{Failure, Result};
use crate::json;
use crate::when::{parse_time, show};

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// From this time on: `24h` (ago, the default), `7d`, `2026-12-01`,
    /// `2026-12-01T08:00:00Z`.
    #[arg(long, value_name = "TIME", default_value = "24h")]
    pub(crate) since: String,
    /// Before this time (default: now).
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// Print one JSON document (the `monitor.summary.v1` body) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) async fn run(store: Arc<dyn Store>, args: ReportArgs) -> Result<ExitCode> {
    let now = SystemTime::now();
    let since = parse_time(&args.since, now).map_err(Failure)?;
    let until = args.until.as_deref().map_or(Ok(now), |text| parse_time(text, now)).map_err(Failure)?;
    if since >= until {
        return Err(Failure(format!(
            "the period is empty: --since {} is not before --until {}; give an earlier --since",
            show(since),
            show(until)
        )));
    }
    let mut report = summary_report(&*store, since, until).await?;
    report.name = "report".to_owned();
    report.since = Some(since);
    report.until = Some(until);
    report.period = format!("{} to {} ({})", show(since), show(until), length(until.duration_since(since)));
    if args.json {
        json::print(&monitor_sinks::webhook::summary_json(&report))?;
    } else {
        print!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}

/// `24 h`, `7 d`, `90 min`.
fn length(span: std::result::Result<Duration, std::time::SystemTimeError>) -> String {
    let minutes = span.map_or(0, |span| span.as_secs() / 60);
    match minutes {
        m if m % (24 * 60) == 0 && m > 0 => format!("{} d", m / (24 * 60)),
        m if m % 60 == 0 && m > 0 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}
