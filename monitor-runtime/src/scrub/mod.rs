//! Scrubbing secrets and personal data out of every text before any sink sees it: values under
//! sensitive keys, credentials of any `Authorization` scheme, URL passwords and sensitive query
//! parameters, JWTs, AWS access keys, PEM private keys, e-mail addresses, IBANs that pass mod-97
//! (in any case, spaced or not) and card numbers that pass Luhn (grouped by spaces, dashes or dots).
//! The scrubber runs on the worker thread, never on the caller's. Look-alikes that fail their
//! checksum are left alone, so ids stay readable.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use dashmap::DashMap;

use monitor_rules::vocabulary::{mask_card, mask_iban};
use regex::{CaptureLocations, Regex, RegexSet};

use crate::fingerprint::FastHash;

mod records;
mod tokens;

pub use tokens::EmailMask;

pub use monitor_rules::vocabulary::REDACTED;

/// `sessionid` and `sessid` also catch `JSESSIONID` and `PHPSESSID` (long names match glued to a
/// prefix); `sig` and `amz-signature` (`X-Amz-Signature`) are signed-URL signatures.
const DEFAULT_KEYS: &str = "password passwd pwd passphrase pin otp secret token api_key apikey access_key private_key \
                            authorization auth cookie set-cookie session sessionid sessid credential credentials \
                            client_secret sig amz-signature";

/// Keys in free text: `X-Api-Key`, `db.password`, `--token`.
const KEY_CHARS: &str = r"[A-Za-z0-9_.\-]";

/// `=`, `:`, `=>` or `:=` after an optional closing quote (escaped inside Debug-printed JSON), or `(`
/// opening a Debug-printed newtype such as `Password("…")`.
const SEPARATOR: &str = r#"(?P<sep>\\?["']?[ \t]*(?:=>|:=|:|=)\s*|\()"#;

/// How many names [`Scrubber::is_sensitive_key`] remembers its verdict on.
const MAX_REMEMBERED_NAMES: usize = 4096;

/// Authorization schemes whose next word is the credential itself.
const SCHEMES: &[&str] = &["bearer", "basic", "digest", "negotiate"];

/// Masks secrets and personal data in free text and in named values.
///
/// Cloning is cheap (the compiled patterns are shared), and it is `Send` and `Sync`, so one scrubber
/// can serve every thread behind an `Arc`.
///
/// ```
/// use monitor_runtime::scrub::Scrubber;
///
/// let scrubber = Scrubber::new();
/// let text = "login failed for password=hunter2 with Bearer eyJhbGciOi.abc";
/// assert_eq!(scrubber.scrub_text(text), "login failed for password=[REDACTED] with Bearer [REDACTED]");
/// assert_eq!(scrubber.scrub_field("db_password", "hunter2"), "[REDACTED]");
/// assert_eq!(scrubber.scrub_text("refund to NL91ABNA0417164300"), "refund to NL91****4300");
/// ```
#[derive(Clone, Debug)]
pub struct Scrubber {
    /// Each sensitive key as its lowercase words (`set-cookie` → `set`, `cookie`).
    keys: Vec<Vec<String>>,
    /// Names already judged: the same few detail and field names come with
    /// every record, and judging one walks every key at every word.
    verdicts: Arc<DashMap<Box<str>, bool, FastHash>>,
    email_mask: EmailMask,
    patterns: Patterns,
}

/// The compiled patterns, and one set of all of them that tells in a single pass over a text
/// which patterns can match at all: most texts hold no secret, and then no pattern runs.
#[derive(Clone, Debug)]
struct Patterns {
    pem: Regex,
    url_password: Regex,
    tokens: Regex,
    credentials: Regex,
    query: Regex,
    key_value: Regex,
    email: Regex,
    iban: Regex,
    card: Regex,
    /// In the order of the fields above; `None` if the set grew too large to compile.
    prefilter: Option<RegexSet>,
}

