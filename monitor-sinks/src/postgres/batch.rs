//! Writing a batch in one transaction: events, group counts, audit rows,
//! notifications and the incidents they fire or resolve.
//!
//! Events and groups go in with one statement each, their columns sent as
//! arrays and turned back into rows by `unnest`: a batch of ten thousand
//! events is one round trip, not ten thousand.
//!
//! Group counts add up (`count = groups.count + excluded.count`): every
//! instance sends only the occurrences it saw since its last snapshot, so
//! any number of instances sum to the true total. A snapshot changes the
//! stored status only when its process changed it; the change is stamped
//! with the server's clock for the other instances' next look.

use std::collections::BTreeMap;
use std::sync::Arc;

use monitor_runtime::{Batch, Event, GroupSnapshot, GroupStatus};
use tokio_postgres::types::ToSql;

use super::store::{ALERTS_LOCK, AUDIT_LOCK, PostgresStore, SERVER_NOW_MS, lock};
use crate::store::rollup::{HOUR_MS, hourly_occurrences};
use crate::store::search::text::event_words;
use crate::store::{REGRESSION_ACTOR, StoreError, backtrace_text, millis, minute_of, severity_rank, to_json};

/// The words column is parsed from the text the writer prepared
/// ([`event_words`]), for the full-text index.
const INSERT_EVENTS: &str = "INSERT INTO events (timestamp_ms, kind, severity, severity_rank, group_key, template,
        module, function, file, line, error_type, message, chain, context, args, duration_us, occurrences, words,
        backtrace)
    SELECT timestamp_ms, kind, severity, severity_rank, group_key, template, module, function, file, line,
        error_type, message, chain, context, args, duration_us, occurrences, to_tsvector('simple'::regconfig, words),
        backtrace
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
        $9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bigint[],
        $17::bigint[], $18::text[], $19::text[])
        WITH ORDINALITY AS e(timestamp_ms, kind, severity, severity_rank, group_key, template, module, function,
            file, line, error_type, message, chain, context, args, duration_us, occurrences, words, backtrace, n)
    ORDER BY n";

/// `status_changed_ms` of a new row is the server's clock when the snapshot
/// changed the status and 0 otherwise, which tells the conflict branch
/// whether to take the snapshot's status. Rows go in key order, so two
/// instances upserting the same groups lock them in the same order and
/// never deadlock.
fn upsert_groups_sql() -> String {
    format!(
        "INSERT INTO groups (group_key, template, module, function, file, line, error_type, severity, severity_rank,
            status, count, first_seen_ms, last_seen_ms, merged_into, status_changed_ms, kind)
        SELECT group_key, template, module, function, file, line, error_type, severity, severity_rank, status,
            count, first_seen_ms, last_seen_ms, merged_into, CASE WHEN status_changed THEN {SERVER_NOW_MS} ELSE 0 END,
            kind
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
            $8::text[], $9::bigint[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[],
            $15::boolean[], $16::text[])
            AS g(group_key, template, module, function, file, line, error_type, severity, severity_rank, status,
                count, first_seen_ms, last_seen_ms, merged_into, status_changed, kind)
        ORDER BY group_key
        ON CONFLICT (group_key) DO UPDATE SET
            count = groups.count + excluded.count,
            -- The store is the truth for a status: a snapshot changes it
            -- only when this process changed it.
            status = CASE WHEN excluded.status_changed_ms > 0 THEN excluded.status ELSE groups.status END,
            status_changed_ms = CASE
                WHEN excluded.status_changed_ms > 0 AND groups.status <> excluded.status
                THEN excluded.status_changed_ms ELSE groups.status_changed_ms END,
            template = excluded.template,
            first_seen_ms = least(groups.first_seen_ms, excluded.first_seen_ms),
            last_seen_ms = greatest(groups.last_seen_ms, excluded.last_seen_ms),
            merged_into = coalesce(excluded.merged_into, groups.merged_into)"
    )
}

