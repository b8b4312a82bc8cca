//! Alerts: the incidents still firing, each with an acknowledge form for
//! operators (with a comment: what they are doing about it), per rule the
//! mean times to acknowledge and to resolve over the last 30 days, and the
//! latest incidents of every status as history. An acknowledgement is the
//! store's, audited under the signed-in token's name.

use std::time::{Duration, SystemTime};

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use maud::{Markup, html};
use monitor_sinks::store::{AlertChange, AlertQuery, AlertStatus, Store, StoreError, StoredAlert};

use super::form::Form;
use super::layout::{self, Nav, PageError, PageResult, Viewer, when};
use super::session::Base;
use crate::auth::{Caller, Role};
use crate::routes::allow;
use crate::state::AppState;

/// Incidents in the history.
const HISTORY: usize = 50;
/// The period of the mean times per rule.
const STATS_PERIOD: Duration = Duration::from_secs(30 * 86_400);

/// A span of time as people read it: `45 s`, `12 min 5 s`, `3 h 20 min`,
/// `2 d 4 h`.
fn span(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
) -> PageResult<Html<String>> {
    let firing = firing(&*state.store).await?;
    let history = state.store.alerts(&AlertQuery { limit: HISTORY, ..AlertQuery::default() }).await?;
    let now = SystemTime::now();
    let per_rule = state.store.alert_stats(now - STATS_PERIOD, now).await?;

    let viewer = Viewer { base, caller };
    let body = html! {
        section {
            h2 { "Firing " span.muted { "(" (firing.len()) ")" } }
            @if firing.is_empty() { p.empty { "Nothing is firing." } }
            @for alert in &firing { (incident(&viewer, alert)) }
        }
        section {
            h2 { "Per rule, last 30 days" }
            @if per_rule.is_empty() {
                p.empty { "No incident started in the last 30 days." }
            } @else {
                div.scroll {
                    table #alert-stats {
                        thead { tr {
                            th { "Rule" } th.num { "Incidents" } th.num { "Acknowledged" } th.num { "Resolved" }
                            th.num title="Mean time to acknowledge, from the start" { "MTTA" }
                            th.num title="Mean time to resolve, from the start" { "MTTR" }
                        } }
                        tbody {
                            @for stats in &per_rule {
                                tr data-rule=(stats.rule) {
                                    td { (stats.rule) }
                                    td.num { (stats.incidents) }
                                    td.num { (stats.acknowledged) }
                                    td.num { (stats.resolved) }
                                    td.num.mtta { (stats.mtta.map(span).unwrap_or_else(|| "—".to_owned())) }
                                    td.num.mttr { (stats.mttr.map(span).unwrap_or_else(|| "—".to_owned())) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { "History" }
            div.scroll {
                table #alert-history {
                    thead { tr { th { "#" } th { "Rule" } th { "Status" } th { "Severity" } th { "Started" } th { "Acknowledged" } th { "Resolved" } } }
                    tbody {
                        @for alert in &history {
                            tr {
                                td { (alert.id) }
                                td { (alert.rule) }
                                td { (layout::status(alert.status.as_str())) }
                                td { (layout::severity(alert.severity)) }
                                td { (when(alert.started_at)) }
                                td { (alert.acknowledged_by.as_deref().unwrap_or("—")) }
                                td { @if let Some(at) = alert.resolved_at { (when(at)) } @else { "—" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&viewer, Nav::Alerts, "Alerts", body))
}

/// The incidents still firing (active or acknowledged), newest first.
pub(crate) async fn firing(store: &dyn Store) -> Result<Vec<StoredAlert>, StoreError> {
    let mut firing = Vec::new();
    for status in [AlertStatus::Active, AlertStatus::Acknowledged] {
        firing.extend(
            store.alerts(&AlertQuery { status: Some(status), limit: usize::MAX, ..AlertQuery::default() }).await?,
        );
    }
    firing.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    Ok(firing)
}

fn incident(viewer: &Viewer, alert: &StoredAlert) -> Markup {
    html! {
        article.incident id={ "alert-" (alert.id) } {
            h3 { (layout::severity(alert.severity)) " " (alert.rule) " " (layout::status(alert.status.as_str())) }
            p { (alert.summary) }
            p.muted {
                "#" (alert.id) " · started " (when(alert.started_at)) " · fired " (alert.fired) " times · value " (alert.value) " over " (alert.threshold)
            }
            @if let Some(group) = &alert.group_key {
                p { a href=(viewer.base.to(&format!("/groups/{group}"))) { "Its group" } }
            }
            @if let Some(by) = &alert.acknowledged_by {
                p.ack {
                    "Acknowledged by " strong { (by) }
                    @if let Some(at) = alert.acknowledged_at { " at " (when(at)) }
                    @if let Some(comment) = &alert.ack_comment { ": " q { (comment) } }
                }
            }
            @if alert.status == AlertStatus::Active && viewer.may(Role::Operator) {
                form.ack method="post" action=(viewer.base.to(&format!("/alerts/{}/ack", alert.id))) {
                    label.grow {
                        "Comment"
                        input type="text" name="comment" placeholder="what you are doing about it";
                    }
                    button type="submit" { "Acknowledge" }
                }
            }
        }
    }
}

/// `POST /dashboard/alerts/{id}/ack`.
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
    Path(text): Path<String>,
    form: Form,
) -> PageResult<Redirect> {
    allow(&caller, Role::Operator)?;
    let id: i64 =
        text.parse().map_err(|_| PageError::new(StatusCode::BAD_REQUEST, format!("`{text}` is not an incident id")))?;
    if let AlertChange::NotFound = state.store.acknowledge_alert(id, &caller.name, form.get("comment")).await? {
        return Err(PageError::new(StatusCode::NOT_FOUND, format!("no incident {id}")));
    }
    Ok(Redirect::to(&base.to("/alerts")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_the_largest_two_units() {
        assert_eq!(span(Duration::from_secs(45)), "45 s");
        assert_eq!(span(Duration::from_secs(725)), "12 min 5 s");
        assert_eq!(span(Duration::from_secs(3 * 3600 + 1200)), "3 h 20 min");
        assert_eq!(span(Duration::from_secs(2 * 86_400 + 4 * 3600 + 59)), "2 d 4 h");
    }
}
