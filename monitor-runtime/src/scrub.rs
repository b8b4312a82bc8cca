//! Scrubbing secrets and personal data out of every text before any sink
//! sees it.
//!
//! The scrubber runs on the worker thread, never on the caller's. It masks:
//! values under sensitive keys (`password=…`, `"token": "…"`, `api_key: …`),
//! bearer and basic credentials, passwords in URLs, IBANs that pass the
//! mod-97 check (shown as `NL91****4300`) and card numbers that pass the
//! Luhn check (shown as `[CARD ****1234]`). Look-alikes that fail their
//! checksum are left alone, so ordinary ids stay readable.

use std::borrow::Cow;

use regex::{Captures, Regex};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

const DEFAULT_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "authorization",
    "auth",
    "cookie",
    "set-cookie",
    "session",
    "credential",
    "credentials",
    "client_secret",
];

/// Masks secrets and personal data in free text and in named values.
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
    keys: Vec<String>,
    key_value: Regex,
    credentials: Regex,
    url_password: Regex,
    iban: Regex,
    card: Regex,
}

impl Default for Scrubber {
    fn default() -> Self {
        Self::with_keys(DEFAULT_KEYS.iter().map(|k| (*k).to_owned()).collect())
    }
}

impl Scrubber {
    /// A scrubber with the default sensitive keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds sensitive key names (matched case-insensitively, also as a part
    /// of a longer key such as `x_member_pin`).
    ///
    /// ```
    /// use monitor_runtime::scrub::Scrubber;
    ///
    /// let scrubber = Scrubber::new().with_extra_keys(["pin"]);
    /// assert_eq!(scrubber.scrub_text("member_pin=4711 rejected"), "member_pin=[REDACTED] rejected");
    /// ```
    pub fn with_extra_keys<I, S>(self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut all = self.keys;
        all.extend(keys.into_iter().map(|k| k.into().to_ascii_lowercase()));
        Self::with_keys(all)
    }

    fn with_keys(keys: Vec<String>) -> Self {
        let alternatives = keys.iter().map(|k| regex::escape(k)).collect::<Vec<_>>().join("|");
        // A key is a word made of letters, digits, `_` and `-` that contains
        // a sensitive name; its value is quoted, or runs to a separator.
        let key_value = format!(
            r#"(?i)(?P<key>["']?[A-Za-z0-9_\-.]*(?:{alternatives})[A-Za-z0-9_\-.]*["']?)(?P<sep>\s*[:=]\s*)(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&"'\]\)}}]+)"#
        );
        Scrubber {
            keys,
            key_value: compile(&key_value),
            credentials: compile(r"(?i)\b(?P<scheme>bearer|basic|token)\s+(?P<value>[A-Za-z0-9\-._~+/]+=*)"),
            url_password: compile(r"(?P<prefix>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]+:)(?P<value>[^\s@/]+)@"),
            iban: compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b"),
            card: compile(r"\b[0-9](?:[ \-]?[0-9]){12,18}\b"),
        }
    }

    /// True when `key` names a secret.
    ///
    /// ```
    /// use monitor_runtime::scrub::Scrubber;
    ///
    /// assert!(Scrubber::new().is_sensitive_key("X-Api-Key"));
    /// assert!(!Scrubber::new().is_sensitive_key("member_id"));
    /// ```
    pub fn is_sensitive_key(&self, key: &str) -> bool {
        let key = key.to_ascii_lowercase().replace('-', "_");
        self.keys.iter().any(|sensitive| key.contains(&sensitive.replace('-', "_")))
    }

    /// A named value: redacted whole if the name is sensitive, otherwise
    /// scrubbed like free text.
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

