//! The error groups: a search box and filters that live in the URL (a
//! link or a reload shows the same list), the same filters as the API and
//! the command line, and paging with the store's cursors. Operators also
//! select groups and resolve, ignore or assign them at once.

use std::time::SystemTime;

use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use maud::{Markup, html};
use monitor_runtime::{GroupKey, GroupStatus, Severity};
use monitor_sinks::store::{GroupChange, GroupQuery, StoredGroup};

use super::form::Form;
use super::layout::{self, Nav, PageError, PageResult, Viewer, when};
use super::session::Base;
use crate::auth::{Caller, Role};
use crate::query::Filters;
use crate::routes::allow;
use crate::state::AppState;
use crate::triage;

/// Groups on one page.
const PAGE: usize = 25;

const STATUSES: [GroupStatus; 4] =
    [GroupStatus::Open, GroupStatus::Investigating, GroupStatus::Resolved, GroupStatus::Ignored];
const SINCE: [(&str, &str); 4] =
    [("1h", "last hour"), ("24h", "last 24 h"), ("7d", "last 7 days"), ("30d", "last 30 days")];
/// The fields of the filter form (and the page's cursor, never kept).
/// The text fields under "More filters": the API's other group filters,
/// by their API names, with a label and an example.
const MORE_FIELDS: [(&str, &str, &str); 10] = [
    ("service", "Service", "billing"),
    ("environment", "Environment", "production"),
    ("release", "Release", "2.4.1"),
    ("function", "Function", "payments::*"),
    ("user", "User", "u-1042"),
    ("trace_id", "Trace id", "4bf92f35…"),
    ("tag", "Tag", "tenant=acme"),
    ("error_type", "Error type", "BankError"),
    ("assignee", "Assignee", "alice"),
    ("until", "Seen before", "2026-12-01"),
];
const KINDS: [(&str, &str); 4] = [("error", "error"), ("panic", "panic"), ("slow", "slow"), ("message", "message")];
const FORM_FIELDS: [&str; 20] = [
    "text",
    "status",
    "min_severity",
    "module",
    "since",
    "sort",
    "cursor",
    "severity",
    "kind",
    "service",
    "environment",
    "release",
    "function",
    "user",
    "trace_id",
    "tag",
    "error_type",
    "assignee",
    "until",
    "back",
];
const SORTS: [(&str, &str); 3] = [("last-seen", "last seen"), ("count", "most occurrences"), ("first-seen", "newest")];

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
    RawQuery(raw): RawQuery,
) -> PageResult<Html<String>> {
    let form = Form::parse(raw.unwrap_or_default().as_bytes());
    let chosen = form.without(&["cursor"]);
    let filters = Filters::from_pairs(chosen.clone())?;
    let mut query = filters.groups(SystemTime::now(), PAGE)?;
    query.after = form.get("cursor").map(str::to_owned);
    let page = state.store.group_page(&query).await?;

    let viewer = Viewer { base, caller };
    let next = page.next.as_ref().map(|cursor| {
        let mut pairs = chosen.clone();
        pairs.push(("cursor".to_owned(), cursor.clone()));
        viewer.base.to(&format!("/errors{}", Form::query(&pairs)))
    });
    let body = html! {
        (filter_form(&viewer.base, &form))
        p.muted #result-count {
            (layout::count(page.items.len(), "group", "groups"))
            @if page.next.is_some() { " on this page" }
            @if form.get("cursor").is_some() {
                " · " a href=(viewer.base.to(&format!("/errors{}", Form::query(&chosen)))) { "first page" }
            }
        }
        @if page.items.is_empty() {
            p.empty { "No group matches these filters." }
        } @else if viewer.may(Role::Operator) {
            form #bulk method="post" action=(viewer.base.to("/groups")) {
                input type="hidden" name="back" value=(viewer.base.to(&format!("/errors{}", Form::query(&form.pairs))));
                (groups_table(&viewer.base, &page.items, true))
                div.buttons.bulk {
                    label {
                        "Assign the selected to"
                        input type="text" name="assignee" autocomplete="off";
                    }
                    button type="submit" name="status" value="resolved" id="bulk-resolved" { "Resolve selected" }
                    button type="submit" name="status" value="ignored" id="bulk-ignored" { "Ignore selected" }
                    button type="submit" name="assign" value="1" id="bulk-assign" { "Assign selected" }
                }
            }
        } @else {
            (groups_table(&viewer.base, &page.items, false))
        }
        @if let Some(next) = next {
            p { a.button href=(next) rel="next" { "Next page" } }
        }
    };
    Ok(layout::page(&viewer, Nav::Errors, "Errors", body))
}