impl PostgresStore {
    /// Writes a batch in one transaction (see
    /// [`Store::write_batch`](crate::store::Store::write_batch)).
    pub(crate) async fn write(&self, batch: &Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(self.fail("starting a transaction"))?;
        // Advisory locks first, before any row lock: a transaction holding
        // one never waits for rows held by one waiting for it.
        if !batch.audits.is_empty() {
            lock(&tx, AUDIT_LOCK, self).await?;
        }
        if !batch.notifications.is_empty() {
            lock(&tx, ALERTS_LOCK, self).await?;
        }
        insert_events(&tx, &batch.events).await.map_err(self.fail("inserting events"))?;
        let new_words = self.word_cache().unseen(&batch.events);
        insert_group_words(&tx, &new_words).await.map_err(self.fail("indexing the groups' words"))?;
        upsert_groups(&tx, &batch.groups).await.map_err(self.fail("updating groups"))?;
        insert_calls(&tx, &batch.calls).await.map_err(self.fail("storing call counts"))?;
        let head = super::audit::append(&tx, self, &batch.audits).await?;
        super::alerts::append(&tx, &batch.notifications).await.map_err(self.fail("storing alert notifications"))?;
        super::incidents::record(&tx, &batch.notifications).await.map_err(self.fail("recording alert incidents"))?;
        tx.commit().await.map_err(self.fail("committing"))?;
        self.audit_chain().after_commit(head, "postgres");
        self.word_cache().remember(&new_words);
        Ok(())
    }
}

/// Adds (word, group key) pairs to the groups' words (see
/// [`group_words`](crate::store::search::group_words)), in the index's
/// order, so that instances writing the same words at once take the rows'
/// locks in one order.
async fn insert_group_words(
    tx: &deadpool_postgres::Transaction<'_>,
    pairs: &[(String, String)],
) -> Result<(), tokio_postgres::Error> {
    if pairs.is_empty() {
        return Ok(());
    }
    let words: Vec<&str> = pairs.iter().map(|(word, _)| word.as_str()).collect();
    let keys: Vec<&str> = pairs.iter().map(|(_, key)| key.as_str()).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO group_words (word, group_key)
             SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
        )
        .await?;
    tx.execute(&statement, &[&words, &keys]).await?;
    Ok(())
}

async fn insert_events(
    tx: &deadpool_postgres::Transaction<'_>,
    events: &[Arc<Event>],
) -> Result<(), tokio_postgres::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let timestamps: Vec<i64> = events.iter().map(|e| millis(e.timestamp)).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let severities: Vec<&str> = events.iter().map(|e| e.severity.as_str()).collect();
    let ranks: Vec<i64> = events.iter().map(|e| severity_rank(e.severity)).collect();
    let keys: Vec<String> = events.iter().map(|e| e.group_key.to_string()).collect();
    let templates: Vec<&str> = events.iter().map(|e| e.template.as_str()).collect();
    let modules: Vec<&str> = events.iter().map(|e| &*e.location.module).collect();
    let functions: Vec<&str> = events.iter().map(|e| &*e.location.function).collect();
    let files: Vec<&str> = events.iter().map(|e| &*e.location.file).collect();
    let lines: Vec<i64> = events.iter().map(|e| i64::from(e.location.line)).collect();
    let error_types: Vec<Option<&str>> = events.iter().map(|e| e.error_type.as_deref()).collect();
    let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
    let chains: Vec<String> = events.iter().map(|e| to_json(&e.chain)).collect();
    let contexts: Vec<String> = events.iter().map(|e| to_json(&*e.context)).collect();
    let args: Vec<String> = events.iter().map(|e| to_json(&e.args)).collect();
    let durations: Vec<Option<i64>> = events.iter().map(|e| e.duration.map(|d| d.as_micros() as i64)).collect();
    let occurrences: Vec<i64> = events.iter().map(|e| e.occurrences as i64).collect();
    let words: Vec<String> = events.iter().map(|e| event_words(&e.message, &e.template)).collect();
    let backtraces: Vec<Option<String>> = events.iter().map(|e| backtrace_text(e)).collect();
    let statement = tx.prepare_cached(INSERT_EVENTS).await?;
    let params: [&(dyn ToSql + Sync); 19] = [
        &timestamps,
        &kinds,
        &severities,
        &ranks,
        &keys,
        &templates,
        &modules,
        &functions,
        &files,
        &lines,
        &error_types,
        &messages,
        &chains,
        &contexts,
        &args,
        &durations,
        &occurrences,
        &words,
        &backtraces,
    ];
    tx.execute(&statement, &params).await?;
    Ok(())
}

