//! `GET /api/v1/stream`: Server-Sent Events of what changes in the store,
//! for dashboards and tools that watch:
//!
//! - `event`: a new stored event (as the events route shows it);
//! - `group.new`: a group seen for the first time (its first event);
//! - `group.status`: a group's status changed: triage by an operator, or a
//!   resolved group reopened by a regression;
//! - `alert`: an incident opened, fired again, acknowledged or resolved;
//! - `audit.failure`: an audit record with the compliance status `failed`.
//!
//! Each message's id is an opaque cursor; a client that reconnects with it
//! as `Last-Event-ID` (browsers' `EventSource` does so by itself) gets
//! what it missed. A quiet stream sends a comment as a heartbeat.
//!
//! Each stream polls the store on its own task and hands messages to the
//! connection through a bounded buffer: a client that does not read fast
//! enough fills it and is dropped, rather than buffered without bound. It
//! can reconnect and resume.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use monitor_runtime::audit::ComplianceStatus;
use monitor_runtime::{GroupKey, GroupStatus};
use monitor_sinks::store::{AlertQuery, AuditQuery, EventQuery, StoredAlert, StoredEvent};
use serde_json::{Value, json};
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_stream::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use crate::views;

/// Events read per page while catching up, and pages per poll: a burst
/// larger than this is shown by its newest events.
const PAGE: usize = 100;
const PAGES_PER_POLL: usize = 5;
/// Incidents looked at per poll (the newest started).
const ALERTS_PER_POLL: usize = 200;
/// Audit failures read per poll.
const AUDIT_PER_POLL: usize = 200;

/// Where a stream is: the last event id, the store's clock for status
/// changes, the last failed audit record, the last alert change, and when
/// the stream began (audit failures before the first one seen are read
/// from then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    event_id: i64,
    status_ms: i64,
    audit_seq: i64,
    alert_ms: i64,
    start_ms: i64,
}

fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as i64)
}

fn time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

impl Cursor {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.strip_prefix("v1:")?.split(':').map(|part| part.parse::<i64>().ok());
        let cursor = Cursor {
            event_id: parts.next()??,
            status_ms: parts.next()??,
            audit_seq: parts.next()??,
            alert_ms: parts.next()??,
            start_ms: parts.next()??,
        };
        parts.next().is_none().then_some(cursor)
    }

    fn id(&self) -> String {
        format!("v1:{}:{}:{}:{}:{}", self.event_id, self.status_ms, self.audit_seq, self.alert_ms, self.start_ms)
    }
}

pub(crate) async fn news(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let permit = state.streams.clone().try_acquire_owned().map_err(|_| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} live streams are open, as many as this server allows: try again later",
                state.config.max_streams
            ),
        )
    })?;
    let cursor = match headers.get("last-event-id").map(|value| value.to_str().unwrap_or_default()) {
        Some(text) => Cursor::parse(text).ok_or_else(|| {
            Problem::bad_request("Last-Event-ID is not an id this stream sent: reconnect without it to start from now")
        })?,
        None => {
            let now = millis(SystemTime::now());
            let event_id = state.store.recent_events(1).await?.first().map_or(0, |event| event.id);
            Cursor { event_id, status_ms: now, audit_seq: 0, alert_ms: now, start_ms: now }
        }
    };
    let (sender, receiver) = mpsc::channel(state.config.stream_buffer);
    tokio::spawn(produce(state.clone(), cursor, sender, permit));
    metrics::counter!("monitor_stream_connections_total").increment(1);
    let heartbeat = KeepAlive::new().interval(state.config.stream_heartbeat).text("heartbeat");
    Ok(Sse::new(ReceiverStream::new(receiver).map(Ok)).keep_alive(heartbeat))
}

/// How far a group's first sighting may precede its first event's time.
const FIRST_EVENT_MARGIN: Duration = Duration::from_secs(1);

/// Groups a stream remembers having sent news of; forgotten past this.
const REMEMBERED_GROUPS: usize = 10_000;

/// What a stream already sent, so news near its cursors is sent once.
#[derive(Default)]
struct Sent {
    statuses: HashMap<GroupKey, GroupStatus>,
    new_groups: HashSet<GroupKey>,
}

impl Sent {
    /// True the first time `key` is announced as new.
    fn announce(&mut self, key: GroupKey) -> bool {
        if self.new_groups.len() >= REMEMBERED_GROUPS {
            self.new_groups.clear();
        }
        self.new_groups.insert(key)
    }
}

/// One message, and the cursor after it.
struct News {
    kind: &'static str,
    data: Value,
}

/// Polls the store for news after `cursor` until the client goes away or
/// falls behind; holds the stream's permit until then.
async fn produce(state: AppState, mut cursor: Cursor, sender: mpsc::Sender<Event>, _permit: OwnedSemaphorePermit) {
    let mut sent = Sent::default();
    loop {
        match poll(&state, &mut cursor, &mut sent).await {
            Ok(news) => {
                for item in news {
                    let event = Event::default().event(item.kind).id(cursor.id()).data(item.data.to_string());
                    match sender.try_send(event) {
                        Ok(()) => {}
                        Err(TrySendError::Full(_)) => {
                            // A slow reader: dropped, it resumes from its last id.
                            metrics::counter!("monitor_stream_dropped_slow_total").increment(1);
                            return;
                        }
                        Err(TrySendError::Closed(_)) => return,
                    }
                }
            }
            Err(error) => {
                let event = Event::default().event("error").data(json!({ "detail": error }).to_string());
                if sender.try_send(event).is_err() {
                    return;
                }
            }
        }
        tokio::select! {
            () = sender.closed() => return,
            () = tokio::time::sleep(state.config.stream_poll) => {}
        }
    }
}

