//! The schema, as an ordered list of migrations. Append, never edit: the
//! table `monitor_schema_versions` holds one row per step applied, and only
//! later steps run.
//!
//! Many instances may start at once against one database. All of them run
//! [`migrate`] in one transaction that first takes
//! `pg_advisory_xact_lock(MIGRATION_LOCK, hashtext(schema))`: the first
//! migrates, the others wait for its commit and then find nothing left to
//! do. The lock is
//! released with the transaction, so a crash mid-migration leaves neither a
//! held lock nor half a schema.
//!
//! Times are milliseconds since the Unix epoch in `bigint` columns, and JSON
//! is kept as the text written, as in SQLite: an audit row's link covers its
//! exact text, which `jsonb` would rewrite.

use monitor_runtime::SinkErrorKind;
use tokio_postgres::Client;

use super::error::classify;
use super::options::Target;
use crate::store::StoreError;

/// The advisory lock class every instance takes to migrate a schema ("mmig").
const MIGRATION_LOCK: i32 = 0x6d6d_6967;

/// The schema version this release migrates to: the number of steps.
///
/// ```
/// assert!(monitor_sinks::postgres::SCHEMA_VERSION >= 4);
/// ```
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// One step of the schema.
pub(crate) struct Migration {
    /// What it adds, kept in the version table for people.
    pub(crate) description: &'static str,
    pub(crate) sql: &'static str,
}

