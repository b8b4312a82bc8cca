//! The one-pass message normalizer: variable parts of a message become `<*>`.
//!
//! It works token by token (tokens are separated by whitespace) and masks a
//! token that holds a value: anything with a digit in it (numbers, ids, hex,
//! UUIDs, IPs, ports, dates, sizes, `blk_-123`), paths and URLs, quoted
//! strings (which may span several tokens), e-mail addresses, and the value
//! of `key=value`. Runs of masked tokens collapse into one `<*>`, so a value
//! that is sometimes one token and sometimes three still gives one template.
//! Only the first [`MAX_NORMALIZED_BYTES`] of a message are looked at, which
//! bounds the work and the memory per message.

/// Bytes of a message that take part in its template.
pub const MAX_NORMALIZED_BYTES: usize = 4096;

/// What a masked token is written as.
pub const WILDCARD: &str = "<*>";

/// The template of `message`.
///
/// ```
/// use monitor_runtime::fingerprint::normalize;
///
/// assert_eq!(normalize("invoice 4711 not found in /srv/pdf/4711.pdf"), "invoice <*> not found in <*>");
/// assert_eq!(normalize("connect to 10.0.0.7:5432 failed: user=\"billing app\""), "connect to <*> failed: user=<*>");
/// assert_eq!(normalize("mandate 'MNDT-2026-01' expired"), "mandate <*> expired");
/// ```
pub fn normalize(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_NORMALIZED_BYTES));
    normalize_into(message, &mut out);
    out
}

/// Writes the template of `message` into `out` (which is cleared first), so a
/// caller can reuse one buffer and allocate nothing per message.
///
/// ```
/// use monitor_runtime::fingerprint::normalize_into;
///
/// let mut buffer = String::new();
/// normalize_into("job_20260101 took 250ms", &mut buffer);
/// assert_eq!(buffer, "job_<*> took <*>");
/// ```
pub fn normalize_into(message: &str, out: &mut String) {
    out.clear();
    let message = truncate(message);
    let mut tokens = Tokens::new(message);
    // Where the previous token's text starts in `out`, to fold repeats.
    let mut previous_start: Option<usize> = None;
    while let Some(token) = tokens.next() {
        // A unit after a value belongs to it (`5.2 KB`, `250 ms`): sizes and
        // durations give one template whatever unit they are printed in.
        if out.ends_with(WILDCARD) && is_unit(token.trim_end_matches([',', ';', ')', '.'])) {
            out.push_str(&token[token.trim_end_matches([',', ';', ')', '.']).len()..]);
            continue;
        }
        let start = out.len();
        push_token(out, "");
        let text_start = out.len();
        // Most tokens are plain words: copied as they are, without the
        // classification below (the hot path of a repeated error).
        if is_plain_word(token) {
            out.push_str(token);
            previous_start = Some(text_start);
            continue;
        }
        // A number alone is the next most common token: a value, no need to
        // classify it further.
        let number = token.bytes().all(|b| b.is_ascii_digit());
        let kind = if number { Token::Value } else { classify(token) };
        match kind {
            Token::Word => mask_inner_values(token, out),
            Token::Value if number => out.push_str(WILDCARD),
            Token::Value => push_value_keeping_brackets(token, out),
            Token::KeyValue(key_len) => {
                out.push_str(&token[..key_len]);
                let value = &token[key_len..];
                if opens_quote(value) {
                    skip_to_closing_quote(value, &mut tokens);
                    out.push_str(WILDCARD);
                } else if value.starts_with(['"', '\'']) || is_value(value) || is_dotted_name(value) {
                    out.push_str(WILDCARD);
                } else {
                    mask_inner_values(value, out);
                }
            }
        }
        // A list of values (`blk_<*> blk_<*> …`, `<*> <*>`) is one value.
        if let Some(previous) = previous_start
            && out[text_start..].contains(WILDCARD)
            && out[previous..start] == out[text_start..]
        {
            out.truncate(start);
            continue;
        }
        previous_start = Some(text_start);
    }
}

