//! Why a command could not run: one line for the person who typed it.

use std::fmt;

/// A command that could not run (exit code 2).
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<monitor_sinks::store::StoreError> for Failure {
    fn from(error: monitor_sinks::store::StoreError) -> Self {
        Failure(error.message)
    }
}

impl From<monitor_export::ExportError> for Failure {
    fn from(error: monitor_export::ExportError) -> Self {
        Failure(error.to_string())
    }
}

impl From<monitor_server::query::FilterError> for Failure {
    fn from(error: monitor_server::query::FilterError) -> Self {
        Failure(error.0)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure(error.to_string())
    }
}

pub(crate) type Result<T> = std::result::Result<T, Failure>;
