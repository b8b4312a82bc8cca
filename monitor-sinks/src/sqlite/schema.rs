//! The schema, as an ordered list of migrations. Append, never edit: a
//! database records how far it has migrated and only later steps run.

use rusqlite_migration::{M, Migrations};

pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE groups (
            group_key     TEXT PRIMARY KEY,
            template      TEXT NOT NULL,
            module        TEXT NOT NULL,
            function      TEXT NOT NULL,
            file          TEXT NOT NULL,
            line          INTEGER NOT NULL,
            error_type    TEXT,
            severity      TEXT NOT NULL,
            severity_rank INTEGER NOT NULL,
            status        TEXT NOT NULL,
            count         INTEGER NOT NULL,
            first_seen_ms INTEGER NOT NULL,
            last_seen_ms  INTEGER NOT NULL
        );
        CREATE INDEX groups_by_last_seen ON groups (last_seen_ms);
        CREATE TABLE events (
            id            INTEGER PRIMARY KEY,
            timestamp_ms  INTEGER NOT NULL,
            kind          TEXT NOT NULL,
            severity      TEXT NOT NULL,
            severity_rank INTEGER NOT NULL,
            group_key     TEXT NOT NULL,
            template      TEXT NOT NULL,
            module        TEXT NOT NULL,
            function      TEXT NOT NULL,
            file          TEXT NOT NULL,
            line          INTEGER NOT NULL,
            error_type    TEXT,
            message       TEXT NOT NULL,
            chain         TEXT NOT NULL,
            context       TEXT NOT NULL,
            args          TEXT NOT NULL,
            duration_us   INTEGER,
            occurrences   INTEGER NOT NULL
        );
        CREATE INDEX events_by_group ON events (group_key, timestamp_ms);
        CREATE INDEX events_by_time ON events (timestamp_ms);",
        ),
        // The audit log: append-only (the triggers refuse UPDATE and DELETE)
        // and hash-chained (each row's hash covers its content and the
        // previous row's hash), so an edit made around the triggers is found
        // by `verify_audit_chain`.
        M::up(
            "CREATE TABLE audit_log (
            seq            INTEGER PRIMARY KEY,
            timestamp_ms   INTEGER NOT NULL,
            process        TEXT NOT NULL,
            action         TEXT NOT NULL,
            status         TEXT NOT NULL,
            reference_kind TEXT,
            reference_id   TEXT,
            actor          TEXT,
            trace_id       TEXT,
            service        TEXT,
            details        TEXT NOT NULL,
            truncated      INTEGER NOT NULL,
            detail_errors  TEXT NOT NULL,
            prev_hash      TEXT NOT NULL,
            hash           TEXT NOT NULL
        );
        CREATE INDEX audit_by_process ON audit_log (process, status, timestamp_ms);
        CREATE INDEX audit_by_reference ON audit_log (reference_kind, reference_id);
        CREATE INDEX audit_by_actor ON audit_log (actor, timestamp_ms);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
        ),
        // Alert notifications, one row per notification key and destination,
        // so a notification written twice (a retried batch) is kept once.
        M::up(
            "CREATE TABLE notifications (
            id             INTEGER PRIMARY KEY,
            key            TEXT NOT NULL,
            destination    TEXT NOT NULL,
            rule           TEXT NOT NULL,
            severity       TEXT NOT NULL,
            state          TEXT NOT NULL,
            labels         TEXT NOT NULL,
            value          REAL NOT NULL,
            threshold      REAL NOT NULL,
            summary        TEXT NOT NULL,
            starts_at_ms   INTEGER NOT NULL,
            ends_at_ms     INTEGER,
            group_key      TEXT,
            details        TEXT NOT NULL,
            UNIQUE (key, destination)
        );
        CREATE INDEX notifications_by_rule ON notifications (rule, starts_at_ms);",
        ),
        // A group whose template the grouper merged into another's names the
        // group it became an alias of.
        M::up("ALTER TABLE groups ADD COLUMN merged_into TEXT;"),
        // The keyed audit chain: each row names the key that signed it (NULL:
        // an unkeyed SHA-256 link, as every row before this step). And an
        // insert anywhere but right after the last row is refused, which
        // `INSERT OR REPLACE` used to get around the UPDATE and DELETE
        // triggers. Triggers only stop honest mistakes: whoever can write the
        // file can drop them, and the keyed links are what finds that.
        M::up(
            "ALTER TABLE audit_log ADD COLUMN key_id TEXT;
        CREATE TRIGGER audit_log_insert_at_end BEFORE INSERT ON audit_log
        WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: a row is added right after the last one'); END;",
        ),
        // Triage that persists: an assignee, the time a status last changed
        // (for instances to pick up changes made elsewhere), a history of
        // every change with who and when; and alerts as incidents with
        // their lifecycle (active, acknowledged, resolved).
        M::up(
            "ALTER TABLE groups ADD COLUMN assignee TEXT;
        ALTER TABLE groups ADD COLUMN status_changed_ms INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX groups_by_status_change ON groups (status_changed_ms);
        CREATE INDEX groups_by_module ON groups (module);
        CREATE TABLE group_history (
            id         INTEGER PRIMARY KEY,
            group_key  TEXT NOT NULL,
            at_ms      INTEGER NOT NULL,
            actor      TEXT NOT NULL,
            field      TEXT NOT NULL,
            from_value TEXT,
            to_value   TEXT
        );
        CREATE INDEX group_history_by_group ON group_history (group_key, id);
        CREATE TABLE alerts (
            id              INTEGER PRIMARY KEY,
            fingerprint     TEXT NOT NULL,
            rule            TEXT NOT NULL,
            severity        TEXT NOT NULL,
            labels          TEXT NOT NULL,
            summary         TEXT NOT NULL,
            value           REAL NOT NULL,
            threshold       REAL NOT NULL,
            status          TEXT NOT NULL,
            started_ms      INTEGER NOT NULL,
            last_fired_ms   INTEGER NOT NULL,
            fired           INTEGER NOT NULL,
            acknowledged_ms INTEGER,
            acknowledged_by TEXT,
            ack_comment     TEXT,
            resolved_ms     INTEGER,
            resolved_by     TEXT,
            group_key       TEXT
        );
        CREATE INDEX alerts_by_fingerprint ON alerts (fingerprint, id);
        CREATE INDEX alerts_by_start ON alerts (started_ms);
        CREATE INDEX alerts_by_status ON alerts (status, started_ms);",
        ),
        // Fleet rules: counts per group and minute from every process, the
        // kind of a group's events, and a lease on who leads. A step of its
        // own: files already at the step before (written by the release
        // before fleet rules) get these too.
        M::up(
            "ALTER TABLE groups ADD COLUMN kind TEXT NOT NULL DEFAULT 'error';
        CREATE TABLE group_counts (
            group_key TEXT NOT NULL,
            minute_ms INTEGER NOT NULL,
            count     INTEGER NOT NULL,
            PRIMARY KEY (group_key, minute_ms)
        ) WITHOUT ROWID;
        CREATE INDEX group_counts_by_minute ON group_counts (minute_ms);
        CREATE TABLE leadership (
            name       TEXT PRIMARY KEY,
            holder     TEXT NOT NULL,
            expires_ms INTEGER NOT NULL
        );",
        ),
        // Retention: the size rule removes the lowest severities first
        // (an index to find them without sorting the table), and archived
        // audit segments each leave a checkpoint row; a row of the log is
        // removed only once a checkpoint covers it. `IF NOT EXISTS`: a file
        // taken back to an older version by hand still migrates.
        M::up(
            "CREATE INDEX IF NOT EXISTS events_by_severity ON events (severity_rank, id);
        CREATE TABLE IF NOT EXISTS audit_archives (
            id          INTEGER PRIMARY KEY,
            first_seq   INTEGER NOT NULL,
            up_to_seq   INTEGER NOT NULL UNIQUE,
            last_hash   TEXT NOT NULL,
            last_key_id TEXT,
            file_name   TEXT NOT NULL,
            row_count   INTEGER NOT NULL,
            sha256      TEXT NOT NULL,
            archived_ms INTEGER NOT NULL,
            key_id      TEXT,
            mac         TEXT NOT NULL
        );
        DROP TRIGGER IF EXISTS audit_log_no_delete;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        WHEN OLD.seq > (SELECT coalesce(max(up_to_seq), 0) FROM audit_archives)
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only archived rows are removed'); END;",
        ),
        // Search: a full-text index of event messages and templates (FTS5,
        // kept by triggers, so every writer and every deletion keeps it
        // right), indexes on the context fields people look up one value
        // of (trace, user), and on the group sort orders.
        M::up(
            "CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(message, template, content='events', content_rowid='id');
        INSERT INTO events_fts (events_fts) VALUES ('rebuild');
        CREATE TRIGGER IF NOT EXISTS events_fts_insert AFTER INSERT ON events BEGIN
            INSERT INTO events_fts (rowid, message, template) VALUES (new.id, new.message, new.template);
        END;
        CREATE TRIGGER IF NOT EXISTS events_fts_delete AFTER DELETE ON events BEGIN
            INSERT INTO events_fts (events_fts, rowid, message, template)
            VALUES ('delete', old.id, old.message, old.template);
        END;
        CREATE INDEX IF NOT EXISTS events_by_trace ON events (json_extract(context, '$.trace_id'));
        CREATE INDEX IF NOT EXISTS events_by_user ON events (json_extract(context, '$.user'));
        CREATE INDEX IF NOT EXISTS groups_by_count ON groups (count);
        CREATE INDEX IF NOT EXISTS groups_by_first_seen ON groups (first_seen_ms);
        CREATE INDEX IF NOT EXISTS group_counts_by_minute_count ON group_counts (minute_ms, group_key, count);
        CREATE INDEX IF NOT EXISTS audit_by_time ON audit_log (timestamp_ms, process, status);",
        ),
        // Calls per function and minute from every instance (rows added,
        // summed when read): calls, errors, latency histograms.
        M::up(
            "CREATE TABLE IF NOT EXISTS call_counts (
            id         INTEGER PRIMARY KEY,
            minute_ms  INTEGER NOT NULL,
            module     TEXT NOT NULL,
            function   TEXT NOT NULL,
            calls      INTEGER NOT NULL,
            errors     INTEGER NOT NULL,
            panics     INTEGER NOT NULL,
            slow_calls INTEGER NOT NULL,
            total_us   INTEGER NOT NULL,
            buckets    TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS call_counts_by_minute ON call_counts (minute_ms);",
        ),
        // Faster search: the full-text index is kept by the store's writes,
        // one statement per batch, instead of by triggers (a trigger's
        // statement per row made FTS5 write a segment per event); groups
        // by the service and environment of their events; hourly totals
        // for charts (see `store::rollup`).
        M::up(
            "DROP TRIGGER IF EXISTS events_fts_insert;
        DROP TRIGGER IF EXISTS events_fts_delete;
        CREATE INDEX IF NOT EXISTS events_by_place
            ON events (json_extract(context, '$.service'), json_extract(context, '$.environment'), group_key);
        CREATE TABLE IF NOT EXISTS hourly_occurrences (
            hour_ms  INTEGER NOT NULL,
            severity TEXT NOT NULL,
            kind     TEXT NOT NULL,
            count    INTEGER NOT NULL,
            PRIMARY KEY (hour_ms, severity, kind)
        ) WITHOUT ROWID;
        INSERT INTO hourly_occurrences (hour_ms, severity, kind, count)
            SELECT c.minute_ms - (c.minute_ms % 3600000) AS hour, g.severity, g.kind, sum(c.count)
            FROM group_counts c JOIN groups g ON g.group_key = c.group_key
            WHERE true GROUP BY hour, g.severity, g.kind
            ON CONFLICT (hour_ms, severity, kind) DO UPDATE SET count = count + excluded.count;
        CREATE TABLE IF NOT EXISTS hourly_audit (
            hour_ms INTEGER NOT NULL,
            process TEXT NOT NULL,
            status  TEXT NOT NULL,
            count   INTEGER NOT NULL,
            PRIMARY KEY (hour_ms, process, status)
        ) WITHOUT ROWID;
        INSERT INTO hourly_audit (hour_ms, process, status, count)
            SELECT timestamp_ms - (timestamp_ms % 3600000) AS hour, process, status, count(*)
            FROM audit_log WHERE true GROUP BY hour, process, status
            ON CONFLICT (hour_ms, process, status) DO UPDATE SET count = count + excluded.count;",
        ),
        // The words of each group (see `store::search::group_words`), for a
        // group search by text; filled from the events already stored.
        M::up_with_hook(
            "CREATE TABLE IF NOT EXISTS group_words (
            word      TEXT NOT NULL,
            group_key TEXT NOT NULL,
            PRIMARY KEY (word, group_key)
        ) WITHOUT ROWID;",
            |tx: &rusqlite::Transaction<'_>| Ok(super::search::backfill_group_words(tx)?),
        ),
        // Stack backtraces: the frames of an event's backtrace, one a line
        // (see `monitor_runtime::Backtrace`), NULL for the events without.
        M::up("ALTER TABLE events ADD COLUMN backtrace TEXT;"),
    ])
}

