//! Alert incidents in SQLite: what a batch's notifications do to them (as
//! [`plan`](crate::store) decides), their queries, and an operator's
//! acknowledgement or resolution, audited in the same transaction.

use std::sync::Arc;
use std::time::SystemTime;

use monitor_runtime::alerting::Notification;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::json;

use super::store::{SqliteStore, from_millis, millis};
use crate::store::{
    AlertChange, AlertQuery, AlertStatus, Latest, Plan, StoreError, StoredAlert, check_operator, events_of,
    operator_audit, plan,
};

const ALERT_COLUMNS: &str = "id, rule, fingerprint, severity, labels, summary, value, threshold, status, started_ms,
    last_fired_ms, fired, acknowledged_ms, acknowledged_by, ack_comment, resolved_ms, resolved_by, group_key";

/// Applies a batch's notifications to the incidents, inside the batch's
/// transaction.
pub(crate) fn record(tx: &Transaction<'_>, notifications: &[Arc<Notification>]) -> rusqlite::Result<()> {
    if notifications.is_empty() {
        return Ok(());
    }
    let now = millis(SystemTime::now());
    for event in events_of(notifications) {
        let latest = tx
            .prepare_cached(
                "SELECT id, status, severity, resolved_ms FROM alerts WHERE fingerprint = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![event.fingerprint], |row| {
                Ok(Latest {
                    id: row.get(0)?,
                    status: AlertStatus::parse(row.get_ref(1)?.as_str()?).unwrap_or(AlertStatus::Active),
                    severity: row.get_ref(2)?.as_str()?.parse().unwrap_or(monitor_runtime::Severity::Error),
                    resolved_at: row.get::<_, Option<i64>>(3)?.map(from_millis),
                })
            })
            .optional()?;
        let alert = &event.notification.alert;
        let fired_at = now.max(millis(alert.starts_at));
        match plan(latest.as_ref(), &event) {
            Plan::Open => {
                tx.prepare_cached(
                    "INSERT INTO alerts (fingerprint, rule, severity, labels, summary, value, threshold, status,
                        started_ms, last_fired_ms, fired, group_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, 1, ?10)",
                )?
                .execute(params![
                    event.fingerprint,
                    alert.rule,
                    alert.severity.as_str(),
                    json!(alert.labels).to_string(),
                    alert.summary,
                    alert.value,
                    alert.threshold,
                    millis(alert.starts_at),
                    fired_at,
                    alert.details.group.map(|g| g.to_string()),
                ])?;
            }
            Plan::Refire { id, status, severity } => {
                tx.prepare_cached(
                    "UPDATE alerts SET status = ?2, severity = ?3, summary = ?4, value = ?5, threshold = ?6,
                        last_fired_ms = max(last_fired_ms, ?7) WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    status.as_str(),
                    severity.as_str(),
                    alert.summary,
                    alert.value,
                    alert.threshold,
                    fired_at
                ])?;
            }
            Plan::Reopen { id } => {
                tx.prepare_cached(
                    "UPDATE alerts SET status = 'active', fired = fired + 1, resolved_ms = NULL, resolved_by = NULL,
                        summary = ?2, value = ?3, last_fired_ms = max(last_fired_ms, ?4) WHERE id = ?1",
                )?
                .execute(params![id, alert.summary, alert.value, fired_at])?;
            }
            Plan::Resolve { id, at } => {
                tx.prepare_cached(
                    "UPDATE alerts SET status = 'resolved', resolved_ms = ?2, resolved_by = NULL WHERE id = ?1",
                )?
                .execute(params![id, millis(at)])?;
            }
            Plan::Nothing => {}
        }
    }
    Ok(())
}

fn stored(row: &Row<'_>) -> rusqlite::Result<StoredAlert> {
    let labels: String = row.get(4)?;
    Ok(StoredAlert {
        id: row.get(0)?,
        rule: row.get(1)?,
        fingerprint: row.get(2)?,
        severity: row.get_ref(3)?.as_str()?.parse().unwrap_or(monitor_runtime::Severity::Error),
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        summary: row.get(5)?,
        value: row.get(6)?,
        threshold: row.get(7)?,
        status: AlertStatus::parse(row.get_ref(8)?.as_str()?).unwrap_or(AlertStatus::Active),
        started_at: from_millis(row.get(9)?),
        last_fired_at: from_millis(row.get(10)?),
        fired: row.get::<_, i64>(11)?.clamp(0, u32::MAX as i64) as u32,
        acknowledged_at: row.get::<_, Option<i64>>(12)?.map(from_millis),
        acknowledged_by: row.get(13)?,
        ack_comment: row.get(14)?,
        resolved_at: row.get::<_, Option<i64>>(15)?.map(from_millis),
        resolved_by: row.get(16)?,
        group_key: row.get(17)?,
    })
}

