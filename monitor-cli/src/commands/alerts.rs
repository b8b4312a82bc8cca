//! `monitor alerts` and `monitor ack ID`: the incidents alert rules fired,
//! and an operator saying they are on one (which stops its repeat
//! notifications until it resolves or worsens).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use monitor_sinks::store::{AlertChange, AlertQuery, AlertStatus, Store, StoredAlert};
use serde_json::json;

use crate::commands::triage::actor;
use crate::failure::{Failure, Result};
use crate::json;
use crate::table::{Table, one_line, or_dash};
use crate::when::{parse_time, show};

#[derive(Debug, Args)]
pub(crate) struct AlertsArgs {
    /// Incidents still firing, acknowledged or not (the default).
    #[arg(long, conflicts_with_all = ["history", "status"])]
    pub(crate) active: bool,
    /// Every incident, resolved ones too.
    #[arg(long, conflicts_with = "status")]
    pub(crate) history: bool,
    /// Only incidents in this status: active, acknowledged, resolved.
    #[arg(long)]
    pub(crate) status: Option<String>,
    /// Only this rule's incidents.
    #[arg(long)]
    pub(crate) rule: Option<String>,
    /// Only incidents that started from this time on: `24h` (ago),
    /// `2026-12-01`, `2026-12-01T08:00:00Z`.
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Only incidents that started before this time.
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// At most this many, the newest.
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: usize,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AckArgs {
    /// The incident's id, as `monitor alerts` shows it.
    pub(crate) id: i64,
    /// What you are doing about it.
    #[arg(long, short = 'm', value_name = "TEXT")]
    pub(crate) comment: Option<String>,
    /// Who acknowledges it (default: the USER environment variable).
    #[arg(long, value_name = "NAME")]
    pub(crate) by: Option<String>,
    /// Print one JSON document instead of a line for people.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) async fn list(store: Arc<dyn Store>, args: AlertsArgs) -> Result<ExitCode> {
    let now = SystemTime::now();
    let time = |value: &Option<String>| value.as_deref().map(|text| parse_time(text, now).map_err(Failure)).transpose();
    let query = AlertQuery {
        rule: args.rule.clone(),
        since: time(&args.since)?,
        before: time(&args.until)?,
        limit: args.limit,
        ..AlertQuery::default()
    };
    let statuses: Vec<Option<AlertStatus>> = match (&args.status, args.history) {
        (Some(text), _) => vec![Some(AlertStatus::parse(text).ok_or_else(|| {
            Failure(format!("unknown alert status `{text}`: use one of active, acknowledged, resolved"))
        })?)],
        (None, true) => vec![None],
        // Still firing: an acknowledged incident has not gone away.
        (None, false) => vec![Some(AlertStatus::Active), Some(AlertStatus::Acknowledged)],
    };
    let mut alerts = Vec::new();
    for status in statuses {
        alerts.extend(store.alerts(&AlertQuery { status, ..query.clone() }).await?);
    }
    // Newest first across the statuses read, then the limit.
    alerts.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    alerts.truncate(args.limit);
    if args.json {
        json::print(&json!(alerts.iter().map(json::alert).collect::<Vec<_>>()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["id", "status", "severity", "rule", "started", "acknowledged by", "summary"]);
    for alert in &alerts {
        table.row(vec![
            alert.id.to_string(),
            alert.status.as_str().to_owned(),
            alert.severity.as_str().to_owned(),
            alert.rule.clone(),
            show(alert.started_at),
            or_dash(alert.acknowledged_by.as_deref()),
            one_line(&alert.summary),
        ]);
    }
    if table.is_empty() {
        eprintln!(
            "{}",
            if args.history || args.status.is_some() { "no incident matches" } else { "nothing is firing" }
        );
    } else {
        table.numeric(0).cut_text(6).print();
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn ack(store: Arc<dyn Store>, args: AckArgs) -> Result<ExitCode> {
    let by = actor(args.by.as_deref())?;
    let (alert, changed) = match store.acknowledge_alert(args.id, &by, args.comment.as_deref()).await? {
        AlertChange::Changed(alert) => (alert, true),
        AlertChange::Unchanged(alert) => (alert, false),
        AlertChange::NotFound => {
            return Err(Failure(format!(
                "no incident {} in {}: list them with `monitor alerts --history`",
                args.id,
                store.describe()
            )));
        }
    };
    if args.json {
        json::print(&json!({ "changed": changed, "alert": json::alert(&alert) }))?;
    } else {
        println!("{}", said(&alert, changed));
    }
    Ok(ExitCode::SUCCESS)
}

fn said(alert: &StoredAlert, changed: bool) -> String {
    let who = alert.acknowledged_by.as_deref().unwrap_or("someone");
    match (changed, alert.status) {
        (true, _) => format!("incident {} ({}) acknowledged by {who}", alert.id, alert.rule),
        (false, AlertStatus::Resolved) => {
            format!("incident {} ({}) is resolved: nothing to acknowledge", alert.id, alert.rule)
        }
        (false, _) => {
            format!("incident {} ({}) was already acknowledged by {who}: nothing changed", alert.id, alert.rule)
        }
    }
}