/// What is new after `cursor`, oldest first, with `cursor` moved past it.
/// The cursor moves per item, so each message's id resumes after it.
async fn poll(state: &AppState, cursor: &mut Cursor, seen: &mut Sent) -> Result<Vec<News>, String> {
    let store = &*state.store;
    let mut news = Vec::new();

    let events = newer_events(state, cursor.event_id).await?;
    let mut first_seen: HashMap<GroupKey, Option<SystemTime>> = HashMap::new();
    for event in events.iter().rev() {
        cursor.event_id = cursor.event_id.max(event.id);
        let first = match first_seen.get(&event.group_key) {
            Some(first) => *first,
            None => {
                let group = store.group(event.group_key).await.map_err(|error| error.message)?;
                *first_seen.entry(event.group_key).or_insert(group.map(|group| group.first_seen))
            }
        };
        // A group's first event: nothing of the group was seen before it.
        // The group's first sighting and its first event's time are taken
        // a moment apart, hence the margin.
        let new_group = first.is_some_and(|first| first + FIRST_EVENT_MARGIN >= event.timestamp);
        if new_group && seen.announce(event.group_key) {
            news.push(News {
                kind: "group.new",
                data: json!({ "group": event.group_key.to_string(), "event": views::event(event) }),
            });
        }
        news.push(News { kind: "event", data: views::event(event) });
    }

    let changes = store.status_changes(Some(cursor.status_ms)).await.map_err(|error| error.message)?;
    cursor.status_ms = changes.cursor;
    for (key, status) in changes.changes {
        // The store repeats changes near the cursor: sent once each.
        if seen.statuses.insert(key, status) != Some(status) {
            news.push(News {
                kind: "group.status",
                data: json!({ "group": key.to_string(), "status": status.as_str() }),
            });
        }
    }

    let failures = store
        .audit_records(&AuditQuery {
            status: Some(ComplianceStatus::Failed),
            after_seq: (cursor.audit_seq > 0).then_some(cursor.audit_seq),
            since: (cursor.audit_seq == 0).then(|| time(cursor.start_ms)),
            limit: AUDIT_PER_POLL,
            ..AuditQuery::default()
        })
        .await
        .map_err(|error| error.message)?;
    for record in failures {
        cursor.audit_seq = cursor.audit_seq.max(record.seq);
        news.push(News { kind: "audit.failure", data: views::audit(&record) });
    }

    let mut alerts: Vec<(i64, StoredAlert)> = store
        .alerts(&AlertQuery { limit: ALERTS_PER_POLL, ..AlertQuery::default() })
        .await
        .map_err(|error| error.message)?
        .into_iter()
        .map(|alert| (changed_ms(&alert), alert))
        .filter(|(changed, _)| *changed > cursor.alert_ms)
        .collect();
    alerts.sort_by_key(|(changed, alert)| (*changed, alert.id));
    for (changed, alert) in alerts {
        cursor.alert_ms = cursor.alert_ms.max(changed);
        news.push(News { kind: "alert", data: views::alert(&alert) });
    }
    Ok(news)
}

/// When an incident last changed: opened, fired, acknowledged or resolved.
fn changed_ms(alert: &StoredAlert) -> i64 {
    [Some(alert.started_at), Some(alert.last_fired_at), alert.acknowledged_at, alert.resolved_at]
        .into_iter()
        .flatten()
        .map(millis)
        .max()
        .unwrap_or(0)
}

/// Events with an id above `after`, newest first, at most a few pages.
async fn newer_events(state: &AppState, after: i64) -> Result<Vec<StoredEvent>, String> {
    let mut query = EventQuery { limit: PAGE, ..EventQuery::default() };
    let mut found = Vec::new();
    for _ in 0..PAGES_PER_POLL {
        let page = state.store.event_page(&query).await.map_err(|error| error.message)?;
        let complete = page.items.iter().any(|event| event.id <= after) || page.next.is_none();
        found.extend(page.items.into_iter().filter(|event| event.id > after));
        if complete {
            break;
        }
        query.after = page.next;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote() {
        let cursor = Cursor {
            event_id: 42,
            status_ms: 1_800_000_000_000,
            audit_seq: 7,
            alert_ms: 1_800_000_000_500,
            start_ms: 1,
        };
        assert_eq!(Cursor::parse(&cursor.id()), Some(cursor));
        assert_eq!(Cursor::parse("42"), None);
        assert_eq!(Cursor::parse("v1:1:2:3:4"), None);
        assert_eq!(Cursor::parse("v1:1:2:3:4:5:6"), None);
    }
}
