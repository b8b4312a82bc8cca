//! The overview, the page people open first: four numbers for the last
//! 24 hours, errors per hour by severity, the groups that happened most,
//! and a feed of new events that the browser keeps up to date from the
//! live stream without a reload.

use std::time::{Duration, SystemTime};

use axum::extract::{Extension, State};
use axum::response::Html;
use maud::{Markup, html};
use monitor_runtime::audit::ComplianceStatus;
use monitor_sinks::store::{AlertQuery, AlertStatus, AuditQuery, Breakdown, GroupQuery, StoredEvent};

use super::chart;
use super::layout::{self, Nav, PageResult, Viewer, when};
use super::session::Base;
use crate::auth::Caller;
use crate::state::AppState;

/// Groups in the top list, and events in the feed when the page loads.
const TOP_GROUPS: usize = 10;
const FEED_EVENTS: usize = 15;
/// Audit failures counted for the card, at most.
const AUDIT_FAILURES_COUNTED: usize = 1000;

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
) -> PageResult<Html<String>> {
    let store = &*state.store;
    let now = SystemTime::now();
    let day_ago = now - Duration::from_secs(86_400);
    let hours = chart::last_hours(now, 24);
    let every_group = GroupQuery::all();

    let counts = store.occurrence_counts(&hours, Breakdown::Severity, &every_group).await?;
    let errors: u64 = counts.iter().map(|count| count.count).sum();
    let new_groups: u64 = store.new_group_counts(&hours, &every_group).await?.iter().map(|count| count.count).sum();
    let mut firing = 0;
    for status in [AlertStatus::Active, AlertStatus::Acknowledged] {
        firing +=
            store.alerts(&AlertQuery { status: Some(status), limit: usize::MAX, ..AlertQuery::default() }).await?.len();
    }
    let failures = store
        .audit_records(&AuditQuery {
            status: Some(ComplianceStatus::Failed),
            since: Some(day_ago),
            limit: AUDIT_FAILURES_COUNTED,
            ..AuditQuery::default()
        })
        .await?
        .len();
    let top = store.top_groups(day_ago, now, TOP_GROUPS).await?;
    let recent = store.recent_events(FEED_EVENTS).await?;

    let viewer = Viewer { base, caller };
    let failures_shown =
        if failures >= AUDIT_FAILURES_COUNTED { format!("{AUDIT_FAILURES_COUNTED}+") } else { failures.to_string() };
    let body = html! {
        section.cards aria-label="The last 24 hours" {
            (card("Errors, last 24 h", &errors.to_string(), &viewer.base.to("/errors?since=24h"), "errors-24h"))
            (card("New groups, last 24 h", &new_groups.to_string(), &viewer.base.to("/errors?since=24h&sort=first-seen"), "new-groups"))
            (card("Alerts firing", &firing.to_string(), &viewer.base.to("/alerts"), "alerts-firing"))
            (card("Audit failures, last 24 h", &failures_shown, &viewer.base.to("/audit?compliance=failed&since=24h"), "audit-failures"))
        }
        section {
            h2 { "Errors per hour, by severity" }
            (chart::severity_bars("Errors in the last 24 hours", &hours, &counts))
        }
        div.columns {
            section {
                h2 { "Top groups, last 24 h" }
                @if top.is_empty() {
                    p.empty { "No errors in the last 24 hours." }
                } @else {
                    ol.top {
                        @for entry in &top {
                            li {
                                (layout::severity(entry.group.severity))
                                " "
                                a href=(viewer.base.to(&format!("/groups/{}", entry.group.key))) { (entry.group.template) }
                                " "
                                span.muted { "×" (entry.count) }
                            }
                        }
                    }
                }
            }
            section {
                h2 { "Live events " span #live-state .muted aria-live="polite" { "(connecting…)" } }
                ul #live-feed .feed data-stream=(viewer.base.to("/stream")) data-group=(viewer.base.to("/groups/")) {
                    @for event in &recent {
                        (feed_item(&viewer.base, event))
                    }
                }
            }
        }
    };
    Ok(layout::page(&viewer, Nav::Overview, "Overview", body))
}

fn card(label: &str, value: &str, link: &str, id: &str) -> Markup {
    html! {
        a.card href=(link) id=(id) {
            span.value { (value) }
            span.label { (label) }
        }
    }
}

/// One event of the feed, as the page's script also writes them.
fn feed_item(base: &Base, event: &StoredEvent) -> Markup {
    html! {
        li {
            (layout::severity(event.severity))
            " "
            a href=(base.to(&format!("/groups/{}", event.group_key))) { (event.message) }
            " "
            span.muted { (when(event.timestamp)) }
        }
    }
}
