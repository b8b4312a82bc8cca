//! Fills a SQLite file with the search benchmark's store (1,000,000
//! events, their groups' counters, 100,000 audit records: see
//! `search_data.rs`) and keeps it, for tools outside the benchmarks: the
//! HTTP API check (`benches/checks/api_groups.sh`) and `sqlite3`.
//!
//! `cargo bench -p monitor-benches --bench fill_search -- FILE [--ending-now]`
//!
//! FILE may be a `postgres://` URL: the schema `bench_fill` of that
//! database is filled instead (for `psql` and its query plans).
//!
//! With `--ending-now` the history ends at this minute instead of on
//! 2027-01-15: the dashboard's overview, which counts the last 24 hours
//! by the clock, then has a full day to count.
//!
//! Refuses a FILE that exists. The store is written beside it first
//! (`FILE.partial`) and renamed when complete, so an interrupted run
//! leaves no half-filled FILE behind. Takes a few minutes.

// The generator's items that only the search bench uses.
#[allow(dead_code)]
mod search_data;

use std::path::PathBuf;
use std::sync::Arc;

use monitor::store::Store;

fn main() {
    // `cargo bench` runs the target with `--bench`; the file is the first
    // argument that is not an option.
    let Some(path) = std::env::args().skip(1).find(|arg| !arg.starts_with("--")).map(PathBuf::from) else {
        eprintln!("usage: cargo bench -p monitor-benches --bench fill_search -- FILE [--ending-now]");
        std::process::exit(2);
    };
    if std::env::args().any(|arg| arg == "--ending-now") {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("a clock after 1970");
        search_data::end_at(now.as_millis() as u64);
    }
    if let Some(url) = path.to_str().filter(|text| text.starts_with("postgres://")) {
        fill_postgres(url);
        return;
    }
    if path.exists() {
        eprintln!("{} exists: give a new file (it would be filled twice)", path.display());
        std::process::exit(1);
    }
    let mut partial = path.clone().into_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    for stale in ["", "-wal", "-shm"] {
        let mut file = partial.clone().into_os_string();
        file.push(stale);
        let _ = std::fs::remove_file(file);
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let store: Arc<dyn Store> =
        Arc::new(monitor::sqlite::SqliteStore::open(partial.clone()).expect("a SQLite file").shared());
    search_data::fill(&runtime, &*store, None);
    // Closing the last connection checkpoints the write-ahead log into
    // the file and removes it: the file alone is then the whole store.
    drop(store);
    let mut wal = partial.clone().into_os_string();
    wal.push("-wal");
    assert!(!PathBuf::from(&wal).exists(), "the write-ahead log was not checkpointed into {}", partial.display());
    std::fs::rename(&partial, &path).expect("the filled store renamed");
    println!("kept {}", path.display());
}

/// Fills the schema `bench_fill` of the database at `url` (refused when it
/// exists), for looking at PostgreSQL's plans with `psql`.
fn fill_postgres(url: &str) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let options = monitor::postgres::PostgresOptions::new(url).schema("bench_fill");
    let store = runtime.block_on(monitor::postgres::PostgresStore::connect(&options)).expect("the PostgreSQL server");
    if runtime.block_on(store.event_count()).expect("counted") > 0 {
        eprintln!("schema bench_fill of {url} holds events: drop it first (DROP SCHEMA bench_fill CASCADE)");
        std::process::exit(1);
    }
    search_data::fill(&runtime, &store, None);
    println!("kept schema bench_fill of {url}");
}
