//! Alerts: the incidents still firing, each with an acknowledge form for
//! operators (with a comment: what they are doing about it), and the
//! latest incidents of every status as history. An acknowledgement is the
//! store's, audited under the signed-in token's name.

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect};
use maud::{Markup, html};
use monitor_sinks::store::{AlertChange, AlertQuery, AlertStatus, StoredAlert};

use super::form::Form;
use super::layout::{self, Nav, PageError, PageResult, Viewer, when};
use super::session::Base;
use crate::auth::{Caller, Role};
use crate::routes::allow;
use crate::state::AppState;

/// Incidents in the history.
const HISTORY: usize = 50;

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    base: Base,
) -> PageResult<Html<String>> {
    let mut firing = Vec::new();
    for status in [AlertStatus::Active, AlertStatus::Acknowledged] {
        firing.extend(
            state
                .store
                .alerts(&AlertQuery { status: Some(status), limit: usize::MAX, ..AlertQuery::default() })
                .await?,
        );
    }
    firing.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    let history = state.store.alerts(&AlertQuery { limit: HISTORY, ..AlertQuery::default() }).await?;

    let viewer = Viewer { base, caller };
    let body = html! {
        section {
            h2 { "Firing " span.muted { "(" (firing.len()) ")" } }
            @if firing.is_empty() { p.empty { "Nothing is firing." } }
            @for alert in &firing { (incident(&viewer, alert)) }
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
