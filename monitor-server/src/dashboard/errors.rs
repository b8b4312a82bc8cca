//! The error groups: a search box and filters that live in the URL (a
//! link or a reload shows the same list), the same filters as the API and
//! the command line, and paging with the store's cursors.

use std::time::SystemTime;

use axum::extract::{Extension, RawQuery, State};
use axum::response::Html;
use maud::{Markup, html};
use monitor_runtime::{GroupStatus, Severity};

use super::form::Form;
use super::layout::{self, Nav, PageResult, Viewer, when};
use super::session::Base;
use crate::auth::Caller;
use crate::query::Filters;
use crate::state::AppState;

/// Groups on one page.
const PAGE: usize = 25;

const STATUSES: [GroupStatus; 4] =
    [GroupStatus::Open, GroupStatus::Investigating, GroupStatus::Resolved, GroupStatus::Ignored];
const SINCE: [(&str, &str); 4] =
    [("1h", "last hour"), ("24h", "last 24 h"), ("7d", "last 7 days"), ("30d", "last 30 days")];
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
        } @else {
            div.scroll {
                table #groups {
                    thead { tr { th { "Severity" } th { "Status" } th { "Group" } th { "Where" } th.num { "Count" } th { "Last seen" } th { "Assignee" } } }
                    tbody {
                        @for group in &page.items {
                            tr {
                                td { (layout::severity(group.severity)) }
                                td { (layout::status(group.status.as_str())) }
                                td { a.template href=(viewer.base.to(&format!("/groups/{}", group.key))) { (group.template) } }
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
        @if let Some(next) = next {
            p { a.button href=(next) rel="next" { "Next page" } }
        }
    };
    Ok(layout::page(&viewer, Nav::Errors, "Errors", body))
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
            button type="submit" { "Filter" }
        }
    }
}