async fn upsert_groups(
    tx: &deadpool_postgres::Transaction<'_>,
    snapshots: &[GroupSnapshot],
) -> Result<(), tokio_postgres::Error> {
    if snapshots.is_empty() {
        return Ok(());
    }
    let groups = merge_by_key(snapshots);
    let keys: Vec<String> = groups.iter().map(|g| g.key.to_string()).collect();
    let templates: Vec<&str> = groups.iter().map(|g| g.template.as_str()).collect();
    let modules: Vec<&str> = groups.iter().map(|g| &*g.location.module).collect();
    let functions: Vec<&str> = groups.iter().map(|g| &*g.location.function).collect();
    let files: Vec<&str> = groups.iter().map(|g| &*g.location.file).collect();
    let lines: Vec<i64> = groups.iter().map(|g| i64::from(g.location.line)).collect();
    let error_types: Vec<Option<&str>> = groups.iter().map(|g| g.error_type.as_deref()).collect();
    let severities: Vec<&str> = groups.iter().map(|g| g.severity.as_str()).collect();
    let ranks: Vec<i64> = groups.iter().map(|g| severity_rank(g.severity)).collect();
    let statuses: Vec<&str> = groups.iter().map(|g| g.status.as_str()).collect();
    let counts: Vec<i64> = groups.iter().map(|g| g.new_occurrences as i64).collect();
    let first_seen: Vec<i64> = groups.iter().map(|g| millis(g.first_seen)).collect();
    let last_seen: Vec<i64> = groups.iter().map(|g| millis(g.last_seen)).collect();
    let merged_into: Vec<Option<String>> = groups.iter().map(|g| g.merged_into.map(|k| k.to_string())).collect();
    let status_changed: Vec<bool> = groups.iter().map(|g| g.status_changed).collect();
    let kinds: Vec<&str> = groups.iter().map(|g| g.kind.as_str()).collect();
    record_regressions(tx, &groups).await?;
    let statement = tx.prepare_cached(&upsert_groups_sql()).await?;
    let params: [&(dyn ToSql + Sync); 16] = [
        &keys,
        &templates,
        &modules,
        &functions,
        &files,
        &lines,
        &error_types,
        &severities,
        &ranks,
        &statuses,
        &counts,
        &first_seen,
        &last_seen,
        &merged_into,
        &status_changed,
        &kinds,
    ];
    tx.execute(&statement, &params).await?;
    count_minutes(tx, snapshots).await?;
    count_hours(tx, snapshots).await
}

/// A resolved group this process saw again reopens: said in its history,
/// where summaries and operators find regressions. Before the upsert,
/// which takes the status to `open`.
async fn record_regressions(
    tx: &deadpool_postgres::Transaction<'_>,
    groups: &[GroupSnapshot],
) -> Result<(), tokio_postgres::Error> {
    let reopened: Vec<&GroupSnapshot> =
        groups.iter().filter(|g| g.status_changed && g.status == GroupStatus::Open).collect();
    if reopened.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = reopened.iter().map(|g| g.key.to_string()).collect();
    let at: Vec<i64> = reopened.iter().map(|g| millis(g.last_seen)).collect();
    let sql = format!(
        "INSERT INTO group_history (group_key, at_ms, actor, field, from_value, to_value)
         SELECT g.group_key, r.at_ms, '{REGRESSION_ACTOR}', 'status', 'resolved', 'open'
         FROM unnest($1::text[], $2::bigint[]) AS r(group_key, at_ms) JOIN groups g ON g.group_key = r.group_key
         WHERE g.status = 'resolved'"
    );
    tx.execute(&sql, &[&keys, &at]).await.map(|_| ())
}

