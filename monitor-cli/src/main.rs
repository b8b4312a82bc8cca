//! The `monitor` command: what operators, support staff and auditors do
//! with a monitor store without writing Rust. It reads and changes the
//! store only through the library's `Store` trait, so a SQLite file and a
//! PostgreSQL database answer alike.
//!
//! Exit codes: 0 done; 1 a check found a problem (a broken audit chain, a
//! mistake in a rule file);
//! 2 the command could not run (bad arguments, a database that is missing,
//! not a monitor store, or newer than this binary).

mod cli;
mod commands;
mod failure;
mod filters;
mod json;
mod open;
mod progress;
mod table;

/// Times as operators write them, read and shown alike by the HTTP API.
mod when {
    pub(crate) use monitor_server::time::{parse_time, show};
}

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("monitor: {failure}");
            ExitCode::from(2)
        }
    }
}