/// The groups, with a checkbox each when `selectable` (for bulk triage).
fn groups_table(base: &Base, groups: &[StoredGroup], selectable: bool) -> Markup {
    html! {
            div.scroll {
                table #groups {
                    thead { tr { @if selectable { th { span.hidden { "Select" } } } th { "Severity" } th { "Status" } th { "Group" } th { "Where" } th.num { "Count" } th { "Last seen" } th { "Assignee" } } }
                    tbody {
                        @for group in groups {
                            tr {
                                @if selectable {
                                    td { input type="checkbox" name="key" value=(group.key) aria-label={ "Select " (group.template) }; }
                                }
                                td { (layout::severity(group.severity)) }
                                td { (layout::status(group.status.as_str())) }
                                td { a.template href=(base.to(&format!("/groups/{}", group.key))) { (group.template) } }
                                td.muted { (group.location.module) "::" (group.location.function) }
                                td.num { (group.count) }
                                td { (when(group.last_seen)) }
                                td { (group.assignee.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
    }
}

/// `POST /dashboard/groups`: the selected groups resolved, ignored or
/// assigned at once, as the API's bulk change makes it (in chunks, each
/// group with its history entry and audit record); then back to the list.
pub(crate) async fn change_selected(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
    form: Form,
) -> PageResult<Redirect> {
    allow(&caller, Role::Operator)?;
    let keys = form
        .all("key")
        .into_iter()
        .map(|text| triage::group_key(text).map_err(|detail| PageError::new(StatusCode::BAD_REQUEST, detail)))
        .collect::<PageResult<Vec<GroupKey>>>()?;
    if keys.is_empty() {
        return Err(PageError::new(StatusCode::BAD_REQUEST, "select at least one group first"));
    }
    let mut change = GroupChange::by(caller.name.clone());
    if let Some(text) = form.get("status") {
        let status = GroupStatus::parse(text)
            .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, format!("unknown status `{text}`")))?;
        change = change.status(status);
    }
    if let Some(name) = form.get("assignee") {
        change = change.assign(name.trim().to_owned());
    }
    if change.status.is_none() && change.assignee.is_none() {
        return Err(PageError::new(StatusCode::BAD_REQUEST, "nothing to change: choose a status or give an assignee"));
    }
    change.validate().map_err(|error| PageError::new(StatusCode::BAD_REQUEST, error.message))?;
    let query = GroupQuery { keys: Some(keys.clone()), ..GroupQuery::all() };
    triage::change_these(&*state.store, &query, &keys, &change).await?;
    // Back to the list as it was filtered; only to a page of the list.
    let errors = base.to("/errors");
    let back = form.get("back").filter(|back| back.starts_with(&errors) && !back.contains("//")).unwrap_or(&errors);
    Ok(Redirect::to(back))
}

fn select(name: &str, label: &str, current: Option<&str>, options: &[(&str, &str)]) -> Markup {
    html! {
        label {
            (label)
            select name=(name) {
                option value="" { "any" }
                @for (value, text) in options {
                    option value=(value) selected[current == Some(*value)] { (text) }
                }
            }
        }
    }
}

fn filter_form(base: &Base, form: &Form) -> Markup {
    let statuses: Vec<(&str, &str)> = STATUSES.iter().map(|status| (status.as_str(), status.as_str())).collect();
    let severities: Vec<(&str, &str)> =
        Severity::ALL.iter().map(|severity| (severity.as_str(), severity.as_str())).collect();
    html! {
        form.filters method="get" action=(base.to("/errors")) role="search" {
            label.grow {
                "Search messages"
                input type="search" name="text" value=(form.get("text").unwrap_or_default()) placeholder="words in the message";
            }
            (select("status", "Status", form.get("status"), &statuses))
            (select("min_severity", "At least", form.get("min_severity"), &severities))
            label {
                "Module"
                input type="text" name="module" value=(form.get("module").unwrap_or_default()) placeholder="payments::*";
            }
            (select("since", "Seen in", form.get("since"), &SINCE))
            (select("sort", "Sort by", form.get("sort"), &SORTS))
            details.more open[MORE_FIELDS.iter().any(|(name, ..)| form.get(name).is_some()) || form.get("kind").is_some() || form.get("severity").is_some()] {
                summary { "More filters" }
                div.more-fields {
                    (select("severity", "Severity exactly", form.get("severity"), &severities))
                    (select("kind", "Kind", form.get("kind"), &KINDS))
                    @for (name, label, example) in MORE_FIELDS {
                        label {
                            (label)
                            input type="text" name=(name) value=(form.get(name).unwrap_or_default()) placeholder=(example);
                        }
                    }
                }
            }
            // Filters given in the URL that the form has no field for
            // (a link from the overview, `severity`, `tag`) are kept.
            @for (name, value) in form.without(&FORM_FIELDS) {
                input type="hidden" name=(name) value=(value);
            }
            // Tags after the first, which the field shows: all must match.
            @for tag in form.all("tag").iter().skip(1) {
                input type="hidden" name="tag" value=(tag);
            }
            button type="submit" { "Filter" }
        }
    }
}
