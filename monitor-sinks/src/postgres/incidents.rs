//! Alert incidents in PostgreSQL: what a batch's notifications do to them
//! (as [`plan`](crate::store) decides, the same for every store), their
//! queries, and an operator's acknowledgement or resolution, audited in the
//! same transaction.
//!
//! The batch's transaction holds the alerts lock while it records
//! incidents, so two instances seeing the same alert fire at once cannot
//! both decide that it opens a new incident.

use std::sync::Arc;
use std::time::SystemTime;

use monitor_runtime::Severity;
use monitor_runtime::alerting::Notification;
use serde_json::json;
use tokio_postgres::Row;

use super::store::{AUDIT_LOCK, PostgresStore, lock};
use crate::store::{
    AlertChange, AlertQuery, AlertStatus, Latest, Plan, StoreError, StoredAlert, check_operator, events_of,
    from_millis, millis, operator_audit, plan,
};

const ALERT_COLUMNS: &str = "id, rule, fingerprint, severity, labels, summary, value, threshold, status, started_ms,
    last_fired_ms, fired, acknowledged_ms, acknowledged_by, ack_comment, resolved_ms, resolved_by, group_key";

/// Applies a batch's notifications to the incidents, inside the batch's
/// transaction (which holds the alerts lock).
pub(crate) async fn record(
    tx: &deadpool_postgres::Transaction<'_>,
    notifications: &[Arc<Notification>],
) -> Result<(), tokio_postgres::Error> {
    if notifications.is_empty() {
        return Ok(());
    }
    let now = millis(SystemTime::now());
    for event in events_of(notifications) {
        let latest = tx
            .query_opt(
                "SELECT id, status, severity, resolved_ms FROM alerts WHERE fingerprint = $1 ORDER BY id DESC LIMIT 1",
                &[&event.fingerprint],
            )
            .await?
            .map(|row| Latest {
                id: row.get(0),
                status: AlertStatus::parse(row.get(1)).unwrap_or(AlertStatus::Active),
                severity: row.get::<_, &str>(2).parse().unwrap_or(Severity::Error),
                resolved_at: row.get::<_, Option<i64>>(3).map(from_millis),
            });
        let alert = &event.notification.alert;
        let fired_at = now.max(millis(alert.starts_at));
        match plan(latest.as_ref(), &event) {
            Plan::Open => {
                tx.execute(
                    "INSERT INTO alerts (fingerprint, rule, severity, labels, summary, value, threshold, status,
                        started_ms, last_fired_ms, fired, group_key)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, 1, $10)",
                    &[
                        &event.fingerprint,
                        &alert.rule,
                        &alert.severity.as_str(),
                        &json!(alert.labels).to_string(),
                        &alert.summary,
                        &alert.value,
                        &alert.threshold,
                        &millis(alert.starts_at),
                        &fired_at,
                        &alert.details.group.map(|g| g.to_string()),
                    ],
                )
                .await?;
            }
            Plan::Refire { id, status, severity } => {
                tx.execute(
                    "UPDATE alerts SET status = $2, severity = $3, summary = $4, value = $5, threshold = $6,
                        last_fired_ms = greatest(last_fired_ms, $7) WHERE id = $1",
                    &[
                        &id,
                        &status.as_str(),
                        &severity.as_str(),
                        &alert.summary,
                        &alert.value,
                        &alert.threshold,
                        &fired_at,
                    ],
                )
                .await?;
            }
            Plan::Reopen { id } => {
                tx.execute(
                    "UPDATE alerts SET status = 'active', fired = fired + 1, resolved_ms = NULL, resolved_by = NULL,
                        summary = $2, value = $3, last_fired_ms = greatest(last_fired_ms, $4) WHERE id = $1",
                    &[&id, &alert.summary, &alert.value, &fired_at],
                )
                .await?;
            }
            Plan::Resolve { id, at } => {
                tx.execute(
                    "UPDATE alerts SET status = 'resolved', resolved_ms = $2, resolved_by = NULL WHERE id = $1",
                    &[&id, &millis(at)],
                )
                .await?;
            }
            Plan::Nothing => {}
        }
    }
    Ok(())
}

