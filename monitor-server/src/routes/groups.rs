//! Groups and events: the list with every filter and cursor paging, one
//! group with its triage history, its events, and triage changes to one
//! group or to every group a filter selects.

use std::time::SystemTime;

use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use monitor_runtime::{GroupKey, GroupStatus};
use monitor_sinks::store::{EventQuery, GroupChange, StoredGroup};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Params, allow};
use crate::auth::{Caller, Role};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::{triage, views};

pub(crate) async fn list(State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let params = Params::read(raw.as_deref(), &["limit", "cursor"])?;
    let mut query = params.filters.groups(SystemTime::now(), params.limit()?)?;
    query.after = params.get("cursor").map(str::to_owned);
    let page = state.store.group_page(&query).await?;
    Ok(Json(json!({ "groups": page.items.iter().map(views::group).collect::<Vec<_>>(), "next": page.next })))
}

fn key(text: &str) -> ApiResult<GroupKey> {
    triage::group_key(text).map_err(Problem::bad_request)
}

async fn existing(state: &AppState, key: GroupKey) -> ApiResult<StoredGroup> {
    state.store.group(key).await?.ok_or_else(|| Problem::not_found(format!("no group with key {key}")))
}

pub(crate) async fn one(State(state): State<AppState>, Path(text): Path<String>) -> ApiResult<Json<Value>> {
    let group = existing(&state, key(&text)?).await?;
    let history = state.store.group_history(group.key).await?;
    Ok(Json(
        json!({ "group": views::group(&group), "history": history.iter().map(views::history).collect::<Vec<_>>() }),
    ))
}

pub(crate) async fn events_of(
    State(state): State<AppState>,
    Path(text): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let key = key(&text)?;
    existing(&state, key).await?;
    let params = Params::read(raw.as_deref(), &["limit", "cursor"])?;
    let mut query = EventQuery { group: Some(key), ..events_query(&params)? };
    query.after = params.get("cursor").map(str::to_owned);
    let page = state.store.event_page(&query).await?;
    Ok(Json(json!({ "events": page.items.iter().map(views::event).collect::<Vec<_>>(), "next": page.next })))
}

pub(crate) async fn events(State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let params = Params::read(raw.as_deref(), &["limit", "cursor"])?;
    let mut query = events_query(&params)?;
    query.after = params.get("cursor").map(str::to_owned);
    let page = state.store.event_page(&query).await?;
    Ok(Json(json!({ "events": page.items.iter().map(views::event).collect::<Vec<_>>(), "next": page.next })))
}

fn events_query(params: &Params) -> ApiResult<EventQuery> {
    params.filters.refuse_group_only()?;
    Ok(params.filters.events(SystemTime::now(), params.limit()?)?)
}

/// A triage change as the API takes it. `assignee` may be a name or
/// `null` (nobody); leaving it out keeps the assignment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Change {
    status: Option<String>,
    #[serde(default)]
    assignee: Option<Value>,
    note: Option<String>,
}

impl Change {
    fn by(self, caller: &Caller) -> ApiResult<GroupChange> {
        let mut change = GroupChange::by(caller.name.clone());
        if let Some(text) = self.status {
            let status = GroupStatus::parse(&text).ok_or_else(|| {
                Problem::bad_request(format!(
                    "unknown status `{text}`: use one of open, investigating, resolved, ignored"
                ))
            })?;
            change = change.status(status);
        }
        change = match self.assignee {
            None => change,
            Some(Value::Null) => change.unassign(),
            Some(Value::String(name)) => change.assign(name),
            Some(other) => {
                return Err(Problem::bad_request(format!("assignee {other} is not a name or null")));
            }
        };
        if let Some(note) = self.note {
            change = change.note(note);
        }
        if change.status.is_none() && change.assignee.is_none() && change.note.is_none() {
            return Err(Problem::bad_request("nothing to change: give status, assignee or note"));
        }
        change.validate()?;
        Ok(change)
    }
}

pub(crate) async fn change_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(text): Path<String>,
    Json(change): Json<Change>,
) -> ApiResult<Json<Value>> {
    allow(&caller, Role::Operator)?;
    let key = key(&text)?;
    let change = change.by(&caller)?;
    existing(&state, key).await?;
    let changed = state.store.change_group(key, &change).await?;
    let group = existing(&state, key).await?;
    Ok(Json(json!({ "changed": changed, "group": views::group(&group) })))
}

pub(crate) async fn change_many(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
    Json(change): Json<Change>,
) -> ApiResult<Json<Value>> {
    allow(&caller, Role::Operator)?;
    let params = Params::read(raw.as_deref(), &["all"])?;
    if params.filters.selects_all_groups() && !params.flag("all")? {
        return Err(Problem::bad_request(
            "which groups? give filters such as ?status=open&module=payments::* or ?all=true to change every group",
        ));
    }
    let change = change.by(&caller)?;
    let query = params.filters.groups(SystemTime::now(), usize::MAX)?;
    let keys: Vec<GroupKey> = state.store.groups(&query).await?.iter().map(|group| group.key).collect();
    let changed = triage::change_these(&*state.store, &query, &keys, &change).await?;
    Ok(Json(
        json!({ "matched": keys.len(), "changed": changed, "groups": keys.iter().map(ToString::to_string).collect::<Vec<_>>() }),
    ))
}
