//! The W3C Trace Context `traceparent` header:
//! `<version>-<trace-id>-<parent-id>-<trace-flags>`, each part lowercase hex.

use std::fmt;
use std::str::FromStr;

/// The header's name.
pub const TRACEPARENT: &str = "traceparent";

/// Length of a version `00` header, and the least any version may have.
const LEN: usize = 55;

/// A valid `traceparent` header, as the W3C Trace Context specification
/// defines it.
///
/// ```
/// use monitor_http::TraceParent;
///
/// let parent: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap();
/// assert_eq!(parent.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(parent.parent_id, 0x00f0_67aa_0ba9_02b7);
/// assert!(parent.sampled());
/// assert_eq!(parent.to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceParent {
    /// The format's version (`0` today; never `0xff`).
    pub version: u8,
    /// The trace's id (never zero).
    pub trace_id: u128,
    /// The id of the caller's span (never zero).
    pub parent_id: u64,
    /// Trace flags; bit 0 says the caller sampled the trace.
    pub flags: u8,
}

/// Why a `traceparent` header is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceParentError {
    /// Shorter than 55 characters, or longer for version `00`.
    Length,
    /// A part is not lowercase hex of its length, or a dash is missing.
    Format,
    /// Version `ff`, which the specification forbids.
    Version,
    /// A trace id of all zeros.
    ZeroTraceId,
    /// A parent id of all zeros.
    ZeroParentId,
}

impl fmt::Display for TraceParentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceParentError::Length => "traceparent has the wrong length",
            TraceParentError::Format => "traceparent is not four dash-separated parts of lowercase hex",
            TraceParentError::Version => "traceparent version ff is invalid",
            TraceParentError::ZeroTraceId => "traceparent trace id is all zeros",
            TraceParentError::ZeroParentId => "traceparent parent id is all zeros",
        })
    }
}

impl std::error::Error for TraceParentError {}

impl TraceParent {
    /// Parses a header value. Versions above `00` are accepted when their
    /// first 55 characters follow version `00`'s format and what follows
    /// starts with a dash, as the specification asks of later versions.
    ///
    /// ```
    /// use monitor_http::{TraceParent, TraceParentError};
    ///
    /// let zeros = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    /// assert_eq!(TraceParent::parse(zeros), Err(TraceParentError::ZeroTraceId));
    /// ```
    pub fn parse(value: &str) -> Result<Self, TraceParentError> {
        let bytes = value.as_bytes();
        if bytes.len() < LEN {
            return Err(TraceParentError::Length);
        }
        let version = hex(&bytes[0..2]).ok_or(TraceParentError::Format)? as u8;
        if version == 0xff {
            return Err(TraceParentError::Version);
        }
        if version == 0 && bytes.len() != LEN {
            return Err(TraceParentError::Length);
        }
        if bytes.len() > LEN && bytes[LEN] != b'-' {
            return Err(TraceParentError::Format);
        }
        if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return Err(TraceParentError::Format);
        }
        let trace_id = hex(&bytes[3..35]).ok_or(TraceParentError::Format)?;
        let parent_id = hex(&bytes[36..52]).ok_or(TraceParentError::Format)? as u64;
        let flags = hex(&bytes[53..55]).ok_or(TraceParentError::Format)? as u8;
        if trace_id == 0 {
            return Err(TraceParentError::ZeroTraceId);
        }
        if parent_id == 0 {
            return Err(TraceParentError::ZeroParentId);
        }
        Ok(TraceParent { version, trace_id, parent_id, flags })
    }

    /// The trace id as the header writes it: 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        format!("{:032x}", self.trace_id)
    }

    /// Whether the caller sampled the trace (flag bit 0).
    pub fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }
}

impl FromStr for TraceParent {
    type Err = TraceParentError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        TraceParent::parse(value)
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}-{:032x}-{:016x}-{:02x}", self.version, self.trace_id, self.parent_id, self.flags)
    }
}

/// Lowercase hex only (the specification's `HEXDIGLC`): `u128::from_str_radix`
/// would also take uppercase digits and a leading `+`.
fn hex(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |value, &digit| {
        let nibble = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        Some(value << 4 | u128::from(nibble))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_header_is_parsed_and_written_back_unchanged() {
        let parent = TraceParent::parse(VALID).unwrap();
        assert_eq!(
            parent,
            TraceParent {
                version: 0,
                trace_id: 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
                parent_id: 0x00f0_67aa_0ba9_02b7,
                flags: 1
            }
        );
        assert_eq!(parent.to_string(), VALID);
        assert!(parent.sampled());
        let unsampled = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap();
        assert!(!unsampled.sampled());
    }

    #[test]
    fn version_ff_is_rejected() {
        let header = "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(TraceParent::parse(header), Err(TraceParentError::Version));
    }

    #[test]
    fn all_zero_ids_are_rejected() {
        let zero_trace = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        assert_eq!(TraceParent::parse(zero_trace), Err(TraceParentError::ZeroTraceId));
        let zero_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01";
        assert_eq!(TraceParent::parse(zero_parent), Err(TraceParentError::ZeroParentId));
    }

    #[test]
    fn bad_lengths_are_rejected() {
        assert_eq!(TraceParent::parse(""), Err(TraceParentError::Length));
        assert_eq!(TraceParent::parse(&VALID[..54]), Err(TraceParentError::Length));
        assert_eq!(TraceParent::parse(&format!("{VALID}-")), Err(TraceParentError::Length), "version 00 is 55 long");
        // A trace id one digit short and a parent id one longer: the length is right, the dashes are not.
        let shifted = "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01";
        assert_eq!(TraceParent::parse(shifted), Err(TraceParentError::Format));
        let short_flags = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1";
        assert_eq!(TraceParent::parse(short_flags), Err(TraceParentError::Length));
    }

    #[test]
    fn uppercase_hex_is_rejected() {
        let upper_trace = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
        assert_eq!(TraceParent::parse(upper_trace), Err(TraceParentError::Format));
        let upper_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01";
        assert_eq!(TraceParent::parse(upper_parent), Err(TraceParentError::Format));
    }

    #[test]
    fn non_hex_and_signs_are_rejected() {
        let plus = "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(TraceParent::parse(plus), Err(TraceParentError::Format));
        let letter = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g";
        assert_eq!(TraceParent::parse(letter), Err(TraceParentError::Format));
        let underscores = "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01";
        assert_eq!(TraceParent::parse(underscores), Err(TraceParentError::Format));
    }

    #[test]
    fn a_later_version_may_carry_more_after_a_dash() {
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next";
        let parent = TraceParent::parse(later).unwrap();
        assert_eq!((parent.version, parent.trace_id_hex().as_str()), (1, "4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(TraceParent::parse(&later[..55]).is_ok(), "or nothing");
        let glued = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x";
        assert_eq!(TraceParent::parse(glued), Err(TraceParentError::Format));
    }
}