/// How many steps the schema has: the version this release migrates to.
pub(crate) fn migrations_len() -> usize {
    STEPS
}

const STEPS: usize = 13;

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }

    #[test]
    fn a_file_of_the_release_before_fleet_rules_gets_their_tables() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_version(&mut connection, 6).unwrap();
        super::migrations().to_latest(&mut connection).unwrap();
        connection.execute("INSERT INTO group_counts (group_key, minute_ms, count) VALUES ('k', 0, 1)", []).unwrap();
        connection.prepare("SELECT kind FROM groups").expect("groups have a kind");
    }

    /// A file of the release before: events its triggers indexed stay
    /// found, the triggers go (the store keeps the index from then on) and
    /// the hourly totals start from the counts already there.
    #[test]
    fn a_file_of_the_release_before_faster_search_keeps_its_words_and_gets_its_totals() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_version(&mut connection, 10).unwrap();
        connection
            .execute_batch(
                "INSERT INTO groups (group_key, template, module, function, file, line, severity, severity_rank,
                    status, count, first_seen_ms, last_seen_ms, kind)
                 VALUES ('7', 'mandate <n> rejected', 'payments', 'submit', 'lib.rs', 1, 'error', 4, 'open', 5, 0, 0, 'error');
                 INSERT INTO events (timestamp_ms, kind, severity, severity_rank, group_key, template, module, function,
                    file, line, message, chain, context, args, occurrences)
                 VALUES (0, 'error', 'error', 4, '7', 'mandate <n> rejected', 'payments', 'submit', 'lib.rs', 1,
                    'mandate 42 rejected', '[]', '{}', '[]', 1);
                 INSERT INTO group_counts (group_key, minute_ms, count) VALUES ('7', 60000, 2), ('7', 120000, 3);",
            )
            .unwrap();
        super::migrations().to_latest(&mut connection).unwrap();
        let triggers: i64 = connection
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'events_fts%'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(triggers, 0);
        let found: i64 = connection
            .query_row("SELECT count(*) FROM events_fts WHERE events_fts MATCH 'rejected'", [], |row| row.get(0))
            .unwrap();
        assert_eq!(found, 1);
        let totals: (i64, i64) = connection
            .query_row(
                "SELECT (SELECT sum(count) FROM hourly_occurrences WHERE severity = 'error' AND hour_ms = 0),
                        (SELECT count(*) FROM hourly_occurrences)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(totals, (5, 1));
    }

    /// A file of the release before group words: its groups are found by
    /// the words of the events it already holds.
    #[test]
    fn a_file_of_the_release_before_group_words_gets_the_words_of_its_events() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_version(&mut connection, 11).unwrap();
        connection
            .execute_batch(
                "INSERT INTO events (timestamp_ms, kind, severity, severity_rank, group_key, template, module, function,
                    file, line, message, chain, context, args, occurrences)
                 VALUES (0, 'error', 'error', 4, '7', 'mandate <n> rejected', 'payments', 'submit', 'lib.rs', 1,
                    'Mandate MND-42 rejected for Zürich', '[]', '{}', '[]', 1),
                    (0, 'error', 'error', 4, '8', 'ledger locked', 'ledger', 'post', 'lib.rs', 1,
                    'ledger locked', '[]', '{}', '[]', 1);",
            )
            .unwrap();
        super::migrations().to_latest(&mut connection).unwrap();
        let groups_of = |word: &str| -> Vec<String> {
            let mut statement =
                connection.prepare("SELECT group_key FROM group_words WHERE word = ?1 ORDER BY group_key").unwrap();
            statement.query_map([word], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
        };
        assert_eq!(groups_of("mnd"), ["7"]);
        assert!(groups_of("42").is_empty(), "numbers stay in the events' index");
        assert_eq!(groups_of("zürich"), ["7"]);
        assert_eq!(groups_of("n"), ["7"], "the template's words too");
        assert_eq!(groups_of("locked"), ["8"]);
        assert!(groups_of("Mandate").is_empty(), "lower-cased");
    }

    /// A file of the release before backtraces: the column is added, and
    /// the events it already holds have none.
    #[test]
    fn a_file_of_the_release_before_backtraces_keeps_its_events_without_one() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_version(&mut connection, 12).unwrap();
        connection
            .execute_batch(
                "INSERT INTO events (timestamp_ms, kind, severity, severity_rank, group_key, template, module, function,
                    file, line, message, chain, context, args, occurrences)
                 VALUES (0, 'error', 'error', 4, '7', 'ledger locked', 'ledger', 'post', 'lib.rs', 1,
                    'ledger locked', '[]', '{}', '[]', 1);",
            )
            .unwrap();
        super::migrations().to_latest(&mut connection).unwrap();
        let backtrace: Option<String> =
            connection.query_row("SELECT backtrace FROM events", [], |row| row.get(0)).unwrap();
        assert_eq!(backtrace, None);
    }

    #[test]
    fn the_step_count_is_the_number_of_migrations() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_latest(&mut connection).unwrap();
        let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
        assert_eq!(version as usize, super::migrations_len());
    }
}
