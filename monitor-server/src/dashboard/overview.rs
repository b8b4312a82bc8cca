//! The overview, the page people open first: five numbers for the last
//! 24 hours (kept up to date by the page's script), errors over time by
//! severity (24 h, 7 days or 30 days), the groups that happened most, the
//! slowest functions, and a feed of new events that the browser keeps up
//! to date from the live stream without a reload.

use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Html;
use maud::{Markup, html};
use monitor_runtime::GroupStatus;
use monitor_runtime::audit::ComplianceStatus;
use monitor_sinks::store::{AuditQuery, Breakdown, GroupQuery, Store, StoredEvent};
use serde::Serialize;

use super::alerts;
use super::chart;
use super::form::Form;
use super::layout::{self, Nav, PageError, PageResult, Viewer, when};
use super::performance;
use super::session::Base;
use crate::auth::Caller;
use crate::state::AppState;

/// Groups in the top list, functions in the slowest list, and events in
/// the feed when the page loads.
const TOP_GROUPS: usize = 10;
const SLOWEST_FUNCTIONS: usize = 5;
const FEED_EVENTS: usize = 15;
/// Audit failures counted for the card, at most.
const AUDIT_FAILURES_COUNTED: usize = 1000;
const DAY: Duration = Duration::from_secs(86_400);

/// The chart's ranges: (name in the URL, label, buckets, bucket seconds).
const RANGES: [(&str, &str, u64, u64); 3] =
    [("24h", "24 hours", 24, 3600), ("7d", "7 days", 28, 6 * 3600), ("30d", "30 days", 30, 86_400)];

/// The cards' numbers, by the id of their card: the page shows them and
/// `/dashboard/cards` answers them for the script to refresh.
#[derive(Debug, Serialize)]
pub(crate) struct Cards {
    #[serde(rename = "errors-24h")]
    errors: String,
    #[serde(rename = "new-groups")]
    new_groups: String,
    reopened: String,
    #[serde(rename = "alerts-firing")]
    firing: String,
    #[serde(rename = "audit-failures")]
    failures: String,
}

impl Cards {
    async fn of(store: &dyn Store, now: SystemTime) -> Result<Cards, PageError> {
        let day = chart::last_hours(now, 24);
        let every_group = GroupQuery::all();
        let counts = store.occurrence_counts(&day, Breakdown::Severity, &every_group).await?;
        let errors: u64 = counts.iter().map(|count| count.count).sum();
        let new_groups: u64 = store.new_group_counts(&day, &every_group).await?.iter().map(|count| count.count).sum();
        // Open again after a change in the last day: a resolved group seen
        // again (a regression), or one reopened by hand. New groups have
        // never changed status.
        let day_ago_ms = now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().saturating_sub(DAY).as_millis();
        let changes = store.status_changes(Some(day_ago_ms as i64)).await?;
        let reopened = changes.changes.iter().filter(|(_, status)| *status == GroupStatus::Open).count();
        let firing = alerts::firing(store).await?.len();
        let failures = store
            .audit_records(&AuditQuery {
                status: Some(ComplianceStatus::Failed),
                since: Some(now - DAY),
                limit: AUDIT_FAILURES_COUNTED,
                ..AuditQuery::default()
            })
            .await?
            .len();
        let failures = if failures >= AUDIT_FAILURES_COUNTED {
            format!("{AUDIT_FAILURES_COUNTED}+")
        } else {
            failures.to_string()
        };
        Ok(Cards {
            errors: errors.to_string(),
            new_groups: new_groups.to_string(),
            reopened: reopened.to_string(),
            firing: firing.to_string(),
            failures,
        })
    }
}

/// The cards' numbers as JSON, for the overview's script.
pub(crate) async fn cards(State(state): State<AppState>) -> PageResult<Json<Cards>> {
    Ok(Json(Cards::of(&*state.store, SystemTime::now()).await?))
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
    RawQuery(raw): RawQuery,
) -> PageResult<Html<String>> {
    let form = Form::parse(raw.unwrap_or_default().as_bytes());
    let range_name = form.get("range").unwrap_or("24h");
    let (_, range_label, count, width) =
        RANGES.iter().find(|(name, ..)| *name == range_name).copied().ok_or_else(|| {
            PageError::new(StatusCode::BAD_REQUEST, format!("range `{range_name}` is not one of 24h, 7d or 30d"))
        })?;
    let store = &*state.store;
    let now = SystemTime::now();
    let cards = Cards::of(store, now).await?;
    let range = chart::last_buckets(now, count, width);
    let counts = store.occurrence_counts(&range, Breakdown::Severity, &GroupQuery::all()).await?;
    let top = store.top_groups(now - DAY, now, TOP_GROUPS).await?;
    let mut slowest = performance::totals(&store.function_stats(&chart::last_hours(now, 24), None, None).await?);
    slowest.sort_by(|a, b| b.worst_p95.cmp(&a.worst_p95).then_with(|| b.calls.cmp(&a.calls)));
    slowest.truncate(SLOWEST_FUNCTIONS);
    let recent = store.recent_events(FEED_EVENTS).await?;

    let viewer = Viewer { base, caller };
    let base = &viewer.base;
    let body = html! {
        section.cards #cards aria-label="The last 24 hours" data-refresh=(base.to("/cards")) {
            (card("Errors, last 24 h", &cards.errors, &base.to("/errors?since=24h"), "errors-24h"))
            (card("New groups, last 24 h", &cards.new_groups, &base.to("/errors?since=24h&sort=first-seen"), "new-groups"))
            (card("Reopened, last 24 h", &cards.reopened, &base.to("/errors?status=open"), "reopened"))
            (card("Alerts firing", &cards.firing, &base.to("/alerts"), "alerts-firing"))
            (card("Audit failures, last 24 h", &cards.failures, &base.to("/audit?compliance=failed&since=24h"), "audit-failures"))
        }
        section {
            h2 { "Errors over time, by severity" }
            nav.ranges aria-label="Chart range" {
                @for (name, label, ..) in RANGES {
                    @if name == range_name {
                        strong aria-current="true" { (label) }
                    } @else {
                        a href=(base.to(&format!("/?range={name}"))) { (label) }
                    }
                    " "
                }
            }
            (chart::severity_bars(&format!("Errors in the last {range_label}"), &range, &counts))
        }
        div.columns {
            section {
                h2 { "Top groups, last 24 h" }
                @if top.is_empty() {
                    p.empty { "No errors in the last 24 hours." }
                } @else {
                    ol.top #top-groups {
                        @for entry in &top {
                            li {
                                (layout::severity(entry.group.severity))
                                " "
                                a href=(base.to(&format!("/groups/{}", entry.group.key))) { (entry.group.template) }
                                " "
                                span.muted { "×" (entry.count) }
                            }
                        }
                    }
                }
                h2 { "Slowest functions, last 24 h" }
                @if slowest.is_empty() {
                    p.empty { "No monitored calls in the last 24 hours." }
                } @else {
                    ol.top #slowest {
                        @for function in &slowest {
                            li {
                                a href=(base.to(&format!("/performance{}", performance::function_query(function, "24")))) {
                                    span.muted { (function.module) "::" } (function.function)
                                }
                                " "
                                span.muted { "p95 " (performance::ms(function.worst_p95)) " · " (function.calls) " calls" }
                            }
                        }
                    }
                }
            }
            section {
                h2 { "Live events " span #live-state .muted aria-live="polite" { "(connecting…)" } }
                ul #live-feed .feed data-stream=(base.to("/stream")) data-group=(base.to("/groups/")) {
                    @for event in &recent {
                        (feed_item(base, event))
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