fn stored(row: &Row) -> StoredAlert {
    StoredAlert {
        id: row.get(0),
        rule: row.get(1),
        fingerprint: row.get(2),
        severity: row.get::<_, &str>(3).parse().unwrap_or(Severity::Error),
        labels: serde_json::from_str(row.get(4)).unwrap_or_default(),
        summary: row.get(5),
        value: row.get(6),
        threshold: row.get(7),
        status: AlertStatus::parse(row.get(8)).unwrap_or(AlertStatus::Active),
        started_at: from_millis(row.get(9)),
        last_fired_at: from_millis(row.get(10)),
        fired: row.get::<_, i64>(11).clamp(0, u32::MAX as i64) as u32,
        acknowledged_at: row.get::<_, Option<i64>>(12).map(from_millis),
        acknowledged_by: row.get(13),
        ack_comment: row.get(14),
        resolved_at: row.get::<_, Option<i64>>(15).map(from_millis),
        resolved_by: row.get(16),
        group_key: row.get(17),
    }
}

/// Which operator change to make.
#[derive(Clone, Copy)]
pub(crate) enum Action {
    Acknowledge,
    Resolve,
}

impl PostgresStore {
    /// Incidents matching `query`, newest first.
    pub(crate) async fn read_alerts(&self, query: &AlertQuery) -> Result<Vec<StoredAlert>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts
             WHERE ($1::text IS NULL OR rule = $1) AND ($2::text IS NULL OR status = $2)
               AND ($3::bigint IS NULL OR started_ms >= $3) AND ($4::bigint IS NULL OR started_ms < $4)
             ORDER BY started_ms DESC, id DESC LIMIT $5"
        );
        let client = self.client().await?;
        let rows = client
            .query(
                &sql,
                &[
                    &query.rule,
                    &query.status.map(AlertStatus::as_str),
                    &query.since.map(millis),
                    &query.before.map(millis),
                    &query.sql_limit(),
                ],
            )
            .await
            .map_err(self.fail("querying alerts"))?;
        Ok(rows.iter().map(stored).collect())
    }

    /// One incident.
    pub(crate) async fn read_alert(&self, id: i64) -> Result<Option<StoredAlert>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"), &[&id])
            .await
            .map_err(self.fail("reading an alert"))?;
        Ok(row.as_ref().map(stored))
    }

    /// `by` acknowledges or resolves incident `id`, audited in the same
    /// transaction.
    pub(crate) async fn change_alert(
        &self,
        id: i64,
        by: &str,
        comment: Option<&str>,
        action: Action,
    ) -> Result<AlertChange, StoreError> {
        check_operator(by)?;
        let now = SystemTime::now();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(self.fail("starting a transaction"))?;
        // The audit lock before the row lock, as every writer takes them.
        lock(&tx, AUDIT_LOCK, self).await?;
        let select = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1 FOR UPDATE");
        let Some(before) =
            tx.query_opt(&select, &[&id]).await.map_err(self.fail("reading an alert"))?.map(|row| stored(&row))
        else {
            return Ok(AlertChange::NotFound);
        };
        let (applies, audit_action) = match action {
            Action::Acknowledge => (before.status == AlertStatus::Active, "alert.acknowledge"),
            Action::Resolve => (before.status != AlertStatus::Resolved, "alert.resolve"),
        };
        if !applies {
            return Ok(AlertChange::Unchanged(before));
        }
        let changed = match action {
            Action::Acknowledge => {
                tx.execute(
                    "UPDATE alerts SET status = 'acknowledged', acknowledged_ms = $2, acknowledged_by = $3,
                        ack_comment = $4 WHERE id = $1",
                    &[&id, &millis(now), &by, &comment],
                )
                .await
            }
            Action::Resolve => {
                tx.execute(
                    "UPDATE alerts SET status = 'resolved', resolved_ms = $2, resolved_by = $3 WHERE id = $1",
                    &[&id, &millis(now), &by],
                )
                .await
            }
        };
        changed.map_err(self.fail("changing an alert"))?;
        let mut record = operator_audit(audit_action, by, "alert", &id, now);
        record.details.insert("rule".into(), before.rule.clone().into());
        record.details.insert("from".into(), before.status.as_str().into());
        if let Some(comment) = comment {
            record.details.insert("comment".into(), comment.into());
        }
        let head = super::audit::append(&tx, self, &[Arc::new(record)]).await?;
        let after = tx
            .query_one(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"), &[&id])
            .await
            .map_err(self.fail("reading an alert"))?;
        tx.commit().await.map_err(self.fail("committing the alert change"))?;
        self.audit_chain().after_commit(head, "postgres");
        Ok(AlertChange::Changed(stored(&after)))
    }
}