impl Patterns {
    fn new(keys: &[Vec<String>]) -> Self {
        let mut patterns = Patterns {
            pem: compile(tokens::PEM),
            // Up to the last `@` before the path, so an unencoded `@` in the password leaves no tail.
            url_password: compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:(?P<pw>[^\s/?#]*)@"),
            tokens: compile(tokens::TOKEN),
            credentials: compile(r"(?i-u:\b(?:bearer|basic))[ \t]+(?P<cred>[A-Za-z0-9\-._~+/]+=*)"),
            query: compile(tokens::QUERY),
            key_value: key_value_pattern(keys),
            email: compile(tokens::EMAIL),
            iban: compile(
                r"(?i-u:\b[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: {1,2}[A-Z0-9]{4}){2,7}(?: {1,2}[A-Z0-9]{1,4})?)\b)",
            ),
            // The whole run of digit groups, however long: cut at 19 digits, a card after other
            // digits would be split between two matches and found in neither.
            card: compile(r"(?-u:\b)[0-9](?:[ .\-]{0,2}[0-9]){12,}(?-u:\b)"),
            prefilter: None,
        };
        patterns.prefilter = RegexSet::new(patterns.all().map(Regex::as_str)).ok();
        patterns
    }

    fn all(&self) -> impl Iterator<Item = &Regex> {
        [
            &self.pem,
            &self.url_password,
            &self.tokens,
            &self.credentials,
            &self.query,
            &self.key_value,
            &self.email,
            &self.iban,
            &self.card,
        ]
        .into_iter()
    }
}

/// The scrubber with the default sensitive keys.
///
/// ```
/// use monitor_runtime::scrub::Scrubber;
///
/// assert!(Scrubber::default().is_sensitive_key("client_secret"));
/// ```
impl Default for Scrubber {
    fn default() -> Self {
        let keys = DEFAULT_KEYS.split_whitespace().map(key_words).collect::<Vec<_>>();
        Scrubber { patterns: Patterns::new(&keys), keys, verdicts: Arc::default(), email_mask: EmailMask::default() }
    }
}

impl Scrubber {
    /// A scrubber with the default sensitive keys (`password`, `token`, `api_key`, `cookie`, …).
    ///
    /// ```
    /// use monitor_runtime::scrub::Scrubber;
    ///
    /// assert_eq!(Scrubber::new().scrub_text("token: abc123"), "token: [REDACTED]");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds sensitive key names, matched like the default ones: case-insensitively and as words
    /// of a longer key (`x_member_pin`, `memberPin`). Blank names are ignored.
    ///
    /// ```
    /// use monitor_runtime::scrub::Scrubber;
    ///
    /// let scrubber = Scrubber::new().with_extra_keys(["pin"]);
    /// assert_eq!(scrubber.scrub_text("member_pin=4711 rejected"), "member_pin=[REDACTED] rejected");
    /// ```
    pub fn with_extra_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for words in keys.into_iter().map(|key| key_words(&key.into())) {
            // A blank key has no words, and no words would match every key.
            if !words.is_empty() && !self.keys.contains(&words) {
                self.keys.push(words);
            }
        }
        self.patterns = Patterns::new(&self.keys);
        self.verdicts = Arc::default();
        self
    }

    /// What to do with e-mail addresses (default [`EmailMask::MaskLocalPart`]: `j***@example.org`).
    /// Configure the monitor with the scrubber through
    /// [`MonitorBuilder::scrubber`](crate::MonitorBuilder::scrubber).
    ///
    /// ```
    /// use monitor_runtime::scrub::{EmailMask, Scrubber};
    ///
    /// let scrubber = Scrubber::new().with_email_mask(EmailMask::Redact);
    /// assert_eq!(scrubber.scrub_text("from ops@example.org"), "from [REDACTED]");
    /// ```
    pub fn with_email_mask(mut self, mask: EmailMask) -> Self {
        self.email_mask = mask;
        self
    }

    /// True when `key` names a secret: a sensitive key appears in it as whole words (`X-Api-Key`,
    /// `session_id`, `accessToken`), in the plural (`tokens`), or glued to a prefix when the name is
    /// too long to be part of an ordinary word (`dbpassword`, but not `author`).
    ///
    /// ```
    /// use monitor_runtime::scrub::Scrubber;
    ///
    /// assert!(Scrubber::new().is_sensitive_key("X-Api-Key"));
    /// assert!(!Scrubber::new().is_sensitive_key("member_id"));
    /// ```
    pub fn is_sensitive_key(&self, key: &str) -> bool {
        if let Some(verdict) = self.verdicts.get(key) {
            return *verdict;
        }
        let verdict = self.judge_key(key);
        // Bounded: names taken from free text could otherwise grow it without end.
        if self.verdicts.len() < MAX_REMEMBERED_NAMES {
            self.verdicts.insert(key.into(), verdict);
        }
        verdict
    }

    fn judge_key(&self, key: &str) -> bool {
        // Split once: every position is then compared with every key as slices.
        let words: smallvec::SmallVec<[&str; 8]> = Words(key).collect();
        (0..words.len()).any(|from| self.keys.iter().any(|sensitive| words_match(&words[from..], sensitive)))
    }

    /// A named value: redacted whole if the name is sensitive, otherwise scrubbed like free text.
    ///
    /// ```
    /// use monitor_runtime::scrub::Scrubber;
    ///
    /// let scrubber = Scrubber::new();
    /// assert_eq!(scrubber.scrub_field("session_id", "a1b2c3"), "[REDACTED]");
    /// assert_eq!(scrubber.scrub_field("member_id", "17"), "17");
    /// ```
    pub fn scrub_field<'a>(&self, key: &str, value: &'a str) -> Cow<'a, str> {
        if self.is_sensitive_key(key) { Cow::Borrowed(REDACTED) } else { self.scrub_text(value) }
    }

    /// Free text with every secret masked. Text without secrets comes back borrowed, without
    /// allocating, and so does text already scrubbed.
    ///
    /// ```
    /// use monitor_runtime::scrub::Scrubber;
    ///
    /// let scrubber = Scrubber::new();
    /// assert_eq!(scrubber.scrub_text("card 4111 1111 1111 1111 declined"), "card ****1111 declined");
    /// assert_eq!(scrubber.scrub_text("order 4111111111111112 shipped"), "order 4111111111111112 shipped");
    /// let url = "GET https://svc:pw@db/x?token=t1&id=3";
    /// assert_eq!(scrubber.scrub_text(url), "GET https://svc:[REDACTED]@db/x?token=[REDACTED]&id=3");
    /// assert!(matches!(scrubber.scrub_text("nothing to hide"), std::borrow::Cow::Borrowed(_)));
    /// ```
    pub fn scrub_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let patterns = &self.patterns;
        // One pass over the text finds which patterns can match; the others never run.
        let hits: u32 = match &patterns.prefilter {
            Some(set) => set.matches(text).iter().fold(0, |hits, index| hits | 1 << index),
            None => u32::MAX,
        };
        if hits == 0 {
            return Cow::Borrowed(text);
        }
        // The order matters: a PEM body or a URL password is gone before anything looks inside it.
        let mut text = Cow::Borrowed(text);
        for (index, pattern) in patterns.all().enumerate().filter(|(index, _)| hits & 1 << index != 0) {
            text = match index {
                0 => rewrite(text, pattern, tokens::value_of),
                1 => rewrite(text, pattern, |_, locs| redact(group(locs, 1))),
                2 => rewrite(text, pattern, tokens::token_span),
                3 => rewrite(text, pattern, |text, locs| {
                    let cred = group(locs, 1);
                    // `missing bearer token`, `basic auth failed`: prose, not a credential.
                    let prose = cred.len() < 16 && text[cred.clone()].bytes().all(|b| b.is_ascii_lowercase());
                    // The credential runs to the end of its word: in `Bearer password=s3cret` the
                    // pattern stops after `password=` (padding), and the secret after it would survive.
                    if prose { None } else { redact(cred.start..bare_end(text, cred.start).max(cred.end)) }
                }),
                4 => rewrite(text, pattern, tokens::value_of),
                5 => rewrite(text, pattern, |text, locs| self.key_value_span(text, locs)),
                6 => rewrite(text, pattern, |text, locs| self.email_mask.apply(text, locs)),
                7 => rewrite(text, pattern, |text, locs| {
                    let found = group(locs, 0);
                    // A trailing word such as ` EUR` can pass for the last group of a spaced IBAN.
                    let shorter = text[found.clone()].match_indices(' ').rev().map(|(at, _)| found.start + at);
                    let mut candidates =
                        std::iter::once(found.end).chain(shorter).map(|end| text[found.start..end].trim_end());
                    // A word of the other case after it (`… R8R1 d`) is prose, even when it happens
                    // to pass the checksum too (one time in 97).
                    candidates
                        .find(|c| last_group_agrees(c) && iban_valid(c))
                        .map(|c| (found.start..found.start + c.len(), mask_iban(c)))
                }),
                _ => rewrite(text, pattern, |text, locs| find_card(text, group(locs, 0))),
            };
        }
        text
    }

    /// The value to redact after a key that matched the key pattern, if the key is sensitive and
    /// a value follows.
    fn key_value_span(&self, text: &str, locs: &CaptureLocations) -> Option<(Range<usize>, String)> {
        let (key, sep) = (&text[group(locs, 1)], group(locs, 2));
        let separator = &text[sep.clone()];
        let newtype = separator == "(";
        // Rust paths (`auth::Error`), comparisons (`token == x`) and URL schemes carry no value,
        // and a snake_case name before `(` is a call (`refresh_token(…)`), not a newtype.
        let tail = text[sep.start..].trim_start_matches(['\\', '"', '\'', ' ', '\t']);
        let no_value = ["::", "==", "://"].iter().any(|p| tail.starts_with(p));
        if no_value || (newtype && !key.starts_with(|c: char| c.is_ascii_uppercase())) || !self.is_sensitive_key(key) {
            return None;
        }
        let extent = if Words(key).last().is_some_and(|word| word.eq_ignore_ascii_case("authorization")) {
            Extent::Header
        } else if separator.contains(':') && !separator.contains('=') {
            Extent::Phrase
        } else {
            Extent::Word
        };
        redact(value_span(text, sep.end, newtype, extent))
    }
}