    /// Free text with every secret masked. Text without secrets comes back
    /// borrowed, without allocating.
    ///
    /// ```
    /// use monitor_runtime::scrub::Scrubber;
    ///
    /// let scrubber = Scrubber::new();
    /// assert_eq!(scrubber.scrub_text("card 4111 1111 1111 1111 declined"), "card [CARD ****1111] declined");
    /// assert_eq!(scrubber.scrub_text("order 4111111111111112 shipped"), "order 4111111111111112 shipped");
    /// assert!(matches!(scrubber.scrub_text("nothing to hide"), std::borrow::Cow::Borrowed(_)));
    /// ```
    pub fn scrub_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut current = Cow::Borrowed(text);
        replace_in(&mut current, &self.url_password, |caps| format!("{}{REDACTED}@", &caps["prefix"]));
        replace_in(&mut current, &self.credentials, |caps| format!("{} {REDACTED}", &caps["scheme"]));
        replace_in(&mut current, &self.key_value, |caps| {
            let value = &caps["value"];
            let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'');
            let masked = match quote {
                Some(q) => format!("{q}{REDACTED}{q}"),
                None => REDACTED.to_owned(),
            };
            format!("{}{}{masked}", &caps["key"], &caps["sep"])
        });
        replace_in(&mut current, &self.iban, |caps| {
            let candidate = &caps[0];
            if iban_valid(candidate) { mask_iban(candidate) } else { candidate.to_owned() }
        });
        replace_in(&mut current, &self.card, |caps| {
            let candidate = &caps[0];
            let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
            if luhn_valid(&digits) {
                format!("[CARD ****{}]", &digits[digits.len() - 4..])
            } else {
                candidate.to_owned()
            }
        });
        current
    }
}

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this file (plus escaped key names), so
    // they always compile; a failure would be a bug caught by the tests.
    Regex::new(pattern).unwrap_or_else(|error| panic!("scrubber pattern does not compile: {error}"))
}

