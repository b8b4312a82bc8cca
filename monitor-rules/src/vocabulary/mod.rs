//! The words every crate of monitor shares, each defined once: the
//! compliance statuses, the truncation marker, the masks of IBANs, cards
//! and e-mail addresses, and what a URL may be to receive alerts.
//! (Severities are in [`Severity`](crate::Severity), durations in
//! [`parse_duration`](crate::parse_duration).)

mod compliance;
mod mask;
mod truncate;
mod url_check;

pub use compliance::ComplianceStatus;
pub use mask::{REDACTED, mask_card, mask_email, mask_iban};
pub use truncate::{TRUNCATION_MARKER, truncate_bytes, truncate_chars};
pub use url_check::{is_https_or_loopback, is_loopback_host};