/// How far an unquoted value after a sensitive key runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extent {
    /// `password=hunter2 user=bob`: to the next space, as in logfmt and query strings.
    Word,
    /// `password: correct horse battery staple`: written like prose, to the end of the clause.
    Phrase,
    /// `Authorization: <scheme> <credentials>`: everything after the scheme word, to the end of the
    /// line, since some schemes list several parts separated by commas (AWS4, Digest).
    Header,
}

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this file: a failure is a bug the tests catch.
    Regex::new(pattern).unwrap_or_else(|error| panic!("scrubber pattern does not compile: {error}"))
}

/// The key names only pre-filter `key = value` candidates, so that ordinary `word: text` costs no
/// capture; [`Scrubber::is_sensitive_key`] has the last word.
fn key_value_pattern(keys: &[Vec<String>]) -> Regex {
    let names: Vec<String> =
        keys.iter().map(|words| words.iter().map(|w| regex::escape(w)).collect::<Vec<_>>().join(r"[_.\-]?")).collect();
    let narrow = format!("(?P<key>{KEY_CHARS}*(?i-u:{}){KEY_CHARS}*){SEPARATOR}", names.join("|"));
    // Non-ASCII names cannot be case-folded without Unicode case tables, and a huge list may exceed
    // the size limit: then every key is a candidate.
    Regex::new(&narrow).unwrap_or_else(|_| compile(&format!("(?P<key>{KEY_CHARS}+){SEPARATOR}")))
}

fn group(locs: &CaptureLocations, index: usize) -> Range<usize> {
    locs.get(index).map_or(0..0, |(start, end)| start..end)
}

fn redact(span: Range<usize>) -> Option<(Range<usize>, String)> {
    (!span.is_empty()).then(|| (span, REDACTED.to_owned()))
}

