//! The one severity scale used everywhere: events, rules and alerts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad an event is, from `Debug` (least) to `Fatal` (worst).
///
/// Severities are ordered, so rules can say "error or above":
///
/// ```
/// use monitor_rules::Severity;
///
/// assert!(Severity::Critical > Severity::Error);
/// assert_eq!("warning".parse::<Severity>().unwrap(), Severity::Warning);
/// assert_eq!(Severity::Fatal.as_str(), "fatal");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Diagnostic detail, normally not alerted on.
    Debug,
    /// Something worth knowing that is not a problem.
    Info,
    /// Something unusual that may need attention.
    Warning,
    /// An operation failed. The default for `#[monitor]`.
    Error,
    /// A failure that needs attention now.
    Critical,
    /// The process cannot go on (panics are recorded at this level).
    Fatal,
}

impl Severity {
    /// Every severity, from least to worst.
    pub const ALL: [Severity; 6] =
        [Severity::Debug, Severity::Info, Severity::Warning, Severity::Error, Severity::Critical, Severity::Fatal];

    /// The lowercase name used in attributes, rule files and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Debug => "debug",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
            Severity::Fatal => "fatal",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error returned when a severity name is not one of the six.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSeverity(pub String);

impl fmt::Display for UnknownSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown severity `{}`: expected one of debug, info, warning, error, critical, fatal", self.0)
    }
}

impl std::error::Error for UnknownSeverity {}

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSeverity(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for severity in Severity::ALL {
            assert_eq!(severity.as_str().parse::<Severity>(), Ok(severity));
        }
    }

    #[test]
    fn unknown_name_says_what_is_allowed() {
        let err = "severe".parse::<Severity>().unwrap_err();
        assert!(err.to_string().contains("expected one of debug"));
    }
}
