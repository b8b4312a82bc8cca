"""How SQLite's full-text index is kept changes what an event costs to write.

Writes 100,000 events like the benchmarks' (a message with numbers, a
template, a JSON context) in batches of 256, one transaction each, WAL, and
prints the events per second of CPU time for: no index; FTS5 kept by a
trigger (a statement per row); FTS5 kept by one INSERT ... SELECT per batch
(what the store does). Run: python3 benches/checks/sqlite_fts_ingest.py
"""

import json
import os
import random
import sqlite3
import tempfile
import time

EVENTS = 100_000
BATCH = 256

random.seed(1)
ROWS = []
for i in range(EVENTS):
    group = random.randrange(2000)
    ROWS.append((
        group,
        f"mandate {i} rejected by bank {group} ref MX{random.randrange(10**8)}",
        f"mandate <n> rejected by bank <n> ref <id> kind{group}",
        json.dumps({"trace_id": "%032x" % random.getrandbits(128), "user": "u%d" % random.randrange(1000)}),
    ))

FTS = "CREATE VIRTUAL TABLE words USING fts5(message, template, content='events', content_rowid='id');"
TRIGGER = FTS + """CREATE TRIGGER words_insert AFTER INSERT ON events BEGIN
    INSERT INTO words (rowid, message, template) VALUES (new.id, new.message, new.template); END;"""
PER_BATCH = "INSERT INTO words (rowid, message, template) SELECT id, message, template FROM events WHERE id > ?"


def run(name, schema, after_batch=None):
    with tempfile.TemporaryDirectory() as directory:
        db = sqlite3.connect(os.path.join(directory, "events.db"))
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, group_key INTEGER, message TEXT, template TEXT, context TEXT);"
            + schema
        )
        started, last_id = time.process_time(), 0
        for first in range(0, EVENTS, BATCH):
            with db:
                db.executemany(
                    "INSERT INTO events (group_key, message, template, context) VALUES (?, ?, ?, ?)",
                    ROWS[first:first + BATCH],
                )
                if after_batch:
                    db.execute(after_batch, (last_id,))
                last_id = db.execute("SELECT max(id) FROM events").fetchone()[0]
        seconds = time.process_time() - started
        if schema:
            found = db.execute("SELECT count(*) FROM words WHERE words MATCH 'rejected'").fetchone()[0]
            assert found == EVENTS, found
        db.close()
    print(f"{name:40} {EVENTS / seconds:9,.0f} events/s")


print(f"SQLite {sqlite3.sqlite_version}, {EVENTS:,} events in batches of {BATCH}")
run("no full-text index", "")
run("FTS5 kept by a trigger", TRIGGER)
run("FTS5 kept by one statement per batch", FTS, PER_BATCH)