/// Adds each snapshot's new occurrences to its group's count of the minute
/// it was last seen in (`group_counts`: what fleet rules and charts read)
/// and of that hour (`group_hours`: what the top groups read for the whole
/// hours of their window). One row per group and minute or hour, however
/// many snapshots of them the batch carries.
async fn count_minutes(
    tx: &deadpool_postgres::Transaction<'_>,
    snapshots: &[GroupSnapshot],
) -> Result<(), tokio_postgres::Error> {
    let mut minutes: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for snapshot in snapshots.iter().filter(|s| s.new_occurrences > 0) {
        let minute = (snapshot.key.to_string(), minute_of(snapshot.last_seen));
        *minutes.entry(minute).or_default() += snapshot.new_occurrences as i64;
    }
    if minutes.is_empty() {
        return Ok(());
    }
    let mut hours: BTreeMap<(&str, i64), i64> = BTreeMap::new();
    for ((key, minute), count) in &minutes {
        *hours.entry((key.as_str(), minute - minute.rem_euclid(HOUR_MS))).or_default() += count;
    }
    add_group_counts(tx, "group_counts", "minute_ms", minutes.iter().map(|((key, at), n)| (key.as_str(), *at, *n)))
        .await?;
    add_group_counts(tx, "group_hours", "hour_ms", hours.iter().map(|((key, at), n)| (*key, *at, *n))).await
}

/// Adds `(group, start, count)` rows to `table`'s counts by group and the
/// time column `time`, in key order (two writers lock rows in one order).
async fn add_group_counts<'a>(
    tx: &deadpool_postgres::Transaction<'_>,
    table: &str,
    time: &str,
    rows: impl Iterator<Item = (&'a str, i64, i64)>,
) -> Result<(), tokio_postgres::Error> {
    let (mut keys, mut starts, mut counts): (Vec<&str>, Vec<i64>, Vec<i64>) = Default::default();
    for (key, start, count) in rows {
        keys.push(key);
        starts.push(start);
        counts.push(count);
    }
    let statement = tx
        .prepare_cached(&format!(
            "INSERT INTO {table} (group_key, {time}, count)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) ORDER BY 1, 2
             ON CONFLICT (group_key, {time}) DO UPDATE SET count = {table}.count + excluded.count"
        ))
        .await?;
    tx.execute(&statement, &[&keys, &starts, &counts]).await?;
    Ok(())
}

/// Adds the snapshots' new occurrences to the hourly totals per severity
/// and kind (see [`crate::store::rollup`]).
async fn count_hours(
    tx: &deadpool_postgres::Transaction<'_>,
    snapshots: &[GroupSnapshot],
) -> Result<(), tokio_postgres::Error> {
    let totals = hourly_occurrences(snapshots);
    if totals.is_empty() {
        return Ok(());
    }
    let hours: Vec<i64> = totals.iter().map(|total| total.0).collect();
    let severities: Vec<&str> = totals.iter().map(|total| total.1).collect();
    let kinds: Vec<&str> = totals.iter().map(|total| total.2).collect();
    let counts: Vec<i64> = totals.iter().map(|total| total.3).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO hourly_occurrences (hour_ms, severity, kind, count)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) ORDER BY 1, 2, 3
             ON CONFLICT (hour_ms, severity, kind) DO UPDATE SET count = hourly_occurrences.count + excluded.count",
        )
        .await?;
    tx.execute(&statement, &[&hours, &severities, &kinds, &counts]).await?;
    Ok(())
}

