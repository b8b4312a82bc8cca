//! Fleet rules on PostgreSQL: every instance's counts per group and minute,
//! and who leads.
//!
//! The leader is whoever holds the session-level advisory lock
//! `pg_try_advisory_lock(FLEET_LOCK, hashtext(schema))` on a connection
//! kept for it alone (not one of the pool's, which any call may take). A
//! lock held by a session goes with it: when the leader's process dies, or
//! its connection does, the server releases the lock, and the next
//! instance to ask takes over at once, without waiting out a lease. The
//! `leadership` row only names the holder, for [`PostgresStore::leader`];
//! it counts while the lock is held.

use std::time::SystemTime;

use monitor_runtime::alerting::FleetCount;
use monitor_runtime::{EventKind, Severity};
use tokio_postgres::{Client, NoTls};

use super::error::classify;
use super::store::{PostgresStore, SERVER_NOW_MS};
use crate::store::{StoreError, from_millis, minute_of, parse_key};

/// The advisory lock class of the fleet's leader ("mfle").
const FLEET_LOCK: i32 = 0x6d66_6c65;

/// The one lead fleet rules are led under.
const FLEET_LEAD: &str = "fleet-rules";

/// Where the lock's key is built, in SQL: the class and this schema.
const LOCK_KEY: &str = "$1::int4, hashtext(coalesce(current_schema(), ''))";

/// The connection the lead is taken and held on, and for whom it holds it.
#[derive(Default)]
pub(crate) struct Leadership {
    connection: Option<LeaderConnection>,
}

struct LeaderConnection {
    client: Client,
    /// The holder the lock is held for; `None` while not leading.
    holding: Option<String>,
}

impl PostgresStore {
    /// Per group and minute, what every instance counted since the minute
    /// `since` falls in, oldest minute first.
    pub(crate) async fn read_fleet_counts(&self, since: SystemTime) -> Result<Vec<FleetCount>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT c.group_key, g.module, g.function, g.severity, g.kind, g.template, c.minute_ms, c.count
                 FROM group_counts c JOIN groups g ON g.group_key = c.group_key
                 WHERE c.minute_ms >= $1 ORDER BY c.minute_ms, c.group_key",
                &[&minute_of(since)],
            )
            .await
            .map_err(self.fail("reading the fleet's counts"))?;
        Ok(rows
            .iter()
            .map(|row| FleetCount {
                group: parse_key(row.get(0)),
                module: row.get(1),
                function: row.get(2),
                severity: row.get::<_, &str>(3).parse().unwrap_or(Severity::Error),
                kind: EventKind::parse(row.get(4)).unwrap_or(EventKind::Error),
                template: row.get(5),
                minute: from_millis(row.get(6)),
                count: row.get::<_, i64>(7).max(0) as u64,
            })
            .collect())
    }

    /// Takes or keeps the lead for `holder`: true when it leads now.
    pub(crate) async fn take_lead(&self, holder: &str) -> Result<bool, StoreError> {
        let mut leadership = self.leadership().lock().await;
        if leadership.connection.as_ref().is_some_and(|held| held.client.is_closed()) {
            // The server or the network ended it: the lock went with it.
            leadership.connection = None;
        }
        if leadership.connection.is_none() {
            leadership.connection = Some(LeaderConnection { client: self.connect_alone().await?, holding: None });
        }
        let Some(held) = leadership.connection.as_mut() else { return Ok(false) };
        match held.holding.as_deref() {
            // This connection's lock is re-entrant: another holder asking
            // through the same store does not get it too.
            Some(current) if current != holder => return Ok(false),
            Some(_) => {
                // Still holding, if the connection still answers.
                if let Err(error) = held.client.simple_query("").await {
                    leadership.connection = None;
                    return Err(classify(self.database(), "keeping the fleet's lead", &error));
                }
                return Ok(true);
            }
            None => {}
        }
        let fail = |error: tokio_postgres::Error| classify(self.database(), "taking the fleet's lead", &error);
        let taken: bool = held
            .client
            .query_one(&format!("SELECT pg_try_advisory_lock({LOCK_KEY})"), &[&FLEET_LOCK])
            .await
            .map_err(fail)?
            .get(0);
        if taken {
            held.client
                .execute(
                    &format!(
                        "INSERT INTO leadership (name, holder, since_ms) VALUES ($1, $2, {SERVER_NOW_MS})
                         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, since_ms = excluded.since_ms"
                    ),
                    &[&FLEET_LEAD, &holder],
                )
                .await
                .map_err(fail)?;
            held.holding = Some(holder.to_owned());
        }
        Ok(taken)
    }

    /// The holder leading now: the one named in `leadership`, while some
    /// session holds the lock.
    pub(crate) async fn read_leader(&self) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT holder FROM leadership WHERE name = $2 AND EXISTS (
                        SELECT 1 FROM pg_locks
                        WHERE locktype = 'advisory' AND granted AND objsubid = 2
                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          AND (classid, objid) = (SELECT k1::oid, k2::oid FROM (SELECT {LOCK_KEY}) AS k(k1, k2)))"
                ),
                &[&FLEET_LOCK, &FLEET_LEAD],
            )
            .await
            .map_err(self.fail("reading who leads the fleet"))?;
        Ok(row.map(|row| row.get(0)))
    }

    /// A connection outside the pool, driven on the caller's runtime: the
    /// lock it holds lives exactly as long as it does.
    async fn connect_alone(&self) -> Result<Client, StoreError> {
        let (client, connection) = self
            .config()
            .connect(NoTls)
            .await
            .map_err(|error| classify(self.database(), "connecting for the fleet's lead", &error))?;
        tokio::spawn(connection);
        Ok(client)
    }
}