/// Replaces matches in place, allocating only when something changed.
fn replace_in(text: &mut Cow<'_, str>, pattern: &Regex, replace: impl Fn(&Captures<'_>) -> String) {
    if !pattern.is_match(text) {
        return;
    }
    let replaced = pattern.replace_all(text, |caps: &Captures<'_>| replace(caps));
    if let Cow::Owned(new_text) = replaced
        && new_text != **text
    {
        *text = Cow::Owned(new_text);
    }
}

/// An IBAN with only the country code, check digits and last four kept.
///
/// ```
/// use monitor_runtime::scrub::mask_iban;
///
/// assert_eq!(mask_iban("NL91 ABNA 0417 1643 00"), "NL91****4300");
/// ```
pub fn mask_iban(iban: &str) -> String {
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 8 || !compact.is_ascii() {
        return REDACTED.to_owned();
    }
    format!("{}****{}", &compact[..4], &compact[compact.len() - 4..])
}

/// Whether a string of digits passes the Luhn check used by card numbers.
///
/// ```
/// use monitor_runtime::scrub::luhn_valid;
///
/// assert!(luhn_valid("4111111111111111"));
/// assert!(!luhn_valid("4111111111111112"));
/// ```
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 13616 mod-97 check of an IBAN (spaces allowed).
fn iban_valid(candidate: &str) -> bool {
    let compact: Vec<u8> = candidate.bytes().filter(|b| *b != b' ').collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut remainder: u32 = 0;
    for &byte in tail.iter().chain(head) {
        let value = match byte {
            b'0'..=b'9' => u32::from(byte - b'0'),
            b'A'..=b'Z' => u32::from(byte - b'A') + 10,
            _ => return false,
        };
        remainder = if value >= 10 { (remainder * 100 + value) % 97 } else { (remainder * 10 + value) % 97 };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Computes the two check digits that make `country + ?? + bban` valid.
    fn valid_iban(country: &str, bban: &str) -> String {
        let probe = format!("{country}00{bban}");
        let rearranged: String = probe[4..].chars().chain(probe[..4].chars()).collect();
        let mut remainder: u64 = 0;
        for c in rearranged.chars() {
            let digits = c.to_digit(36).unwrap_or(0).to_string();
            for d in digits.chars() {
                remainder = (remainder * 10 + u64::from(d.to_digit(10).unwrap_or(0))) % 97;
            }
        }
        format!("{country}{:02}{bban}", 98 - remainder)
    }

    /// Appends the Luhn check digit to `body`.
    fn valid_card(body: &str) -> String {
        (0..10).map(|d| format!("{body}{d}")).find(|candidate| luhn_valid(candidate)).unwrap_or_default()
    }

    #[test]
    fn generated_ibans_and_cards_are_valid() {
        assert!(iban_valid(&valid_iban("DE", "370400440532013000")));
        assert!(iban_valid("NL91ABNA0417164300"));
        assert!(!iban_valid("NL92ABNA0417164300"));
        assert!(luhn_valid(&valid_card("411111111111111")));
    }

    #[test]
    fn key_value_forms_are_redacted_but_keys_stay() {
        let scrubber = Scrubber::new();
        for (input, expected) in [
            ("password=hunter2", "password=[REDACTED]"),
            ("db_password: hunter2, user=bob", "db_password: [REDACTED], user=bob"),
            (r#"{"api_key": "k-123", "id": 7}"#, r#"{"api_key": "[REDACTED]", "id": 7}"#),
            ("token='abc def' next", "token='[REDACTED]' next"),
            ("Cookie: session=abc123", "Cookie: [REDACTED]"),
            ("Authorization: Bearer abc.def-ghi", "Authorization: [REDACTED] [REDACTED]"),
            ("https://svc:s3cret@db.internal/x", "https://svc:[REDACTED]@db.internal/x"),
            ("GET /hook?token=abc&id=3", "GET /hook?token=[REDACTED]&id=3"),
        ] {
            let out = scrubber.scrub_text(input);
            assert_eq!(out, expected, "input: {input}");
        }
    }

    #[test]
    fn ordinary_numbers_and_words_survive() {
        let scrubber = Scrubber::new();
        for text in [
            "invoice 4711 of 2026-11-24 failed after 3 retries",
            "batch 12345678901234 rejected",
            "customer DE12 is not an IBAN",
            "",
            "\u{0}\u{1b}[31m weird control \t characters",
        ] {
            assert!(matches!(scrubber.scrub_text(text), Cow::Borrowed(_)), "{text:?} changed");
        }
    }

    #[test]
    fn huge_and_non_ascii_text_does_not_panic() {
        let scrubber = Scrubber::new();
        let text = "grüße password=ünïcødé ".repeat(5_000);
        let out = scrubber.scrub_text(&text);
        assert!(!out.contains("ünïcødé"));
    }

    fn sensitive_key() -> impl Strategy<Value = String> {
        (prop::sample::select(DEFAULT_KEYS.to_vec()), "[a-z]{0,4}", prop::bool::ANY).prop_map(|(key, prefix, upper)| {
            let key = if prefix.is_empty() { key.to_owned() } else { format!("{prefix}_{key}") };
            if upper { key.to_ascii_uppercase() } else { key }
        })
    }

    fn filler() -> impl Strategy<Value = String> {
        "[a-z ]{0,30}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn planted_passwords_never_survive(
            key in sensitive_key(),
            secret in "[A-Za-z0-9!#$%*+]{8,24}",
            form in 0usize..5,
            before in filler(),
            after in filler(),
        ) {
            let planted = match form {
                0 => format!("{key}={secret}"),
                1 => format!("{key}: {secret}"),
                2 => format!("\"{key}\": \"{secret}\""),
                3 => format!("{key}=\"{secret}\""),
                _ => format!("{key} = {secret}"),
            };
            let text = format!("{before} {planted} {after}");
            let out = Scrubber::new().scrub_text(&text);
            prop_assert!(!out.contains(&secret), "{} -> {}", text, out);
        }

        #[test]
        fn planted_bearer_tokens_never_survive(token in "[A-Za-z0-9._-]{16,40}", before in filler()) {
            let text = format!("{before} Authorization: Bearer {token}");
            prop_assert!(!Scrubber::new().scrub_text(&text).contains(&token));
        }

        #[test]
        fn planted_ibans_are_masked(bban in "[0-9]{18}", before in filler(), spaced in prop::bool::ANY) {
            let iban = valid_iban("DE", &bban);
            let shown = if spaced {
                iban.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
            } else {
                iban.clone()
            };
            let text = format!("{before} refund to {shown} today");
            let out = Scrubber::new().scrub_text(&text);
            prop_assert!(!out.contains(&bban[..14]), "{}", out);
            let expected = format!("{}****{}", &iban[..4], &iban[iban.len() - 4..]);
            prop_assert!(out.contains(&expected), "{}", out);
        }

        #[test]
        fn planted_card_numbers_are_masked(body in "4[0-9]{14}", sep in prop::sample::select(vec!["", " ", "-"])) {
            let card = valid_card(&body);
            let shown = card.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(sep);
            let text = format!("charge on {shown} failed");
            let out = Scrubber::new().scrub_text(&text);
            prop_assert!(!out.contains(&card[..12]), "{}", out);
            let expected = format!("[CARD ****{}]", &card[card.len() - 4..]);
            prop_assert!(out.contains(&expected), "{}", out);
        }

        #[test]
        fn text_without_secrets_is_returned_borrowed(text in "[a-z .,]{0,80}") {
            prop_assert!(matches!(Scrubber::new().scrub_text(&text), Cow::Borrowed(_)));
        }
    }
}