/// One snapshot per group: an upsert may touch a row once per statement,
/// and a batch can carry two snapshots of a group (one held back from a
/// full queue, one newer). Their new occurrences add up, the times widen,
/// and the later snapshot's status and template win; the status counts as
/// changed when either changed it.
fn merge_by_key(snapshots: &[GroupSnapshot]) -> Vec<GroupSnapshot> {
    let mut merged: BTreeMap<_, GroupSnapshot> = BTreeMap::new();
    for snapshot in snapshots {
        match merged.get_mut(&snapshot.key) {
            None => {
                merged.insert(snapshot.key, snapshot.clone());
            }
            Some(earlier) => {
                let new_occurrences = earlier.new_occurrences + snapshot.new_occurrences;
                let first_seen = earlier.first_seen.min(snapshot.first_seen);
                let last_seen = earlier.last_seen.max(snapshot.last_seen);
                let status_changed = earlier.status_changed || snapshot.status_changed;
                let merged_into = snapshot.merged_into.or(earlier.merged_into);
                let mut later = snapshot.clone();
                later.new_occurrences = new_occurrences;
                later.first_seen = first_seen;
                later.last_seen = last_seen;
                later.status_changed = status_changed;
                later.merged_into = merged_into;
                *earlier = later;
            }
        }
    }
    merged.into_values().collect()
}

/// Call counts per function and minute, a row each (summed when read).
async fn insert_calls(
    tx: &deadpool_postgres::Transaction<'_>,
    calls: &[monitor_runtime::CallCounts],
) -> Result<(), tokio_postgres::Error> {
    if calls.is_empty() {
        return Ok(());
    }
    let rows: Vec<crate::store::calls::CallRow> = calls.iter().map(crate::store::calls::CallRow::of).collect();
    let minutes: Vec<i64> = rows.iter().map(|row| row.minute_ms).collect();
    let modules: Vec<&str> = rows.iter().map(|row| row.module.as_str()).collect();
    let functions: Vec<&str> = rows.iter().map(|row| row.function.as_str()).collect();
    let counts: Vec<i64> = rows.iter().map(|row| row.calls).collect();
    let errors: Vec<i64> = rows.iter().map(|row| row.errors).collect();
    let panics: Vec<i64> = rows.iter().map(|row| row.panics).collect();
    let slow: Vec<i64> = rows.iter().map(|row| row.slow_calls).collect();
    let totals: Vec<i64> = rows.iter().map(|row| row.total_us).collect();
    let buckets: Vec<&str> = rows.iter().map(|row| row.buckets.as_str()).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO call_counts (minute_ms, module, function, calls, errors, panics, slow_calls, total_us, buckets)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
                                  $7::bigint[], $8::bigint[], $9::text[])",
        )
        .await?;
    tx.execute(&statement, &[&minutes, &modules, &functions, &counts, &errors, &panics, &slow, &totals, &buckets])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use monitor_runtime::{GroupKey, GroupStatus};

    use super::*;

    /// Snapshots are made by the runtime only; tests read one from JSON.
    fn snapshot(key: u64, new: u64, seen: u64, status: GroupStatus, changed: bool) -> GroupSnapshot {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(seen);
        serde_json::from_value(serde_json::json!({
            "key": key,
            "template": format!("t{seen}"),
            "location": { "module": "m", "function": "f", "file": "f.rs", "line": 1 },
            "error_type": null,
            "severity": "error",
            "kind": "error",
            "status": status,
            "status_changed": changed,
            "count": new,
            "new_occurrences": new,
            "first_seen": at,
            "last_seen": at,
        }))
        .unwrap()
    }

    #[test]
    fn two_snapshots_of_a_group_in_one_batch_add_up_and_the_later_wins() {
        let merged = merge_by_key(&[
            snapshot(2, 3, 10, GroupStatus::Resolved, true),
            snapshot(1, 1, 5, GroupStatus::Open, false),
            snapshot(2, 4, 20, GroupStatus::Open, false),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].key, GroupKey(1), "in key order");
        let two = &merged[1];
        assert_eq!(two.new_occurrences, 7);
        assert_eq!((two.status, two.status_changed), (GroupStatus::Open, true));
        assert_eq!(two.template, "t20");
        assert!(two.first_seen < two.last_seen);
    }
}
