//! `monitor rules check FILE…`: rule files checked by the same validator as
//! the `alerts!` macro and the running monitor, before they are deployed.
//! Each mistake is one `file:line:column: message` line on standard error,
//! the form editors and CI annotations read.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use monitor_rules::AlertConfig;
use serde_json::{Value, json};

use crate::failure::Result;
use crate::json;

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The rule files (TOML).
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Print one JSON document (every file, its counts and its mistakes)
    /// instead of lines.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What checking one file found.
struct Checked {
    file: PathBuf,
    outcome: std::result::Result<AlertConfig, monitor_rules::ConfigErrors>,
}

pub(crate) fn check(args: CheckArgs) -> Result<ExitCode> {
    let checked: Vec<Checked> =
        args.files.into_iter().map(|file| Checked { outcome: AlertConfig::from_path(&file), file }).collect();
    let failed = checked.iter().any(|checked| checked.outcome.is_err());
    if args.json {
        json::print(&json!({ "ok": !failed, "files": checked.iter().map(as_json).collect::<Vec<_>>() }))?;
    } else {
        for checked in &checked {
            match &checked.outcome {
                Ok(config) => println!("{}: {}", checked.file.display(), counted(config)),
                // `ConfigError` shows itself as `file:line:column: message`.
                Err(errors) => errors.0.iter().for_each(|error| eprintln!("{error}")),
            }
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `3 rules, 2 destinations: OK`.
fn counted(config: &AlertConfig) -> String {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut parts = vec![plural(config.rules.len(), "rule"), plural(config.destinations.len(), "destination")];
    if !config.schedules.is_empty() {
        parts.push(plural(config.schedules.len(), "schedule"));
    }
    format!("{}: OK", parts.join(", "))
}

fn as_json(checked: &Checked) -> Value {
    let file = checked.file.display().to_string();
    match &checked.outcome {
        Ok(config) => json!({
            "file": file,
            "ok": true,
            "rules": config.rules.iter().map(|rule| rule.name.clone()).collect::<Vec<_>>(),
            "destinations": config.destinations.iter().map(|destination| destination.name.clone()).collect::<Vec<_>>(),
            "errors": [],
        }),
        Err(errors) => json!({
            "file": file,
            "ok": false,
            "errors": errors.0.iter().map(|error| json!({
                "line": error.line,
                "column": error.column,
                "message": error.message,
            })).collect::<Vec<_>>(),
        }),
    }
}
