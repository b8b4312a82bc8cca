//! `monitor groups`, `monitor show KEY` and `monitor events KEY`: what is
//! going wrong, one group in detail with its triage history, and the
//! events a group stored.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use monitor_runtime::GroupKey;
use monitor_sinks::store::{Store, StoredEvent, StoredGroup};
use serde_json::json;

use crate::failure::{Failure, Result};
use crate::filters::{self, GroupFilters};
use crate::json;
use crate::table::{Table, one_line, or_dash};
use crate::when::show;

#[derive(Debug, Args)]
pub(crate) struct GroupsArgs {
    #[command(flatten)]
    pub(crate) filters: GroupFilters,
    /// The order: last-seen (the default), count or first-seen; the
    /// largest first.
    #[arg(long, value_name = "ORDER")]
    pub(crate) sort: Option<String>,
    /// At most this many groups.
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: usize,
    /// Start after this cursor: the one the page before printed last.
    #[arg(long, value_name = "CURSOR")]
    pub(crate) after: Option<String>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The group's key, as `monitor groups` shows it.
    pub(crate) key: String,
    /// Print one JSON document instead of lines for people.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EventsArgs {
    /// The group's key, as `monitor groups` shows it.
    pub(crate) key: String,
    /// At most this many events, the newest.
    #[arg(long, short = 'n', default_value_t = 20)]
    pub(crate) limit: usize,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// A group key as typed: 16 hex digits (fewer are accepted, as the key
/// is a number).
pub(crate) fn key(text: &str) -> Result<GroupKey> {
    monitor_server::triage::group_key(text).map_err(Failure)
}

/// The stored group `key` names, or the line that says there is none.
pub(crate) async fn existing(store: &dyn Store, key: GroupKey) -> Result<StoredGroup> {
    store
        .group(key)
        .await?
        .ok_or_else(|| Failure(format!("no group {key} in {}: list them with `monitor groups`", store.describe())))
}

pub(crate) async fn list(store: Arc<dyn Store>, args: GroupsArgs) -> Result<ExitCode> {
    let mut query = args.filters.groups(SystemTime::now(), args.limit)?;
    if let Some(text) = &args.sort {
        query.sort = filters::sort(text)?;
    }
    query.after = args.after.clone();
    let page = store.group_page(&query).await?;
    if args.json {
        json::print(&json!({
            "groups": page.items.iter().map(json::group).collect::<Vec<_>>(),
            "next": page.next,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&["key", "status", "severity", "count", "last seen", "assignee", "where", "template"]);
    for group in &page.items {
        table.row(vec![
            group.key.to_string(),
            group.status.as_str().to_owned(),
            group.severity.as_str().to_owned(),
            group.count.to_string(),
            show(group.last_seen),
            or_dash(group.assignee.as_deref()),
            format!("{}::{}", group.location.module, group.location.function),
            one_line(&group.template),
        ]);
    }
    if table.is_empty() {
        eprintln!("no group matches");
    } else {
        table.numeric(3).cut_text(7).print();
    }
    if let Some(next) = &page.next {
        // On standard error, so that the table alone can be piped on.
        eprintln!("more: add --after {next}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn show_one(store: Arc<dyn Store>, args: ShowArgs) -> Result<ExitCode> {
    let key = key(&args.key)?;
    let group = existing(&*store, key).await?;
    let history = store.group_history(key).await?;
    let with_backtrace = latest_with_backtrace(&*store, key).await?;
    if args.json {
        json::print(&json!({
            "group": json::group(&group),
            "history": history.iter().map(json::history).collect::<Vec<_>>(),
            "backtrace": with_backtrace.as_ref().map(|event| json!({ "event": event.id, "frames": event.backtrace })),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let location = &group.location;
    let mut fields = vec![
        ("group", group.key.to_string()),
        ("template", group.template.clone()),
        ("status", group.status.as_str().to_owned()),
        ("assignee", or_dash(group.assignee.as_deref())),
        ("severity", group.severity.as_str().to_owned()),
        ("count", group.count.to_string()),
        ("first seen", show(group.first_seen)),
        ("last seen", show(group.last_seen)),
        ("where", format!("{}::{} ({}:{})", location.module, location.function, location.file, location.line)),
        ("error type", or_dash(group.error_type.as_deref())),
    ];
    if let Some(into) = group.merged_into {
        fields.push(("merged into", into.to_string()));
    }
    Table::pairs(fields).print();
    println!();
    if let Some(event) = &with_backtrace {
        println!("backtrace (event {}):", event.id);
        for frame in &event.backtrace {
            println!("  {frame}");
        }
        println!();
    }
    if history.is_empty() {
        println!("no triage yet");
        return Ok(ExitCode::SUCCESS);
    }
    let mut changes = Table::new(&["when", "by", "change"]);
    for entry in &history {
        let change = match (entry.field.as_str(), &entry.from, &entry.to) {
            ("note", _, to) => format!("note: {}", one_line(to.as_deref().unwrap_or_default())),
            (field, from, to) => format!("{field}: {} -> {}", or_dash(from.as_deref()), or_dash(to.as_deref())),
        };
        changes.row(vec![show(entry.at), entry.by.clone(), change]);
    }
    changes.print();
    Ok(ExitCode::SUCCESS)
}

/// Events a group's backtrace is looked for in, the newest: a group's first
/// event has one, and so has each panic, so it is rarely far.
const BACKTRACE_SEARCH: usize = 100;

/// The newest of a group's latest events that has a stack backtrace.
async fn latest_with_backtrace(store: &dyn Store, key: GroupKey) -> Result<Option<StoredEvent>> {
    let events = store.events_of_group(key, BACKTRACE_SEARCH).await?;
    Ok(events.into_iter().find(|event| !event.backtrace.is_empty()))
}

pub(crate) async fn events(store: Arc<dyn Store>, args: EventsArgs) -> Result<ExitCode> {
    let key = key(&args.key)?;
    // An unknown key is refused rather than shown as a group without events.
    existing(&*store, key).await?;
    let events = store.events_of_group(key, args.limit).await?;
    if args.json {
        json::print(&json!({
            "group": key.to_string(),
            "events": events.iter().map(json::event).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    print_events(&events);
    Ok(ExitCode::SUCCESS)
}

/// Events as a table, in the order given.
pub(crate) fn print_events(events: &[monitor_sinks::store::StoredEvent]) {
    let mut table = Table::new(&["id", "time", "severity", "kind", "service", "user", "message"]);
    for event in events {
        table.row(vec![
            event.id.to_string(),
            show(event.timestamp),
            event.severity.as_str().to_owned(),
            event.kind.as_str().to_owned(),
            or_dash(event.context.service.as_deref()),
            or_dash(event.context.user.as_deref()),
            one_line(&event.message),
        ]);
    }
    if table.is_empty() {
        eprintln!("no events stored");
    } else {
        table.numeric(0).cut_text(6).print();
    }
}
