//! Where a business operation stands with respect to the rules it must
//! follow: the one list of compliance statuses, for audit events, rule
//! filters and storage.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a business operation stands with respect to the rules it must follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    /// Done by the rules.
    Compliant,
    /// Done, but outside the normal rules (approved exception).
    Exception,
    /// Not done, or done against the rules.
    Failed,
    /// Waiting for a person to review.
    PendingReview,
}

impl ComplianceStatus {
    /// Every status.
    pub const ALL: [ComplianceStatus; 4] = [
        ComplianceStatus::Compliant,
        ComplianceStatus::Exception,
        ComplianceStatus::Failed,
        ComplianceStatus::PendingReview,
    ];

    /// The name used in attributes, rule files and storage (`pending_review`).
    ///
    /// ```
    /// use monitor_rules::vocabulary::ComplianceStatus;
    ///
    /// assert_eq!(ComplianceStatus::PendingReview.as_str(), "pending_review");
    /// assert_eq!(ComplianceStatus::parse("failed"), Some(ComplianceStatus::Failed));
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ComplianceStatus::Compliant => "compliant",
            ComplianceStatus::Exception => "exception",
            ComplianceStatus::Failed => "failed",
            ComplianceStatus::PendingReview => "pending_review",
        }
    }

    /// Parses the name written by [`ComplianceStatus::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

impl fmt::Display for ComplianceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
