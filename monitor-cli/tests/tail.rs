//! `monitor tail`: the newest events, oldest of them first; with `-f`, an
//! event stored after it started is shown, and Ctrl-C ends it cleanly.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use support::{Schema, ok, seed_operations, store_error};

/// Long enough for any machine; only a guard against hanging forever, not
/// a measure of speed.
const PATIENCE: Duration = Duration::from_secs(120);

#[test]
fn the_newest_events_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let db = db.to_str().unwrap();
    seed_operations(db);
    let out = ok(&["--db", db, "tail", "-n", "3", "--json"]);
    let events: Vec<Value> = out.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(events.len(), 3, "{out}");
    let ids: Vec<i64> = events.iter().map(|event| event["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "oldest first: {ids:?}");
    assert!(events[2]["message"].as_str().unwrap().contains("gateway timeout"), "the newest last: {out}");
    let filtered = ok(&["--db", db, "tail", "--function", "submit", "--json"]);
    assert_eq!(filtered.lines().count(), 3, "{filtered}");
    let human = ok(&["--db", db, "tail", "-n", "1"]);
    assert!(human.contains("gateway timeout") && human.contains("payments"), "{human}");
}

fn follow(db: &str) {
    seed_operations(db);
    let mut child = Command::new(env!("CARGO_BIN_EXE_monitor"))
        .args(["--db", db, "tail", "-f", "-n", "1", "--interval", "50ms", "--json"])
        .env_remove("MONITOR_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // The newest event already stored comes first: it is following now.
    let first: Value = serde_json::from_str(&received.recv_timeout(PATIENCE).unwrap()).unwrap();
    assert!(first["message"].as_str().unwrap().contains("gateway timeout"), "{first}");

    store_error(db, "the clearing house is closed for the holiday");
    let next: Value = serde_json::from_str(&received.recv_timeout(PATIENCE).unwrap()).unwrap();
    assert!(next["message"].as_str().unwrap().contains("clearing house is closed"), "{next}");
    assert!(next["id"].as_i64() > first["id"].as_i64());

    let interrupted = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "Ctrl-C ends it cleanly: {status:?} {stderr}");
    reader.join().unwrap();
    let rest: Vec<String> = received.try_iter().collect();
    assert!(rest.is_empty(), "nothing shown twice: {rest:?}");
}

#[test]
fn follow_shows_an_event_stored_after_it_started_and_stops_on_ctrl_c_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    follow(db.to_str().unwrap());
}

#[test]
fn follow_shows_an_event_stored_after_it_started_and_stops_on_ctrl_c_on_postgres() {
    let schema = Schema::new("cli_tail");
    follow(&schema.url());
}