/// The tokens of a message: runs of characters between whitespace and
/// control characters. ASCII is checked byte by byte, which is most of the
/// cost of a short message's template; other characters are decoded.
struct Tokens<'a> {
    rest: &'a str,
    /// Printable ASCII only (the usual error message): then the only
    /// separator is the space, which `str::find` looks for with `memchr`.
    printable_ascii: bool,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens { rest: text, printable_ascii: text.bytes().all(|b| (b' '..0x7f).contains(&b)) }
    }

    /// The length in bytes of the separator or non-separator run at the
    /// start of `text`.
    fn run_length(text: &str, separators: bool) -> usize {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                // ASCII whitespace and controls are all at or below the
                // space, but DEL.
                if (b <= b' ' || b == 0x7f) != separators {
                    break;
                }
                i += 1;
                continue;
            }
            let c = text[i..].chars().next().unwrap_or(' ');
            if (c.is_whitespace() || c.is_control()) != separators {
                break;
            }
            i += c.len_utf8();
        }
        i
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.printable_ascii {
            self.rest = self.rest.trim_start_matches(' ');
            if self.rest.is_empty() {
                return None;
            }
            let end = self.rest.find(' ').unwrap_or(self.rest.len());
            let (token, rest) = self.rest.split_at(end);
            self.rest = rest;
            return Some(token);
        }
        let skip = Self::run_length(self.rest, true);
        self.rest = &self.rest[skip..];
        if self.rest.is_empty() {
            return None;
        }
        let length = Self::run_length(self.rest, false);
        let (token, rest) = self.rest.split_at(length);
        self.rest = rest;
        Some(token)
    }
}

/// `<*>` for a value token, keeping the brackets and punctuation around it
/// (`(2)` → `(<*>)`, `7:` → `<*>:`), which belong to the message, not the
/// value. Quotes are part of the value.
fn push_value_keeping_brackets(token: &str, out: &mut String) {
    let core_start = token.len() - token.trim_start_matches(['(', '[', '{', '<']).len();
    let core_end = token.trim_end_matches([')', ']', '}', '>', ',', ';', ':', '.']).len().max(core_start);
    let (open, close) = (&token[..core_start], &token[core_end..]);
    // An empty pair such as `()` still reads as an empty value: `(<*>)`.
    let (open, close) = if core_start == core_end && open.len() + close.len() == token.len() {
        token.split_at(token.len() / 2)
    } else {
        (open, close)
    };
    out.push_str(open);
    out.push_str(WILDCARD);
    out.push_str(close);
}

/// Copies `token`, masking the values inside it: a run of letters and
/// digits that holds a digit becomes `<*>` (a word followed by digits, such
/// as `Steps1514`, keeps the word), and wildcards separated only by
/// `.:,-_/` (an address with its port, a date) merge into one.
fn mask_inner_values(token: &str, out: &mut String) {
    let bytes = token.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let run = &token[start..i];
            let letters = run.bytes().take_while(u8::is_ascii_alphabetic).count();
            let hex_part_of_id = run.len() >= 4 && run.bytes().all(|b| b.is_ascii_hexdigit()) && out.ends_with("<*>-");
            if letters == run.len() && !hex_part_of_id {
                out.push_str(run);
            } else if letters >= 3 && run[letters..].bytes().all(|d| d.is_ascii_digit()) {
                out.push_str(&run[..letters]);
                push_wildcard(out);
            } else {
                push_wildcard(out);
            }
        } else if b == b'-'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        {
            // The sign of a negative number belongs to the number.
            i += 1;
        } else {
            let start = i;
            i += token[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&token[start..i]);
        }
    }
}

/// Appends `<*>`, unless the output already ends with one followed only by
/// separators, in which case those separators are dropped instead.
fn push_wildcard(out: &mut String) {
    let trimmed = out.trim_end_matches(['.', ':', ',', '-', '_', '/']);
    if trimmed.ends_with(WILDCARD) && trimmed.len() < out.len() {
        out.truncate(trimmed.len());
    } else if !out.ends_with(WILDCARD) {
        out.push_str(WILDCARD);
    }
}

fn truncate(message: &str) -> &str {
    if message.len() <= MAX_NORMALIZED_BYTES {
        return message;
    }
    let mut cut = MAX_NORMALIZED_BYTES;
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    &message[..cut]
}

fn push_token(out: &mut String, token: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(token);
}

enum Token {
    /// A constant word, kept.
    Word,
    /// A value, masked.
    Value,
    /// `key=value` with the key's length including the `=`.
    KeyValue(usize),
}

fn classify(token: &str) -> Token {
    let bytes = token.as_bytes();
    let first = bytes[0];
    if (first == b'"' || first == b'\'') && bytes.len() > 1 && closes_quote(&token[1..], first) {
        return Token::Value;
    }
    if let Some(eq) = key_value_split(bytes) {
        return Token::KeyValue(eq + 1);
    }
    if is_value(token) { Token::Value } else { Token::Word }
}

