//! Secrets recognised by their shape rather than by a key in front of them: JWTs, AWS access keys,
//! PEM private-key blocks, credentials in query parameters named too briefly to be keys anywhere
//! else (`key=`, `code=`), and e-mail addresses.

use std::ops::Range;

use monitor_rules::vocabulary::mask_email;
use regex::CaptureLocations;

use super::{group, redact};

/// JWTs (three base64url parts, the header a JSON object), AWS access key ids, and what may be an
/// AWS secret access key: 40 characters of base64 standing alone.
pub(super) const TOKEN: &str = concat!(
    r"(?P<jwt>(?-u:\b)eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*)",
    r"|(?P<akid>(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}(?-u:\b))",
    r"|(?:^|[^A-Za-z0-9/+=])(?P<aws>[A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])",
);

/// The body of a PEM private-key block, to its end line or, cut off, to the end of the text.
pub(super) const PEM: &str =
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?P<body>(?s:.*?))(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)";

/// Query parameters that carry a credential under a name too short to be a sensitive key in
/// prose (`cache key=users`): an API key, an OAuth authorization code.
pub(super) const QUERY: &str = r"(?i-u:[?&;](?:key|code)=)(?P<value>[^&#\s\x22'<>]*)";

/// An e-mail address: a local part, `@`, and a domain with a top-level part of letters.
pub(super) const EMAIL: &str = r"(?P<email>(?-u:\b)[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?-u:\b))";

/// What the scrubber does with e-mail addresses.
///
/// ```
/// use monitor_runtime::scrub::{EmailMask, Scrubber};
///
/// let text = "reset sent to jane.doe@example.org";
/// assert_eq!(Scrubber::new().scrub_text(text), "reset sent to j***@example.org");
/// let redacting = Scrubber::new().with_email_mask(EmailMask::Redact);
/// assert_eq!(redacting.scrub_text(text), "reset sent to [REDACTED]");
/// let keeping = Scrubber::new().with_email_mask(EmailMask::Keep);
/// assert_eq!(keeping.scrub_text(text), text);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmailMask {
    /// Addresses stay as written (a service whose users are its own staff, say).
    Keep,
    /// The first character of the local part and the domain stay: `j***@example.org` (the default).
    #[default]
    MaskLocalPart,
    /// The whole address becomes `[REDACTED]`.
    Redact,
}

impl EmailMask {
    pub(super) fn apply(self, text: &str, locs: &CaptureLocations) -> Option<(Range<usize>, String)> {
        let found = group(locs, 1);
        // The domain of an address masked before, read again as a local part
        // (`j***@db.in@db.il`): the address is masked already, and masking
        // it again would change what a second pass leaves.
        if text[..found.start].ends_with("***@") {
            return None;
        }
        match self {
            EmailMask::Keep => None,
            EmailMask::MaskLocalPart => Some((found.clone(), mask_email(&text[found]))),
            EmailMask::Redact => redact(found),
        }
    }
}

/// The span of a token match to redact, if it is one.
pub(super) fn token_span(text: &str, locs: &CaptureLocations) -> Option<(Range<usize>, String)> {
    if let Some(span) = [1, 2].into_iter().map(|index| group(locs, index)).find(|span| !span.is_empty()) {
        return redact(span);
    }
    let candidate = group(locs, 3);
    let bytes = text[candidate.clone()].as_bytes();
    // A git hash or a word run together is no key: a secret key mixes cases and digits.
    let mixed = bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
        && bytes.iter().any(|b| b.is_ascii_digit() || *b == b'/' || *b == b'+');
    if mixed { redact(candidate) } else { None }
}

/// The span of a captured value (PEM body, query value) to redact.
pub(super) fn value_of(_: &str, locs: &CaptureLocations) -> Option<(Range<usize>, String)> {
    // An already redacted value keeps its marker: `rewrite` sees no change and allocates nothing.
    redact(group(locs, 1))
}
