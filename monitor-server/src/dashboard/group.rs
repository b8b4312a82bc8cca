//! One group: what it is, how often it happened hour by hour, its latest
//! events in full (message, chain, context, tags, arguments, backtrace, all as the
//! store kept them, scrubbed and masked), its triage history, and for
//! operators the buttons that triage it. A change goes through the same
//! store call as the API's, with the signed-in token's name as the actor.

use std::time::SystemTime;

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use maud::{Markup, html};
use monitor_runtime::{GroupKey, GroupStatus};
use monitor_sinks::store::{Breakdown, GroupChange, GroupQuery, StoredEvent, StoredGroup};

use super::chart;
use super::form::Form;
use super::layout::{self, Nav, PageError, PageResult, Viewer, when};
use super::session::Base;
use crate::auth::{Caller, Role};
use crate::routes::allow;
use crate::state::AppState;
use crate::triage;

/// Events shown in full on the page.
const EVENTS: usize = 10;

fn key(text: &str) -> PageResult<GroupKey> {
    triage::group_key(text).map_err(|detail| PageError::new(StatusCode::BAD_REQUEST, detail))
}

async fn existing(state: &AppState, key: GroupKey) -> PageResult<StoredGroup> {
    state
        .store
        .group(key)
        .await?
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, format!("no group with key {key}")))
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
    Path(text): Path<String>,
) -> PageResult<Html<String>> {
    let key = key(&text)?;
    let group = existing(&state, key).await?;
    let history = state.store.group_history(key).await?;
    let events = state.store.events_of_group(key, EVENTS).await?;
    let hours = chart::last_hours(SystemTime::now(), 24);
    let only_this = GroupQuery { keys: Some(vec![key]), ..GroupQuery::all() };
    let counts = state.store.occurrence_counts(&hours, Breakdown::Severity, &only_this).await?;

    let viewer = Viewer { base, caller };
    let body = html! {
        p.template #template { (group.template) }
        dl.facts {
            dt { "Status" } dd #group-status { (layout::status(group.status.as_str())) }
            dt { "Severity" } dd { (layout::severity(group.severity)) }
            dt { "Occurrences" } dd { (group.count) }
            dt { "First seen" } dd { (when(group.first_seen)) }
            dt { "Last seen" } dd { (when(group.last_seen)) }
            dt { "Where" } dd { (group.location.module) "::" (group.location.function) " (" (group.location.file) ":" (group.location.line) ")" }
            @if let Some(error_type) = &group.error_type { dt { "Error type" } dd { code { (error_type) } } }
            dt { "Assignee" } dd { (group.assignee.as_deref().unwrap_or("nobody")) }
            dt { "Key" } dd { code { (group.key) } }
        }
        @if viewer.may(Role::Operator) {
            (triage_form(&viewer.base, &group))
        }
        section {
            h2 { "Occurrences per hour" }
            (chart::severity_bars("Occurrences in the last 24 hours", &hours, &counts))
        }
        section {
            h2 { "Latest events" }
            @if events.is_empty() { p.empty { "No stored events: retention may have removed them." } }
            @for (index, event) in events.iter().enumerate() { (event_details(event, index == 0)) }
        }
        section {
            h2 { "History and notes" }
            @if history.is_empty() {
                p.empty { "Nobody has triaged this group yet." }
            } @else {
                ol.history #history {
                    @for entry in &history {
                        li {
                            (when(entry.at)) " · " strong { (entry.by) } " · " (entry.field.as_str()) ": "
                            @if let Some(from) = &entry.from { (from) " → " }
                            (entry.to.as_deref().unwrap_or("—"))
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&viewer, Nav::Errors, "Group", body))
}

fn triage_form(base: &Base, group: &StoredGroup) -> Markup {
    let action = base.to(&format!("/groups/{}", group.key));
    let offered: Vec<(GroupStatus, &str)> = [
        (GroupStatus::Resolved, "Resolve"),
        (GroupStatus::Ignored, "Ignore"),
        (GroupStatus::Investigating, "Investigate"),
        (GroupStatus::Open, "Reopen"),
    ]
    .into_iter()
    .filter(|(status, _)| *status != group.status)
    .collect();
    html! {
        form.triage method="post" action=(action) {
            label.grow {
                "Note (optional; kept in the history)"
                textarea name="note" rows="2" {}
            }
            label {
                "Assign to"
                input type="text" name="assignee" value=(group.assignee.as_deref().unwrap_or_default()) autocomplete="off";
            }
            div.buttons {
                @for (status, label) in offered {
                    button type="submit" name="status" value=(status.as_str()) id={ "triage-" (status.as_str()) } { (label) }
                }
                button type="submit" name="save" value="1" id="triage-save" { "Save note and assignee" }
            }
        }
    }
}

fn event_details(event: &StoredEvent, open: bool) -> Markup {
    let context = &event.context;
    let facts = [
        ("service", &context.service),
        ("environment", &context.environment),
        ("release", &context.release),
        ("user", &context.user),
        ("trace", &context.trace_id),
    ];
    html! {
        details.event open[open] {
            summary { (layout::severity(event.severity)) " " (when(event.timestamp)) " · " span.message { (event.message) } }
            @if !event.chain.is_empty() {
                h3 { "Caused by" }
                ol.chain { @for cause in &event.chain { li { (cause) } } }
            }
            dl.facts {
                @for (name, value) in facts {
                    @if let Some(value) = value { dt { (name) } dd { (value) } }
                }
                @for (tag, value) in &context.tags { dt { "tag " (tag) } dd { (value) } }
                @for (name, value) in &event.args { dt { "arg " (name) } dd { code { (value) } } }
                @if event.occurrences > 1 { dt { "occurrences" } dd { (event.occurrences) } }
            }
            @if !event.backtrace.is_empty() {
                h3 { "Backtrace" }
                pre.backtrace { (event.backtrace.join("\n")) }
            }
        }
    }
}

/// `POST /dashboard/groups/{key}`: a status button, a note, an assignee.
pub(crate) async fn change(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
    Path(text): Path<String>,
    form: Form,
) -> PageResult<Redirect> {
    allow(&caller, Role::Operator)?;
    let key = key(&text)?;
    let group = existing(&state, key).await?;
    let mut change = GroupChange::by(caller.name.clone());
    if let Some(text) = form.get("status") {
        let status = GroupStatus::parse(text)
            .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, format!("unknown status `{text}`")))?;
        change = change.status(status);
    }
    // The assignee field shows the current one: only a different name
    // changes it (blank fields are dropped, so clearing it keeps it).
    if let Some(name) = form.get("assignee").map(str::trim)
        && group.assignee.as_deref() != Some(name)
    {
        change = change.assign(name.to_owned());
    }
    if let Some(note) = form.get("note") {
        change = change.note(note.to_owned());
    }
    if change.status.is_some() || change.assignee.is_some() || change.note.is_some() {
        change.validate().map_err(|error| PageError::new(StatusCode::BAD_REQUEST, error.message))?;
        state.store.change_group(key, &change).await?;
    }
    Ok(Redirect::to(&base.to(&format!("/groups/{key}"))))
}