/// A token that is a value as a whole: a number, hex, an id made of
/// digits and separators, a path, a URL, an address, a date word.
fn is_value(token: &str) -> bool {
    if is_path(token) {
        return true;
    }
    let trimmed = token.trim_matches(|c: char| c.is_ascii_punctuation());
    if trimmed.is_empty() {
        // An empty pair, `()` or `""`, is where a value was empty.
        return matches!(token, "()" | "[]" | "{}" | "\"\"" | "''" | "<>");
    }
    let digits = trimmed.bytes().filter(u8::is_ascii_digit).count();
    let letters = trimmed.bytes().filter(u8::is_ascii_alphabetic).count();
    (digits > 0 && (letters == 0 || is_hex_like(trimmed)))
        || looks_like_path_or_address(trimmed)
        || is_date_word(trimmed)
}

/// `/var/lib/x`, `./a/b`, `C:\\data\\x`, `/latest/meta-data/`.
fn is_path(token: &str) -> bool {
    let token = token.trim_start_matches(['"', '\'', '(', '[']);
    let slashes = token.bytes().filter(|b| *b == b'/' || *b == b'\\').count();
    (token.starts_with('/') || token.starts_with("./") || token.starts_with("~/")) && slashes >= 2 && token.len() > 2
}

fn is_hex_like(token: &str) -> bool {
    let token = token.strip_prefix("0x").unwrap_or(token);
    token.len() >= 6 && token.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

fn is_date_word(token: &str) -> bool {
    const WORDS: [&str; 19] = [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
        "oct", "nov", "dec",
    ];
    token.len() == 3 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(token))
}

/// `key=value` where the key is a plain identifier and there is a value.
fn key_value_split(bytes: &[u8]) -> Option<usize> {
    let eq = bytes.iter().position(|b| *b == b'=')?;
    let key_ok = eq > 0 && bytes[..eq].iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    (key_ok && eq + 1 < bytes.len()).then_some(eq)
}

