//! Alert notifications in SQLite: every notification the router released,
//! kept for later analysis (what fired, when, why, and where it was sent).

use std::sync::Arc;

use monitor_runtime::alerting::Notification;
use rusqlite::{Row, Transaction, params};
use serde_json::json;

use super::store::{SqliteStore, from_millis, millis};
use crate::store::{StoreError, StoredNotification, details_json, state_name};

pub(crate) fn append(tx: &Transaction<'_>, notifications: &[Arc<Notification>]) -> rusqlite::Result<()> {
    if notifications.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO notifications (key, destination, rule, severity, state, labels, value, threshold,
             summary, starts_at_ms, ends_at_ms, group_key, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for notification in notifications {
        let alert = &notification.alert;
        insert.execute(params![
            notification.key,
            notification.destination,
            alert.rule,
            alert.severity.as_str(),
            state_name(alert.state),
            json!(alert.labels).to_string(),
            alert.value,
            alert.threshold,
            alert.summary,
            millis(alert.starts_at),
            alert.ends_at.map(millis),
            alert.details.group.map(|g| g.to_string()),
            details_json(&alert.details).to_string(),
        ])?;
    }
    Ok(())
}

fn stored(row: &Row<'_>) -> rusqlite::Result<StoredNotification> {
    let json = |text: String| serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Ok(StoredNotification {
        key: row.get(0)?,
        destination: row.get(1)?,
        rule: row.get(2)?,
        severity: row.get(3)?,
        state: row.get(4)?,
        labels: json(row.get(5)?),
        value: row.get(6)?,
        threshold: row.get(7)?,
        summary: row.get(8)?,
        starts_at: from_millis(row.get(9)?),
        ends_at: row.get::<_, Option<i64>>(10)?.map(from_millis),
        group_key: row.get(11)?,
        details: json(row.get(12)?),
    })
}

impl SqliteStore {
    /// Stored notifications, oldest first; only those of `rule` when given.
    pub fn notifications(&self, rule: Option<&str>, limit: usize) -> Result<Vec<StoredNotification>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT key, destination, rule, severity, state, labels, value, threshold, summary,
                        starts_at_ms, ends_at_ms, group_key, details
                 FROM notifications WHERE (?1 IS NULL OR rule = ?1) ORDER BY id LIMIT ?2",
            )
            .map_err(|e| self.error("preparing the notification query", &e))?;
        let rows = statement
            .query_map(params![rule, limit.min(i64::MAX as usize) as i64], stored)
            .map_err(|e| self.error("querying notifications", &e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error("reading notifications", &e))
    }
}