/// Applies `decide` to every match of `pattern`; it may name a span (from the match on) to replace.
/// A new string is built only once a replacement actually changes something.
fn rewrite<'a>(
    text: Cow<'a, str>,
    pattern: &Regex,
    mut decide: impl FnMut(&str, &CaptureLocations) -> Option<(Range<usize>, String)>,
) -> Cow<'a, str> {
    if !pattern.is_match(&text) {
        return text;
    }
    let mut locs = pattern.capture_locations();
    let (mut out, mut copied, mut at) = (String::new(), 0, 0);
    while let Some(found) = pattern.captures_read_at(&mut locs, &text, at) {
        at = found.end();
        if let Some((span, with)) = decide(&text, &locs) {
            at = span.end.max(found.start() + 1);
            if text[span.clone()] != with {
                out.push_str(&text[copied..span.start]);
                out.push_str(&with);
                copied = span.end;
            }
        }
    }
    if out.is_empty() {
        return text;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The span of the value starting at `start`, read the way values are written in messages, JSON,
/// Debug output and query strings. A value cut off by the end of a truncated message runs to its end.
fn value_span(text: &str, start: usize, newtype: bool, extent: Extent) -> Range<usize> {
    let (rest, end) = (&text[start..], text.len());
    if newtype {
        return start..closing(text, start, b'(').unwrap_or(end);
    }
    if let Some(inner) = rest.strip_prefix("\\\"") {
        return start + 2..inner.find("\\\"").map_or(end, |at| start + 2 + at);
    }
    if let Some(quote @ (b'"' | b'\'')) = rest.bytes().next() {
        return start + 1..closing(text, start + 1, quote).unwrap_or(end);
    }
    if rest.starts_with(['{', '[']) && !rest.starts_with(REDACTED) {
        return start..closing(text, start + 1, b'{').map_or(end, |at| at + 1);
    }
    let word_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
    let (word, after) = rest.split_at(word_end);
    // `Some("…")`, `Secret(…)`: keep the wrapper's name, drop its contents.
    if word.starts_with(|c: char| c.is_ascii_uppercase()) && after.starts_with('(') {
        return start + word_end + 1..closing(text, start + word_end + 1, b'(').unwrap_or(end);
    }
    if extent == Extent::Header {
        return header_credentials(text, start);
    }
    if SCHEMES.iter().any(|scheme| word.eq_ignore_ascii_case(scheme)) && after.starts_with([' ', '\t']) {
        let credential = end - after.trim_start_matches([' ', '\t']).len();
        return credential..bare_end(text, credential);
    }
    match extent {
        Extent::Phrase => start..phrase_end(text, start, b",;&\"')]}"),
        _ => start..bare_end(text, start),
    }
}

/// The credentials of an `Authorization` value starting at `start`: after a scheme word (`Bearer`,
/// `Token`, `Bot`, `AWS4-HMAC-SHA256`) if there is one, else all of it.
fn header_credentials(text: &str, start: usize) -> Range<usize> {
    let rest = &text[start..];
    let scheme_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(rest.len());
    let (scheme, after) = rest.split_at(scheme_end);
    // A credential alone (`Authorization: 3f9aK…`) mixes in digits; a scheme word does not.
    let is_scheme = (scheme.bytes().all(|b| b.is_ascii_alphabetic())
        || scheme.eq_ignore_ascii_case("aws4-hmac-sha256"))
        && !scheme.is_empty()
        && after.starts_with([' ', '\t']);
    let from = if is_scheme { text.len() - after.trim_start_matches([' ', '\t']).len() } else { start };
    from..phrase_end(text, from, b"\"')]}")
}

/// A value written as prose ends at the end of its line or at one of `stops`, without the
/// whitespace before it.
fn phrase_end(text: &str, from: usize, stops: &[u8]) -> usize {
    if text[from..].starts_with(REDACTED) {
        return from + REDACTED.len();
    }
    let bytes = text.as_bytes();
    let stop = |at: &usize| {
        let byte = bytes[*at];
        matches!(byte, b'\n' | b'\r') || stops.contains(&byte) || (byte == b'\\' && bytes.get(at + 1) == Some(&b'"'))
    };
    let end = (from..bytes.len()).find(stop).unwrap_or(bytes.len());
    from + text[from..end].trim_end().len()
}

/// An unquoted value ends at whitespace, a list or query separator, or a quote or closing bracket
/// that belongs to the surrounding text.
fn bare_end(text: &str, from: usize) -> usize {
    if text[from..].starts_with(REDACTED) {
        return from + REDACTED.len();
    }
    let bytes = text.as_bytes();
    let stops = |at: &usize| {
        let byte = bytes[*at];
        byte.is_ascii_whitespace()
            || b",;&\"')}".contains(&byte)
            // Not the `]` of a mask inside the value (a URL whose password was masked): cut there,
            // the value would leave a stray `]@host` that reads as a URL password on a second pass.
            || (byte == b']' && !bytes[..=*at].ends_with(REDACTED.as_bytes()))
            || (byte == b'\\' && bytes.get(at + 1) == Some(&b'"'))
    };
    (from..bytes.len()).find(stops).unwrap_or(bytes.len())
}

/// Where the quote or bracket `opener` just before `from` is closed, skipping escapes and (inside
/// brackets) quoted strings.
fn closing(text: &str, from: usize, opener: u8) -> Option<usize> {
    let mut quote = matches!(opener, b'"' | b'\'').then_some(opener);
    let (mut depth, mut escaped) = (0usize, false);
    for (at, &byte) in text.as_bytes().iter().enumerate().skip(from) {
        let skip = escaped;
        escaped = byte == b'\\' && !escaped;
        if skip {
            continue;
        }
        match (quote, byte) {
            (Some(q), _) if q == byte && q == opener => return Some(at),
            (Some(q), _) if q == byte => quote = None,
            (Some(_), _) => {}
            (None, b'"') => quote = Some(b'"'),
            (None, b'(' | b'[' | b'{') => depth += 1,
            (None, b')' | b']' | b'}') if depth == 0 => return Some(at),
            (None, b')' | b']' | b'}') => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The words of a key: split at anything but letters and digits and at
/// camelCase humps, so `X-Api-Key`, `x_api_key` and `xApiKey` read alike.
#[derive(Clone)]
struct Words<'a>(&'a str);

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let text = self.0.trim_start_matches(|c: char| !c.is_alphanumeric());
        let mut after_lower = false;
        let end = text
            .find(|c: char| {
                let hump = c.is_uppercase() && after_lower;
                after_lower = c.is_lowercase() || c.is_numeric();
                hump || !c.is_alphanumeric()
            })
            .unwrap_or(text.len());
        self.0 = &text[end..];
        (end > 0).then(|| &text[..end])
    }
}

fn key_words(key: &str) -> Vec<String> {
    Words(key).map(str::to_lowercase).collect()
}

/// Whether the words of a key, from where `words` starts, begin with `sensitive`.
fn words_match(words: &[&str], sensitive: &[String]) -> bool {
    if words.len() < sensitive.len() {
        return false;
    }
    let last = sensitive.len().saturating_sub(1);
    sensitive.iter().zip(words).enumerate().all(|(index, (expected, &word))| {
        let singular = if index == last { word.strip_suffix(['s', 'S']).unwrap_or(word) } else { word };
        let glued = sensitive.len() == 1 && expected.len() >= 5;
        [word, singular].into_iter().any(|form| word_is(form, expected, glued))
    })
}

/// `expected` is lowercase; `glued` also accepts it at the end of a longer word.
fn word_is(word: &str, expected: &str, glued: bool) -> bool {
    let lower = if word.is_ascii() { Cow::Borrowed(word) } else { Cow::Owned(word.to_lowercase()) };
    let (word, n) = (lower.as_bytes(), expected.len());
    word.eq_ignore_ascii_case(expected.as_bytes())
        || (glued && word.len() > n && word[word.len() - n..].eq_ignore_ascii_case(expected.as_bytes()))
}

/// Whether the letters of a spaced IBAN's last group are in the case of its country code (a
/// candidate without spaces has no such group to doubt).
fn last_group_agrees(candidate: &str) -> bool {
    let Some((_, last)) = candidate.rsplit_once(' ') else { return true };
    let upper = candidate.as_bytes()[0].is_ascii_uppercase();
    last.bytes().filter(u8::is_ascii_alphabetic).all(|b| b.is_ascii_uppercase() == upper)
}

/// The first card number (most digits first) among the digit groups of `found`, masked. Cards start
/// with 2–6 (every major network), which keeps millisecond timestamps and other ids readable.
fn find_card(text: &str, found: Range<usize>) -> Option<(Range<usize>, String)> {
    let mut groups = Vec::new();
    for (at, part) in text[found.clone()]
        .split([' ', '-', '.'])
        .scan(found.start, |at, p| Some((std::mem::replace(at, *at + p.len() + 1), p)))
    {
        // Two separators in a row leave an empty part between them.
        if !part.is_empty() {
            groups.push(at..at + part.len());
        }
    }
    for first in 0..groups.len() {
        // A card has at most 19 digits, so it spans at most 19 groups: the work stays linear in a long run.
        for last in (first..groups.len().min(first + 19)).rev() {
            let span = groups[first].start..groups[last].end;
            let digits: String = text[span.clone()].chars().filter(char::is_ascii_digit).collect();
            if (13..=19).contains(&digits.len()) && matches!(digits.as_bytes()[0], b'2'..=b'6') && luhn_valid(&digits) {
                return Some((span, mask_card(&digits)));
            }
        }
    }
    None
}

/// Whether a string of ASCII digits passes the Luhn check used by card
/// numbers. Anything else, including an empty string, is not valid.
///
/// ```
/// use monitor_runtime::scrub::luhn_valid;
///
/// assert!(luhn_valid("4111111111111111"));
/// assert!(!luhn_valid("4111111111111112"));
/// assert!(!luhn_valid("4111 1111 1111 1111"));
/// ```
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // Every second digit from the right counts doubled, with its digits summed.
    const WEIGHTED: [[u32; 10]; 2] = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]];
    let sum: u32 = digits.bytes().rev().enumerate().map(|(i, b)| WEIGHTED[i % 2][usize::from(b - b'0')]).sum();
    sum.is_multiple_of(10)
}

