//! Alert notifications in PostgreSQL: every notification the router
//! released, once per notification key and destination however many
//! instances or retried batches write it.

use std::sync::Arc;

use monitor_runtime::alerting::Notification;
use serde_json::json;
use tokio_postgres::Row;

use super::store::PostgresStore;
use crate::store::{StoreError, StoredNotification, details_json, from_millis, millis, state_name};

/// Inserts a batch's notifications in the batch's order, inside its
/// transaction, which holds the alerts lock: writers of notifications take
/// turns, so two inserting the same keys never wait on each other.
pub(crate) async fn append(
    tx: &deadpool_postgres::Transaction<'_>,
    notifications: &[Arc<Notification>],
) -> Result<(), tokio_postgres::Error> {
    if notifications.is_empty() {
        return Ok(());
    }
    let insert = tx
        .prepare_cached(
            "INSERT INTO notifications (key, destination, rule, severity, state, labels, value, threshold,
                 summary, starts_at_ms, ends_at_ms, group_key, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (key, destination) DO NOTHING",
        )
        .await?;
    for notification in notifications {
        let alert = &notification.alert;
        tx.execute(
            &insert,
            &[
                &notification.key,
                &notification.destination,
                &alert.rule,
                &alert.severity.as_str(),
                &state_name(alert.state),
                &json!(alert.labels).to_string(),
                &alert.value,
                &alert.threshold,
                &alert.summary,
                &millis(alert.starts_at),
                &alert.ends_at.map(millis),
                &alert.details.group.map(|g| g.to_string()),
                &details_json(&alert.details).to_string(),
            ],
        )
        .await?;
    }
    Ok(())
}

fn stored(row: &Row) -> StoredNotification {
    let json = |index: usize| serde_json::from_str(row.get(index)).unwrap_or(serde_json::Value::Null);
    StoredNotification {
        key: row.get(0),
        destination: row.get(1),
        rule: row.get(2),
        severity: row.get(3),
        state: row.get(4),
        labels: json(5),
        value: row.get(6),
        threshold: row.get(7),
        summary: row.get(8),
        starts_at: from_millis(row.get(9)),
        ends_at: row.get::<_, Option<i64>>(10).map(from_millis),
        group_key: row.get(11),
        details: json(12),
    }
}

impl PostgresStore {
    /// Stored notifications, oldest first; only those of `rule` when given.
    pub(crate) async fn read_notifications(
        &self,
        rule: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredNotification>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT key, destination, rule, severity, state, labels, value, threshold, summary,
                        starts_at_ms, ends_at_ms, group_key, details
                 FROM notifications WHERE ($1::text IS NULL OR rule = $1) ORDER BY id LIMIT $2",
                &[&rule, &(limit.min(i64::MAX as usize) as i64)],
            )
            .await
            .map_err(self.fail("querying notifications"))?;
        Ok(rows.iter().map(stored).collect())
    }
}
