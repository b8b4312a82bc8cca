//! Fleet rules on SQLite: counts per group and minute from every process
//! writing to the file, and a lease on who leads. A SQLite file is shared
//! only by processes on one host, so this suits several workers of one
//! service; a fleet across hosts uses PostgreSQL.

use std::time::{Duration, SystemTime};

use monitor_runtime::alerting::FleetCount;
use monitor_runtime::{EventKind, Severity};
use rusqlite::{OptionalExtension, params};

use super::store::{SqliteStore, from_millis, millis, parse_key};
use crate::store::StoreError;

/// The one lease fleet rules are led under.
pub(crate) const FLEET_LEASE: &str = "fleet-rules";

impl SqliteStore {
    /// Per group and minute, what every process counted since `since`.
    pub fn fleet_counts(&self, since: SystemTime) -> Result<Vec<FleetCount>, StoreError> {
        let read = || -> rusqlite::Result<Vec<FleetCount>> {
            let mut statement = self.connection().prepare_cached(
                "SELECT c.group_key, g.module, g.function, g.severity, g.kind, g.template, c.minute_ms, c.count
                 FROM group_counts c JOIN groups g ON g.group_key = c.group_key
                 WHERE c.minute_ms >= ?1 ORDER BY c.minute_ms, c.group_key",
            )?;
            let rows = statement.query_map(params![super::store::minute_of(since)], |row| {
                Ok(FleetCount {
                    group: parse_key(row.get_ref(0)?.as_str()?),
                    module: row.get(1)?,
                    function: row.get(2)?,
                    severity: row.get_ref(3)?.as_str()?.parse().unwrap_or(Severity::Error),
                    kind: EventKind::parse(row.get_ref(4)?.as_str()?).unwrap_or(EventKind::Error),
                    template: row.get(5)?,
                    minute: from_millis(row.get(6)?),
                    count: row.get::<_, i64>(7)?.max(0) as u64,
                })
            })?;
            rows.collect()
        };
        read().map_err(|e| self.error("reading the fleet's counts", &e))
    }

    /// The holder whose lease is running now, if any.
    pub fn leader(&self) -> Result<Option<String>, StoreError> {
        self.connection()
            .query_row(
                "SELECT holder FROM leadership WHERE name = ?1 AND expires_ms >= ?2",
                params![FLEET_LEASE, millis(SystemTime::now())],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error("reading who leads the fleet", &e))
    }

    /// Takes or keeps the lead of the fleet for `holder`: true when it
    /// holds the lease now. A lease not renewed within `lease` passes to
    /// the next process that asks.
    pub fn lead(&mut self, holder: &str, lease: Duration) -> Result<bool, StoreError> {
        let now = millis(SystemTime::now());
        let expires = now.saturating_add(lease.as_millis().min(i64::MAX as u128) as i64);
        let path = self.path().to_path_buf();
        let fail = |e: rusqlite::Error| super::store::classify(&path, "taking the fleet's lead", &e);
        let (tx, _) = self.transaction().map_err(fail)?;
        tx.execute(
            "INSERT INTO leadership (name, holder, expires_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
             WHERE leadership.holder = excluded.holder OR leadership.expires_ms < ?4",
            params![FLEET_LEASE, holder, expires, now],
        )
        .map_err(fail)?;
        let leader: Option<String> = tx
            .query_row("SELECT holder FROM leadership WHERE name = ?1", params![FLEET_LEASE], |row| row.get(0))
            .optional()
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(leader.as_deref() == Some(holder))
    }
}