/// Which operator change to make.
#[derive(Clone, Copy)]
enum Action {
    Acknowledge,
    Resolve,
}

impl SqliteStore {
    /// Incidents matching `query`, newest first.
    pub fn alerts(&self, query: &AlertQuery) -> Result<Vec<StoredAlert>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts
             WHERE (?1 IS NULL OR rule = ?1) AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR started_ms >= ?3) AND (?4 IS NULL OR started_ms < ?4)
             ORDER BY started_ms DESC, id DESC LIMIT ?5"
        );
        let read = || -> rusqlite::Result<Vec<StoredAlert>> {
            let mut statement = self.connection().prepare_cached(&sql)?;
            let rows = statement.query_map(
                params![
                    query.rule,
                    query.status.map(AlertStatus::as_str),
                    query.since.map(millis),
                    query.before.map(millis),
                    query.sql_limit()
                ],
                stored,
            )?;
            rows.collect()
        };
        read().map_err(|e| self.error("querying alerts", &e))
    }

    /// One incident.
    pub fn alert(&self, id: i64) -> Result<Option<StoredAlert>, StoreError> {
        self.connection()
            .query_row(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"), params![id], stored)
            .optional()
            .map_err(|e| self.error("reading an alert", &e))
    }

    /// `by` acknowledges an active incident (see
    /// [`Store::acknowledge_alert`](crate::store::Store::acknowledge_alert)).
    pub fn acknowledge_alert(&mut self, id: i64, by: &str, comment: Option<&str>) -> Result<AlertChange, StoreError> {
        self.change_alert(id, by, comment, Action::Acknowledge)
    }

    /// `by` resolves an incident still active or acknowledged.
    pub fn resolve_alert(&mut self, id: i64, by: &str, comment: Option<&str>) -> Result<AlertChange, StoreError> {
        self.change_alert(id, by, comment, Action::Resolve)
    }

    fn change_alert(
        &mut self,
        id: i64,
        by: &str,
        comment: Option<&str>,
        action: Action,
    ) -> Result<AlertChange, StoreError> {
        check_operator(by)?;
        let path = self.path().to_path_buf();
        let fail = |e: rusqlite::Error| super::store::classify(&path, "changing an alert", &e);
        let now = SystemTime::now();
        let (tx, chain) = self.transaction().map_err(fail)?;
        let Some(before) = tx
            .query_row(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"), params![id], stored)
            .optional()
            .map_err(fail)?
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
        let sql = match action {
            Action::Acknowledge => {
                "UPDATE alerts SET status = 'acknowledged', acknowledged_ms = ?2, acknowledged_by = ?3, ack_comment = ?4
                 WHERE id = ?1"
            }
            Action::Resolve => {
                "UPDATE alerts SET status = 'resolved', resolved_ms = ?2, resolved_by = ?3 WHERE id = ?1"
            }
        };
        let parameters = match action {
            Action::Acknowledge => tx.execute(sql, params![id, millis(now), by, comment]),
            Action::Resolve => tx.execute(sql, params![id, millis(now), by]),
        };
        parameters.map_err(fail)?;
        let mut record = operator_audit(audit_action, by, "alert", &id, now);
        record.details.insert("rule".into(), before.rule.clone().into());
        record.details.insert("from".into(), before.status.as_str().into());
        if let Some(comment) = comment {
            record.details.insert("comment".into(), comment.into());
        }
        let head = super::audit::append(&tx, chain, &[Arc::new(record)]).map_err(|error| error.in_file(&path))?;
        let after = tx
            .query_row(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"), params![id], stored)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        self.audit_chain().after_commit(head, "sqlite");
        Ok(AlertChange::Changed(after))
    }
}
