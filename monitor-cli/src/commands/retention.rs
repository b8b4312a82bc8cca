//! `monitor retention plan|apply`: the policy from a file and options,
//! checked by the library's validator, then planned or applied.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use monitor_sinks::store::{CountRows, EventCounts, RetentionPolicy, Store};
use toml::{Table, Value};

use crate::cli::PolicyArgs;
use crate::failure::{Failure, Result};

/// The policy: the file's (or the default), with the options on top. It is
/// read as one TOML table so that the options and the file are checked by
/// the same parser and validator.
fn policy(args: &PolicyArgs) -> Result<RetentionPolicy> {
    let mut table = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| Failure(format!("reading the policy file `{}` failed: {error}", path.display())))?;
            text.parse::<Table>().map_err(|error| Failure(format!("policy file `{}`: {error}", path.display())))?
        }
        None => Table::new(),
    };
    if let Some(age) = &args.max_age {
        table.insert("max_age".into(), Value::String(age.clone()));
    }
    if let Some(size) = &args.max_size {
        table.insert("max_size".into(), Value::String(size.clone()));
    }
    if let Some(age) = &args.counts_max_age {
        table.insert("counts_max_age".into(), Value::String(age.clone()));
    }
    for (option, key, given) in [("--keep", "severity", &args.keep), ("--keep-kind", "kind", &args.keep_kind)] {
        for pair in given {
            let Some((name, age)) = pair.split_once('=') else {
                return Err(Failure(format!("{option} `{pair}` is not NAME=AGE: write it as {option} critical=1y")));
            };
            let entry = table.entry(key).or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(ages) = entry {
                ages.insert(name.trim().to_owned(), Value::String(age.trim().to_owned()));
            }
        }
    }
    if let (Some(age), Some(dir)) = (&args.audit_older_than, &args.archive_dir) {
        let mut audit = Table::new();
        audit.insert("older_than".into(), Value::String(age.clone()));
        audit.insert("archive_dir".into(), Value::String(dir.display().to_string()));
        table.insert("audit".into(), Value::Table(audit));
    }
    let policy: RetentionPolicy = table
        .try_into()
        .map_err(|error: toml::de::Error| Failure(format!("the retention policy is not valid: {}", error.message())))?;
    policy.validate().map_err(|error| Failure(format!("the retention policy is not valid: {error}")))?;
    Ok(policy)
}

fn counts(events: &EventCounts) -> String {
    format!(
        "{} events (age {}, severity {}, kind {}, pattern {}, size {})",
        events.total(),
        events.age,
        events.severity,
        events.kind,
        events.pattern,
        events.size
    )
}

/// The count rows of a plan or a run, per table, for people.
fn count_rows(rows: &CountRows) -> String {
    format!(
        "{} count rows (per group and minute {}, per function and minute {}, hourly occurrences {}, hourly audit {})",
        rows.total(),
        rows.group_counts,
        rows.call_counts,
        rows.hourly_occurrences,
        rows.hourly_audit
    )
}

/// How long the policy keeps the counts charts read, for people: in days
/// when whole days (a year would read as years, months and hours).
fn counts_kept(policy: &RetentionPolicy) -> String {
    const DAY: u64 = 86_400;
    match policy.counts_age() {
        Some(age) if age.as_secs() % DAY == 0 && age.subsec_nanos() == 0 => {
            format!("counts are kept {} days", age.as_secs() / DAY)
        }
        Some(age) => format!("counts are kept {}", humantime::format_duration(age)),
        None => "counts are kept forever".to_owned(),
    }
}

pub(crate) async fn plan(store: Arc<dyn Store>, args: PolicyArgs) -> Result<ExitCode> {
    let policy = policy(&args)?;
    let plan = store.retention_plan(&policy, SystemTime::now()).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&plan).map_err(|error| Failure(error.to_string()))?);
    } else {
        println!("{}: would remove {}", store.describe(), counts(&plan.events));
        println!("would remove {} ({})", count_rows(&plan.counts), counts_kept(&policy));
        if let Some(bytes) = plan.size_bytes {
            println!("events take {bytes} bytes now");
        }
        match plan.audit_up_to {
            Some(up_to) => println!("would archive {} audit rows (up to row {up_to})", plan.audit_rows),
            None => println!("would archive no audit rows"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn apply(store: Arc<dyn Store>, args: PolicyArgs) -> Result<ExitCode> {
    let policy = policy(&args)?;
    let report = store.apply_retention(&policy, SystemTime::now()).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|error| Failure(error.to_string()))?);
    } else {
        println!("{}: removed {}", store.describe(), counts(&report.events));
        println!("removed {} ({})", count_rows(&report.counts), counts_kept(&policy));
        for archive in &report.archives {
            println!(
                "archived audit rows {} to {} ({} rows) to {} (sha256 {})",
                archive.first_seq, archive.up_to_seq, archive.rows, archive.file_name, archive.sha256
            );
        }
        if report.archives.is_empty() {
            println!("archived no audit rows");
        }
    }
    Ok(ExitCode::SUCCESS)
}