/// Every step, in order. Version `n` is the first `n` steps applied.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        description: "events and groups",
        sql: "CREATE TABLE groups (
            group_key         text PRIMARY KEY,
            template          text NOT NULL,
            module            text NOT NULL,
            function          text NOT NULL,
            file              text NOT NULL,
            line              bigint NOT NULL,
            error_type        text,
            severity          text NOT NULL,
            severity_rank     bigint NOT NULL,
            status            text NOT NULL,
            count             bigint NOT NULL,
            first_seen_ms     bigint NOT NULL,
            last_seen_ms      bigint NOT NULL,
            merged_into       text,
            assignee          text,
            -- The server's clock when the status last changed: instances
            -- ask for the changes since their last look.
            status_changed_ms bigint NOT NULL DEFAULT 0
        );
        CREATE INDEX groups_by_last_seen ON groups (last_seen_ms);
        CREATE INDEX groups_by_status_change ON groups (status_changed_ms);
        CREATE INDEX groups_by_module ON groups (module text_pattern_ops);
        CREATE TABLE events (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            timestamp_ms  bigint NOT NULL,
            kind          text NOT NULL,
            severity      text NOT NULL,
            severity_rank bigint NOT NULL,
            group_key     text NOT NULL,
            template      text NOT NULL,
            module        text NOT NULL,
            function      text NOT NULL,
            file          text NOT NULL,
            line          bigint NOT NULL,
            error_type    text,
            message       text NOT NULL,
            chain         text NOT NULL,
            context       text NOT NULL,
            args          text NOT NULL,
            duration_us   bigint,
            occurrences   bigint NOT NULL
        );
        CREATE INDEX events_by_group ON events (group_key, id);
        CREATE INDEX events_by_time ON events (timestamp_ms);",
    },
    // The audit log: append-only (the triggers refuse UPDATE, DELETE and
    // TRUNCATE) and chained. Triggers only stop honest mistakes: whoever
    // owns the tables can drop them, and the keyed links are what finds
    // an edit then.
    Migration {
        description: "the audit log",
        sql: "CREATE TABLE audit_log (
            seq            bigint PRIMARY KEY,
            timestamp_ms   bigint NOT NULL,
            process        text NOT NULL,
            action         text NOT NULL,
            status         text NOT NULL,
            reference_kind text,
            reference_id   text,
            actor          text,
            trace_id       text,
            service        text,
            details        text NOT NULL,
            truncated      boolean NOT NULL,
            detail_errors  text NOT NULL,
            prev_hash      text NOT NULL,
            hash           text NOT NULL,
            key_id         text
        );
        CREATE INDEX audit_by_process ON audit_log (process, status, timestamp_ms);
        CREATE INDEX audit_by_reference ON audit_log (reference_kind, reference_id);
        CREATE INDEX audit_by_actor ON audit_log (actor, timestamp_ms);
        CREATE FUNCTION monitor_audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION monitor_audit_log_is_append_only();
        CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION monitor_audit_log_is_append_only();",
    },
    // Alert notifications, one row per notification key and destination, so
    // a notification written twice (a retried batch) is kept once.
    Migration {
        description: "alert notifications",
        sql: "CREATE TABLE notifications (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key          text NOT NULL,
            destination  text NOT NULL,
            rule         text NOT NULL,
            severity     text NOT NULL,
            state        text NOT NULL,
            labels       text NOT NULL,
            value        double precision NOT NULL,
            threshold    double precision NOT NULL,
            summary      text NOT NULL,
            starts_at_ms bigint NOT NULL,
            ends_at_ms   bigint,
            group_key    text,
            details      text NOT NULL,
            UNIQUE (key, destination)
        );
        CREATE INDEX notifications_by_rule ON notifications (rule, starts_at_ms);",
    },
    // Triage history, and alerts as incidents with their lifecycle.
    Migration {
        description: "triage history and alert incidents",
        sql: "CREATE TABLE group_history (
            id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            group_key  text NOT NULL,
            at_ms      bigint NOT NULL,
            actor      text NOT NULL,
            field      text NOT NULL,
            from_value text,
            to_value   text
        );
        CREATE INDEX group_history_by_group ON group_history (group_key, id);
        CREATE TABLE alerts (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            fingerprint     text NOT NULL,
            rule            text NOT NULL,
            severity        text NOT NULL,
            labels          text NOT NULL,
            summary         text NOT NULL,
            value           double precision NOT NULL,
            threshold       double precision NOT NULL,
            status          text NOT NULL,
            started_ms      bigint NOT NULL,
            last_fired_ms   bigint NOT NULL,
            fired           bigint NOT NULL,
            acknowledged_ms bigint,
            acknowledged_by text,
            ack_comment     text,
            resolved_ms     bigint,
            resolved_by     text,
            group_key       text
        );
        CREATE INDEX alerts_by_fingerprint ON alerts (fingerprint, id);
        CREATE INDEX alerts_by_start ON alerts (started_ms);
        CREATE INDEX alerts_by_status ON alerts (status, started_ms);",
    },
    // Fleet rules: every instance's occurrences per group and minute, the
    // kind of a group's events (rules filter on it), and who leads. The
    // leader holds an advisory lock on a connection of its own; the row
    // only names it for `leader()`.
    Migration {
        description: "fleet counts and leadership",
        sql: "ALTER TABLE groups ADD COLUMN kind text NOT NULL DEFAULT 'error';
        CREATE TABLE group_counts (
            group_key text NOT NULL,
            minute_ms bigint NOT NULL,
            count     bigint NOT NULL,
            PRIMARY KEY (group_key, minute_ms)
        );
        CREATE INDEX group_counts_by_minute ON group_counts (minute_ms);
        CREATE TABLE leadership (
            name     text PRIMARY KEY,
            holder   text NOT NULL,
            since_ms bigint NOT NULL
        );",
    },
    // Retention: an index for the size rule (lowest severities first), a
    // checkpoint row per archived audit segment, and the append-only
    // trigger letting a row go only once a checkpoint covers it.
    Migration {
        description: "retention and audit archives",
        sql: "CREATE INDEX events_by_severity ON events (severity_rank, id);
        CREATE TABLE audit_archives (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            first_seq   bigint NOT NULL,
            up_to_seq   bigint NOT NULL UNIQUE,
            last_hash   text NOT NULL,
            last_key_id text,
            file_name   text NOT NULL,
            row_count   bigint NOT NULL,
            sha256      text NOT NULL,
            archived_ms bigint NOT NULL,
            key_id      text,
            mac         text NOT NULL
        );
        CREATE OR REPLACE FUNCTION monitor_audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND OLD.seq <= (SELECT coalesce(max(up_to_seq), 0) FROM audit_archives) THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'audit_log is append-only: only archived rows are removed';
        END $$;",
    },
    // Search: a full-text index of event messages and templates on exactly
    // an expression of message and template, indexes on the
    // context fields people look up one value of, and on the group sort
    // orders.
    Migration {
        description: "search",
        sql: "CREATE INDEX events_words ON events USING gin (to_tsvector('simple'::regconfig, translate(message || ' ' || template, \
     '!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~', '                                ')));
        CREATE INDEX events_by_trace ON events (((context::jsonb ->> 'trace_id')));
        CREATE INDEX events_by_user ON events (((context::jsonb ->> 'user')));
        CREATE INDEX groups_by_count ON groups (count);
        CREATE INDEX groups_by_first_seen ON groups (first_seen_ms);
        CREATE INDEX group_counts_by_minute_count ON group_counts (minute_ms) INCLUDE (group_key, count);
        CREATE INDEX audit_by_time ON audit_log (timestamp_ms, process, status);",
    },
    // Calls per function and minute from every instance (rows added,
    // summed when read): calls, errors, latency histograms.
    Migration {
        description: "call counts",
        sql: "CREATE TABLE call_counts (
            id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            minute_ms  bigint NOT NULL,
            module     text NOT NULL,
            function   text NOT NULL,
            calls      bigint NOT NULL,
            errors     bigint NOT NULL,
            panics     bigint NOT NULL,
            slow_calls bigint NOT NULL,
            total_us   bigint NOT NULL,
            buckets    text NOT NULL
        );
        CREATE INDEX call_counts_by_minute ON call_counts (minute_ms);",
    },
    // Faster search: the words of each event computed once on insert (the
    // punctuation turned into spaces by the writer, not by `translate` for
    // every row and index) in a column the full-text index covers; groups
    // by the service and environment of their events; hourly totals for
    // charts (see `store::rollup`).
    Migration {
        description: "faster search",
        sql: "ALTER TABLE events ADD COLUMN words tsvector;
        UPDATE events SET words = to_tsvector('simple'::regconfig, translate(message || ' ' || template, \
            '!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~', '                                '));
        DROP INDEX events_words;
        CREATE INDEX events_words ON events USING gin (words);
        CREATE INDEX events_by_place
            ON events (((context::jsonb ->> 'service')), ((context::jsonb ->> 'environment')), group_key);
        CREATE TABLE hourly_occurrences (
            hour_ms  bigint NOT NULL,
            severity text NOT NULL,
            kind     text NOT NULL,
            count    bigint NOT NULL,
            PRIMARY KEY (hour_ms, severity, kind)
        );
        INSERT INTO hourly_occurrences (hour_ms, severity, kind, count)
            SELECT c.minute_ms - (c.minute_ms % 3600000) AS hour, g.severity, g.kind, sum(c.count)
            FROM group_counts c JOIN groups g ON g.group_key = c.group_key
            GROUP BY hour, g.severity, g.kind;
        CREATE TABLE hourly_audit (
            hour_ms bigint NOT NULL,
            process text NOT NULL,
            status  text NOT NULL,
            count   bigint NOT NULL,
            PRIMARY KEY (hour_ms, process, status)
        );
        INSERT INTO hourly_audit (hour_ms, process, status, count)
            SELECT timestamp_ms - (timestamp_ms % 3600000) AS hour, process, status, count(*)
            FROM audit_log GROUP BY hour, process, status;",
    },
    // The words of each group (see `store::search::group_words`), for a
    // group search by text, compared byte by byte (`COLLATE "C"`) as the
    // prefix ranges need. The events already stored are split here as the
    // writer splits them: runs of letters and digits, those without a
    // digit, lower-cased, cut to 48 characters. A second index by group:
    // PostgreSQL walks the groups newest first and checks each for the
    // word, which the primary key (word first) answers only by reading all
    // of the word's groups (123 ms for a common word over 20,000 groups,
    // 1.4 ms with it). Analyzed at once: without statistics the planner may
    // walk every group to check a rare word (autovacuum keeps them after).
    Migration {
        description: "group words",
        sql: "CREATE TABLE group_words (
            word      text COLLATE \"C\" NOT NULL,
            group_key text NOT NULL,
            PRIMARY KEY (word, group_key)
        );
        INSERT INTO group_words (word, group_key)
            SELECT DISTINCT left(lower(word), 48), group_key
            FROM events, regexp_split_to_table(message || ' ' || template, '[^[:alnum:]]+') AS word
            WHERE word <> '' AND word !~ '[[:digit:]]'
            ON CONFLICT DO NOTHING;
        CREATE INDEX group_words_by_group ON group_words (group_key, word);
        ANALYZE group_words;",
    },
    // The top groups of a window sum only the groups that could be in it
    // (see `top_groups`), each one's whole hours from `group_hours` (a busy
    // group has a row every minute: 24 rows a day instead of 1,440) and the
    // minutes at either end from `group_counts`, both read from their
    // primary key alone, which carries the count. Without that every row of
    // a busy group is a visit to the table (60 ms for 200 busy groups a
    // day, 16 ms with it). `count` was already in an index of
    // `group_counts`, so its upserts were not HOT updates before either.
    Migration {
        description: "top groups from the busiest",
        sql: "ALTER TABLE group_counts DROP CONSTRAINT group_counts_pkey,
            ADD PRIMARY KEY (group_key, minute_ms) INCLUDE (count);
        CREATE TABLE group_hours (
            group_key text NOT NULL,
            hour_ms   bigint NOT NULL,
            count     bigint NOT NULL,
            PRIMARY KEY (group_key, hour_ms) INCLUDE (count)
        );
        INSERT INTO group_hours (group_key, hour_ms, count)
            SELECT group_key, minute_ms - (minute_ms % 3600000), sum(count) FROM group_counts GROUP BY 1, 2;
        CREATE INDEX group_hours_by_hour ON group_hours (hour_ms);
        ANALYZE group_counts;
        ANALYZE group_hours;
        ANALYZE groups;",
    },
    // Stack backtraces: the frames of an event's backtrace, one a line (see
    // `monitor_runtime::Backtrace`), NULL for the events without.
    Migration { description: "backtraces", sql: "ALTER TABLE events ADD COLUMN backtrace text;" },
];