fn looks_like_path_or_address(token: &str) -> bool {
    let bytes = token.as_bytes();
    let slashes = bytes.iter().filter(|b| **b == b'/' || **b == b'\\').count();
    let dots = bytes.iter().filter(|b| **b == b'.').count();
    (slashes >= 2 && token.len() > 2)
        || token.contains("://")
        || (token.contains('@') && dots > 0)
        || (bytes.len() > 2 && bytes[1] == b':' && bytes[2] == b'\\')
        // host names and dotted names: `db1.internal.example.com`
        || (dots >= 2 && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')))
}

/// Letters only, perhaps ending in one `,` `;` `:` or `.`, and not a date
/// word: a token that is kept as it is.
fn is_plain_word(token: &str) -> bool {
    let bytes = token.as_bytes();
    let letters = match bytes.last() {
        Some(b',' | b';' | b':' | b'.') => &bytes[..bytes.len() - 1],
        _ => bytes,
    };
    !letters.is_empty()
        && letters.iter().all(u8::is_ascii_alphabetic)
        && (letters.len() != 3 || !is_date_word(&token[..3]))
}

/// A unit of size or duration, as printed after a number.
fn is_unit(word: &str) -> bool {
    const UNITS: [&str; 16] =
        ["B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "kB", "ns", "us", "µs", "ms", "s", "sec"];
    UNITS.contains(&word)
}

/// A dotted name as the value of `key=value` (`rhost=mail.example.org`):
/// a value there, though it would be a word (`java.lang`) elsewhere.
fn is_dotted_name(value: &str) -> bool {
    let value = value.trim_end_matches(|c: char| c.is_ascii_punctuation());
    value.contains('.')
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && value.rsplit('.').next().is_some_and(|last| last.bytes().any(|b| b.is_ascii_alphabetic()))
}

fn opens_quote(value: &str) -> bool {
    match value.as_bytes().first() {
        Some(&quote @ (b'"' | b'\'')) => !closes_quote(&value[1..], quote),
        _ => false,
    }
}

fn closes_quote(rest: &str, quote: u8) -> bool {
    rest.trim_end_matches(|c: char| c.is_ascii_punctuation() && c as u8 != quote).as_bytes().last() == Some(&quote)
}

/// Consumes tokens until one that ends the quote opened by a `key="…` value;
/// an unclosed quote swallows the rest of the message.
fn skip_to_closing_quote<'a>(opening: &str, tokens: &mut impl Iterator<Item = &'a str>) {
    let quote = opening.as_bytes()[0];
    for token in tokens.by_ref() {
        if closes_quote(token, quote) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_values_and_keeps_words() {
        let cases = [
            (
                "PacketResponder 1 for block blk_-6952295868487656571 terminating",
                "PacketResponder <*> for block blk_<*> terminating",
            ),
            ("session opened for user root by (uid=0)", "session opened for user root by (uid=<*>)"),
            ("request 3f2a9c1e-77aa-4a52-9c1d-0b6a1d8e2f10 failed", "request <*> failed"),
            ("GET https://bank.example/api/v2/mandates returned 503", "GET <*> returned <*>"),
            ("could not open C:\\data\\ledger.db", "could not open <*>"),
            ("mail to jane.doe@example.org bounced", "mail to <*> bounced"),
            ("timeout=30s retries=3 host=db1", "timeout=<*> retries=<*> host=<*>"),
            ("at 2026-11-24 10:15:02,123 INFO", "at <*> INFO"),
        ];
        for (message, template) in cases {
            assert_eq!(normalize(message), template, "{message}");
        }
    }

    #[test]
    fn quoted_values_are_masked() {
        assert_eq!(normalize(r#"file "d.txt" missing"#), "file <*> missing");
        assert_eq!(normalize(r#"user="billing app" denied"#), "user=<*> denied");
        assert_eq!(normalize("name='unterminated value here"), "name=<*>");
        assert_eq!(normalize(r#"open "x.txt", mode r"#), "open <*>, mode r");
        // A quoted phrase keeps its words: `GET` and `POST` stay apart.
        assert_eq!(normalize(r#""GET /v2/servers HTTP/1.1" status: 200"#), r#""GET <*> HTTP/<*>" status: <*>"#);
    }

    #[test]
    fn lists_of_values_fold_into_one() {
        assert_eq!(normalize("delete blk_-1 blk_2 blk_-3"), "delete blk_<*>");
        assert_eq!(normalize("delete blk_4"), "delete blk_<*>");
        assert_eq!(normalize("got 1 2 3 4 items"), "got <*> items");
    }

    #[test]
    fn odd_input_is_handled() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("   \t\n "), "");
        assert_eq!(normalize("a\u{0}b\u{1b}c"), "a b c");
        assert_eq!(normalize("\""), "\"");
        assert_eq!(normalize("="), "=");
        let long = "word ".repeat(20_000) + "tail";
        let template = normalize(&long);
        assert!(template.len() <= MAX_NORMALIZED_BYTES);
        let multibyte = "ü".repeat(40_000);
        assert!(normalize(&multibyte).len() <= MAX_NORMALIZED_BYTES);
    }

    #[test]
    fn reused_buffer_is_cleared() {
        let mut buffer = String::from("stale");
        normalize_into("fresh 1", &mut buffer);
        assert_eq!(buffer, "fresh <*>");
    }

    mod fuzz {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Any text, control characters and all, gives a bounded template
            /// without panicking, and the same one every time.
            #[test]
            fn any_text_is_normalized_safely(text in "(?s).{0,300}") {
                let template = normalize(&text);
                prop_assert!(template.len() <= MAX_NORMALIZED_BYTES * 2);
                prop_assert_eq!(normalize(&text), template);
            }

            /// The byte-wise tokenizer splits exactly where whitespace and
            /// control characters are, ASCII or not.
            #[test]
            fn tokens_split_at_whitespace_and_controls(text in "(?s)[a-z \t\n\u{0}\u{7f}\u{85}\u{a0}\u{2028}\u{3000}é€😀]{0,80}") {
                let expected: Vec<&str> =
                    text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|t| !t.is_empty()).collect();
                prop_assert_eq!(Tokens::new(&text).collect::<Vec<_>>(), expected);
            }

            /// The same for printable ASCII, which takes the `memchr` path.
            #[test]
            fn printable_ascii_splits_at_spaces(text in "[a-z~!=.,:( ]{0,80}") {
                let expected: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
                prop_assert_eq!(Tokens::new(&text).collect::<Vec<_>>(), expected);
            }

            /// Bytes that are not UTF-8 arrive decoded lossily; that works too.
            #[test]
            fn lossy_decoded_bytes_are_fine(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
                let text = String::from_utf8_lossy(&bytes);
                let _ = normalize(&text);
            }

            /// Huge messages cost no more than their first few kilobytes.
            #[test]
            fn long_messages_are_capped(word in "[a-z0-9=\"' ]{1,12}", repeat in 5_000usize..7_000) {
                let text = word.repeat(repeat);
                prop_assert!(normalize(&text).len() <= MAX_NORMALIZED_BYTES * 2);
            }
        }
    }
}