/// ISO 13616 mod-97 check of an IBAN (spaces and lowercase allowed, as people type them).
fn iban_valid(candidate: &str) -> bool {
    let compact: Vec<u8> = candidate.bytes().filter(|b| *b != b' ').map(|b| b.to_ascii_uppercase()).collect();
    let (head, tail) = compact.split_at(compact.len().min(4));
    let mut digits = tail.iter().chain(head).map(|&b| char::from(b).to_digit(36));
    let remainder = digits.try_fold(0, |acc, value| Some((acc * if value? >= 10 { 100 } else { 10 } + value?) % 97));
    (15..=34).contains(&compact.len()) && remainder == Some(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static SCRUBBER: LazyLock<Scrubber> = LazyLock::new(Scrubber::new);

    /// Appends `98 - (bban + country + "00") mod 97` as check digits, which makes any IBAN valid.
    fn valid_iban(country: &str, bban: &str) -> String {
        let digits = format!("{bban}{country}00").chars().filter_map(|c| c.to_digit(36)).collect::<Vec<_>>();
        let remainder = digits.iter().fold(0, |acc, &d| (acc * if d >= 10 { 100 } else { 10 } + d) % 97);
        format!("{country}{:02}{bban}", 98 - remainder)
    }

    fn valid_card(body: &str) -> String {
        (0..10).map(|d| format!("{body}{d}")).find(|candidate| luhn_valid(candidate)).unwrap_or_default()
    }

    fn grouped(text: &str, separator: &str) -> String {
        text.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(separator)
    }

    #[test]
    fn secrets_in_every_syntax_are_masked_and_keys_stay() {
        for (input, expected) in [
            ("password=hunter2, user=bob", "password=[REDACTED], user=bob"),
            (r#"{"api_key": "k-1", "id": 7}"#, r#"{"api_key": "[REDACTED]", "id": 7}"#),
            (r#"{\"apiKey\":\"k 1\"}"#, r#"{\"apiKey\":\"[REDACTED]\"}"#),
            (r#"token='a b' secret="a \"q\" c" ok"#, r#"token='[REDACTED]' secret="[REDACTED]" ok"#),
            ("X-Api-Key: k1, accessToken => k2", "X-Api-Key: [REDACTED], accessToken => [REDACTED]"),
            ("--dbpassword=abc Cookie: sid=1; a=b", "--dbpassword=[REDACTED] Cookie: [REDACTED]; a=b"),
            ("Authorization: Bearer ab.c, auth: basic abc", "Authorization: Bearer [REDACTED], auth: basic [REDACTED]"),
            (r#"A { password: Some("x"), pwd: ["a"] }"#, r#"A { password: Some([REDACTED]), pwd: [REDACTED] }"#),
            (r#"ApiKey("k-1") rejected"#, r#"ApiKey([REDACTED]) rejected"#),
            (
                "https://svc:s3cret@db/x redis://:p@ss@cache:1/0",
                "https://svc:[REDACTED]@db/x redis://:[REDACTED]@cache:1/0",
            ),
            ("GET /a?token=abc&id=3&client_secret=x", "GET /a?token=[REDACTED]&id=3&client_secret=[REDACTED]"),
            ("password=\"truncated mess", "password=\"[REDACTED]"),
            ("to BE68 5390 0754 7034 EUR, DE89 3704 0044 0532 0130 00.", "to BE68****7034 EUR, DE89****3000."),
            ("amex 3782-822463-10005, qty 12 4111 1111 1111 1111 ok", "amex ****0005, qty 12 ****1111 ok"),
            ("4111111111111111,5500000000000004", "****1111,****0004"),
            (
                "x password=ü\u{301}, Secret(\u{0}) https://é:é@é",
                "x password=[REDACTED], Secret([REDACTED]) https://é:[REDACTED]@é",
            ),
        ] {
            assert_eq!(SCRUBBER.scrub_text(input), expected, "input: {input}");
        }
        assert_eq!((mask_iban("short"), mask_iban("ÄÖ12345678")), (REDACTED.to_owned(), REDACTED.to_owned()));
        assert!(!luhn_valid("") && !luhn_valid("41x1") && iban_valid(&valid_iban("NL", "ABNA0417164300")));
    }

    #[test]
    fn secrets_known_by_their_shape_are_masked() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----";
        for (input, expected) in [
            (format!("token was {jwt}."), "token was [REDACTED].".to_owned()),
            (
                "id AKIAIOSFODNN7EXAMPLE key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok".to_owned(),
                "id [REDACTED] key [REDACTED] ok".to_owned(),
            ),
            (
                "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bb".to_owned(),
                "Authorization: Token [REDACTED]".to_owned(),
            ),
            ("authorization=Bot MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ".to_owned(), "authorization=Bot [REDACTED]".to_owned()),
            (
                "Authorization: AWS4-HMAC-SHA256 Credential=x/1, SignedHeaders=host, Signature=fe5f80f7\nnext"
                    .to_owned(),
                "Authorization: AWS4-HMAC-SHA256 [REDACTED]\nnext".to_owned(),
            ),
            ("Authorization: 3f9aK2x".to_owned(), "Authorization: [REDACTED]".to_owned()),
            (
                r#"Args { authorization: Some("aA~Aa0a^") }"#.to_owned(),
                "Args { authorization: Some([REDACTED]) }".to_owned(),
            ),
            (
                "Cookie: lang=en; sessionid=abc; JSESSIONID=def; PHPSESSID=ghi".to_owned(),
                "Cookie: [REDACTED]; sessionid=[REDACTED]; JSESSIONID=[REDACTED]; PHPSESSID=[REDACTED]".to_owned(),
            ),
            (
                "GET /f?sig=s1&key=k1&code=c1&X-Amz-Signature=a1&page=2".to_owned(),
                "GET /f?sig=[REDACTED]&key=[REDACTED]&code=[REDACTED]&X-Amz-Signature=[REDACTED]&page=2".to_owned(),
            ),
            (
                format!("key:\n{pem}\nend"),
                "key:\n-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----\nend".to_owned(),
            ),
            (
                "cut -----BEGIN PRIVATE KEY-----\nMIIE".to_owned(),
                "cut -----BEGIN PRIVATE KEY-----[REDACTED]".to_owned(),
            ),
            ("to nl91 abna 0417 1643 00 now".to_owned(), "to nl91****4300 now".to_owned()),
            ("to NL91  ABNA  0417  1643  00 now".to_owned(), "to NL91****4300 now".to_owned()),
            ("card 4111.1111.1111.1111 or 4111  1111  1111  1111".to_owned(), "card ****1111 or ****1111".to_owned()),
            ("mail Jane.Doe+x@mail.example.org!".to_owned(), "mail J***@mail.example.org!".to_owned()),
            (
                "passphrase=abc pin=1234 otp: 987654".to_owned(),
                "passphrase=[REDACTED] pin=[REDACTED] otp: [REDACTED]".to_owned(),
            ),
            (
                "password: correct horse battery staple, user: bob".to_owned(),
                "password: [REDACTED], user: bob".to_owned(),
            ),
        ] {
            assert_eq!(SCRUBBER.scrub_text(&input), expected, "input: {input}");
            let again = SCRUBBER.scrub_text(&expected);
            assert!(matches!(again, Cow::Borrowed(_)), "scrubbing twice changed {expected} to {again}");
        }
        let redacting = Scrubber::new().with_email_mask(EmailMask::Redact);
        assert_eq!(redacting.scrub_text("by jane@example.org"), "by [REDACTED]");
        let keeping = Scrubber::new().with_email_mask(EmailMask::Keep).with_extra_keys(["ssn"]);
        assert_eq!(keeping.scrub_text("by jane@example.org ssn=1"), "by jane@example.org ssn=[REDACTED]");
    }

    #[test]
    fn look_alikes_ordinary_and_already_scrubbed_text_come_back_borrowed() {
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<Scrubber>();
        let once =
            SCRUBBER.scrub_text("password=a,b Bearer abcdefghijklmnopq https://u:p@h?token=t 4111 1111 1111 1111");
        for text in [
            "invoice 4711 of 2026-11-24 failed after 3 retries, batch 12345678901234 rejected",
            "order 4111111111111112 at 1700000000123 ms, DE12 and NL92ABNA0417164300 are no IBANs",
            "author=bob tokenizer: bert session(3) refresh_token(user) auth::Error token == x",
            "missing bearer token, basic auth failed, https://host:8080/path?id=3&page=2",
            "commit 3f9a1c0e5d7b2a4f6e8c0b1d3f5a7c9e1b3d5f7a, cache key=users:17, spin: 3, de12abcd0417164300",
            "AbstractSingletonProxyFactoryBeanXYZdefghijklmnop ok, 4111.1111.1111.1112, user @ host",
            "\u{0}\u{1b}[31m weird control \t characters",
            &once,
        ] {
            let out = SCRUBBER.scrub_text(text);
            assert!(matches!(out, Cow::Borrowed(_)), "{text:?} changed to {out}");
        }
        for odd in ["", "password=", "token:", "Password(", "secret=\\", "token: \"\\", "a:@", "é4111111111111111é"] {
            let _ = SCRUBBER.scrub_text(odd);
        }
        assert!(!SCRUBBER.scrub_text(&"grüße password=ünïcødé Bearer ☃ ".repeat(5_000)).contains("ünïcødé"));
    }

    #[test]
    fn sensitive_keys_are_whole_words_plurals_or_long_glued_names() {
        let scrubber = Scrubber::new().with_extra_keys(["memberPin", "", "  ", "pässwort", "(", "[x]", "\\"]);
        for key in ["X-Api-Key", "session_id", "DB_PASSWORD", "accessToken", "APIKEY", "tokens", "mysecret", "PÄSSWORT"]
        {
            assert!(scrubber.is_sensitive_key(key), "{key}");
        }
        for key in ["member_id", "author", "tokenizer", "oauth", "api", "key", "", "-_-", "ünïcødé"] {
            assert!(!scrubber.is_sensitive_key(key), "{key}");
        }
        // A value after `key:` runs to the end of its clause: here, the `;`.
        assert_eq!(
            scrubber.scrub_text("member-pin: 47; pässwort=geheim"),
            "member-pin: [REDACTED]; pässwort=[REDACTED]"
        );
        assert!(matches!(scrubber.scrub_text("member: 4711"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_glued_to_a_credential_scheme_or_a_card_after_other_digits_is_masked() {
        // The credential pattern alone stops after `password=`, which reads as base64 padding.
        assert_eq!(SCRUBBER.scrub_text("Bearer password=s3cretvalue ok"), "Bearer [REDACTED] ok");
        // More digits in the run than a card has: the card is found after them.
        assert_eq!(SCRUBBER.scrub_text("order 123456 4111 1111 1111 1111 shipped"), "order 123456 ****1111 shipped");
        assert_eq!(SCRUBBER.scrub_text("ref 987654321 5500-0000-0000-0004"), "ref 987654321 ****0004");
    }

    #[test]
    fn a_word_after_a_spaced_iban_is_not_taken_for_its_last_group() {
        // `AA08IRC370E2R8R1D` passes the checksum too, by chance.
        assert_eq!(SCRUBBER.scrub_text(" AA08 IRC3 70E2 R8R1 d."), " AA08****R8R1 d.");
        assert_eq!(SCRUBBER.scrub_text("to NL91 abna 0417 1643 00 now"), "to NL91****4300 now", "mixed case");
    }

    #[test]
    fn an_address_run_on_into_another_is_masked_once_and_stays_so() {
        let once = SCRUBBER.scrub_text("svc:pa55word@db.in@db.il/x").into_owned();
        assert_eq!(once, "svc:p***@db.in@db.il/x");
        assert_eq!(SCRUBBER.scrub_text(&once), once, "scrubbed again");
    }

    #[test]
    fn a_value_holding_a_masked_url_password_is_masked_whole_and_stays_so() {
        let once = SCRUBBER.scrub_text("client_secret=https://svc:pw@host/x [ok]");
        assert_eq!(once, "client_secret=[REDACTED] [ok]");
        let text = "fa7ps://svc:uJ1RL_secret=nE0a7ps://svc:uJ1RLGMAq0@000.in@://m";
        let once = SCRUBBER.scrub_text(text).into_owned();
        assert_eq!(once, "fa7ps://svc:uJ1RL_secret=[REDACTED]");
        assert_eq!(SCRUBBER.scrub_text(&once), once, "scrubbed again");
    }

    /// A sensitive key, maybe inside a longer key, as snake, SCREAMING-KEBAB, camel or dotted case.
    fn sensitive_key() -> impl Strategy<Value = String> {
        let base = prop::sample::select(DEFAULT_KEYS.split_whitespace().collect::<Vec<_>>());
        (base, "([a-z]{1,4}_)?", "(_id|_value)?", 0..4).prop_map(|(key, pre, post, style)| {
            let words = format!("{pre}{key}{post}");
            let words: Vec<&str> = words.split(['_', '-']).collect();
            match style {
                0 => words.join("_"),
                1 => words.join("-").to_uppercase(),
                2 => words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| if i == 0 { w.to_string() } else { w[..1].to_uppercase() + &w[1..] })
                    .collect(),
                _ => words.join("."),
            }
        })
    }

    fn filler() -> impl Strategy<Value = String> {
        "[a-zA-Z ,.!?]{0,30}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn planted_passwords_never_survive(
            (key, form) in (sensitive_key(), 0..9),
            secret in "[A-Za-z0-9!#$%*+@^~/]{8,24}",
            (before, after) in (filler(), filler()),
        ) {
            let planted = match form {
                0 => format!("{key}={secret}"),
                1 => format!("{key}: {secret}"),
                2 => format!("{{\"{key}\": \"{secret} {secret}\"}}"),
                3 => format!("{key}=\"{secret} and {secret}\""),
                4 => format!("{key} = {secret}"),
                5 => format!("{{\\\"{key}\\\":\\\"{secret}\\\"}}"),
                6 => format!("GET /cb?id=1&{key}={secret}&x=2"),
                7 => format!("Args {{ {key}: Some(\"{secret}\") }}"),
                _ => format!("'{key}': '{secret}'"),
            };
            prop_assume!(![&key, &before, &after].iter().any(|part| part.contains(&secret)));
            let text = format!("{before} {planted} {after}");
            let out = SCRUBBER.scrub_text(&text);
            prop_assert!(!out.contains(&secret) && out.contains(&key), "{} -> {}", text, out);
        }

        #[test]
        fn planted_credentials_never_survive(
            (token, scheme) in ("[A-Za-z0-9._~+/-]{16,40}", prop::sample::select(vec!["Bearer", "bearer", "BASIC"])),
            (header, user, password) in (any::<bool>(), "[a-z]{0,8}", "[A-Za-z0-9!$*+]{8,20}"),
            (before, after) in (filler(), filler()),
        ) {
            prop_assume!(![&before, &after].iter().any(|part| part.contains(&token) || part.contains(&password)));
            let auth = format!("{}{scheme} {token}", if header { "Authorization: " } else { "" });
            let text = format!("{before} {auth} via https://{user}:{password}@h.example/p?api_key={token}z {after}");
            let out = SCRUBBER.scrub_text(&text);
            prop_assert!(!out.contains(&token) && !out.contains(&password), "{} -> {}", text, out);
        }

        #[test]
        fn planted_ibans_are_masked(
            (country, bban, spaced) in ("[A-Z]{2}", "[A-Z0-9]{11,30}", any::<bool>()),
            (before, after) in ("[a-z ,.]{0,30}", "[a-z ,.]{0,30}"),
        ) {
            let iban = valid_iban(&country, &bban);
            let shown = if spaced { grouped(&iban, " ") } else { iban.clone() };
            let out = SCRUBBER.scrub_text(&format!("{before} {shown} {after}")).into_owned();
            prop_assert_eq!(out, format!("{before} {}****{} {after}", &iban[..4], &iban[iban.len() - 4..]));
        }

        #[test]
        fn planted_card_numbers_are_masked(
            (body, separator) in ("[2-6][0-9]{11,17}", prop::sample::select(vec!["", " ", "-"])),
            (before, after) in ("[a-z ,.]{0,30}", "[a-z ,.]{0,30}"),
        ) {
            let card = valid_card(&body);
            let out = SCRUBBER.scrub_text(&format!("{before} {} {after}", grouped(&card, separator))).into_owned();
            prop_assert_eq!(out, format!("{before} ****{} {after}", &card[card.len() - 4..]));
        }

        #[test]
        // No `:`, `=` or `(`: a key such as `pin` or `sig` before one of them starts a value to
        // redact, and random words make such keys often enough.
        fn text_without_secrets_is_returned_borrowed(text in "[a-zA-Z0-9 .,;!?_'\"-]{0,120}") {
            let out = SCRUBBER.scrub_text(&text);
            prop_assert!(matches!(out, Cow::Borrowed(_)), "{:?} -> {:?}", text, out);
        }

        #[test]
        fn any_text_and_key_are_scrubbed_without_panicking(text in any::<String>(), key in any::<String>()) {
            let _ = (SCRUBBER.scrub_text(&text), SCRUBBER.scrub_field(&key, &text));
        }
    }
}
