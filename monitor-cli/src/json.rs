//! What `--json` prints: the store's records as the HTTP API answers them.

pub(crate) use monitor_server::views::{alert, audit, event, group, history};
use serde_json::Value;

use crate::failure::{Failure, Result};

/// Prints one JSON document on standard output.
pub(crate) fn print(value: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|error| Failure(error.to_string()))?;
    println!("{text}");
    Ok(())
}