/// Brings the database (its schema, when one is configured) to the latest
/// version, in one transaction under the migration lock. A database migrated
/// by a newer release is refused: its tables may mean something this
/// release does not know.
/// For `existing_only`: refuses a schema without monitor's version table,
/// saying what it holds, before anything is created.
async fn refuse_without_a_store(tx: &tokio_postgres::Transaction<'_>, target: &Target) -> Result<(), StoreError> {
    let database = &target.description;
    if let Some(schema) = &target.schema {
        tx.batch_execute(&format!("SET LOCAL search_path TO {schema}"))
            .await
            .map_err(|error| classify(database, "choosing the schema", &error))?;
    }
    let row = tx
        .query_one(
            "SELECT to_regclass('monitor_schema_versions') IS NOT NULL, current_schema(),
                (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())",
            &[],
        )
        .await
        .map_err(|error| classify(database, "looking for a monitor store", &error))?;
    if row.get::<_, bool>(0) {
        return Ok(());
    }
    let schema: Option<String> = row.get(1);
    let schema = schema.map_or_else(|| "(none: no schema of the search path exists)".to_owned(), |s| format!("`{s}`"));
    let holds = match row.get::<_, i64>(2) {
        0 => "no tables".to_owned(),
        1 => "1 table, none of them monitor's".to_owned(),
        n => format!("{n} tables, none of them monitor's"),
    };
    Err(StoreError {
        kind: SinkErrorKind::Unavailable,
        message: format!(
            "{database} is not a monitor store (schema {schema} has {holds}): check the URL, its database and \
             search_path; a store is only created when opened without `existing_only`"
        ),
    })
}

pub(crate) async fn migrate(client: &mut Client, target: &Target) -> Result<(), StoreError> {
    let database = &target.description;
    let fail = |doing: &'static str| move |error: tokio_postgres::Error| classify(database, doing, &error);
    let tx = client.transaction().await.map_err(fail("starting the migration"))?;
    // A schema of its own per lock: instances of other schemas on the same
    // server do not wait for each other. An instance stuck while migrating
    // holds the others back at most `lock_timeout`.
    tx.batch_execute("SET LOCAL lock_timeout = '60s'").await.map_err(fail("setting the lock timeout"))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2::text, current_schema()::text, '')))",
        &[&MIGRATION_LOCK, &target.schema],
    )
    .await
    .map_err(fail("taking the migration lock"))?;
    if target.existing_only {
        refuse_without_a_store(&tx, target).await?;
    }
    if let Some(schema) = &target.schema {
        // The name was checked to need no quoting (see `options`).
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}"))
            .await
            .map_err(fail("creating the schema"))?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS monitor_schema_versions (
            version     integer PRIMARY KEY,
            description text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(fail("creating the version table"))?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM monitor_schema_versions", &[])
        .await
        .map_err(fail("reading the schema version"))?
        .get(0);
    let known = MIGRATIONS.len() as i32;
    if current > known {
        return Err(StoreError {
            kind: SinkErrorKind::Unavailable,
            message: format!(
                "{database}: its schema is version {current}, newer than the {known} this version of monitor \
                 knows: a newer release migrated it; upgrade monitor here too, or use another database or schema"
            ),
        });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i32 + 1;
        tx.batch_execute(migration.sql).await.map_err(fail("migrating the schema"))?;
        tx.execute(
            "INSERT INTO monitor_schema_versions (version, description) VALUES ($1, $2)",
            &[&version, &migration.description],
        )
        .await
        .map_err(fail("recording the schema version"))?;
    }
    tx.commit().await.map_err(fail("committing the migration"))
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;
    use crate::store::search::text::PUNCTUATION;

    /// Rows indexed by a migration and rows the writer indexes hold the
    /// same words: both turn every ASCII punctuation into a space.
    #[test]
    fn the_migrations_index_the_words_the_writer_computes() {
        let translate = format!(
            "translate(message || ' ' || template, '{}', '{}')",
            PUNCTUATION.replace('\'', "''"),
            " ".repeat(32)
        );
        for name in ["search", "faster search"] {
            let migration = MIGRATIONS.iter().find(|migration| migration.description == name).unwrap();
            assert!(migration.sql.contains(&translate), "{name}: {}\n{translate}", migration.sql);
        }
    }
}
