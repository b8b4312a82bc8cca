//! The scrubber, fed arbitrary text and key names.
//!
//! Invariants: nothing panics; scrubbed text scrubbed again does not change
//! (the scrubber promises to hand it back untouched), except that digits
//! next to a card mask may be masked too; a field under a
//! sensitive key is redacted whole and any other field is scrubbed like
//! free text; and a `password=<secret>` planted in arbitrary surroundings
//! never survives.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use monitor_runtime::scrub::{REDACTED, Scrubber};

static SCRUBBER: LazyLock<Scrubber> = LazyLock::new(Scrubber::new);

/// Shortest planted secret: shorter ones may occur in the surroundings by chance.
const MIN_SECRET: usize = 8;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = SCRUBBER.scrub_text(&text);
    let twice = SCRUBBER.scrub_text(&once);
    if once.contains("****") {
        // A mask shows a card's last four digits, and they may make a card
        // number with the digits after them: a second pass masks those too.
        assert_eq!(skeleton(&twice), skeleton(&once), "scrubbing again changed more than digits in {text:?}");
    } else {
        assert_eq!(twice, once, "scrubbing again changed {text:?}");
    }

    // The input read as `key NUL value`, like an argument or a tag.
    let (key, value) = text.split_once('\0').unwrap_or(("", &text));
    let field = SCRUBBER.scrub_field(key, value);
    if SCRUBBER.is_sensitive_key(key) {
        assert_eq!(field, REDACTED, "the field {key:?} was not redacted whole");
    } else {
        assert_eq!(field, SCRUBBER.scrub_text(value), "the field {key:?} was scrubbed unlike free text");
    }

    planted_password_is_masked(data);
});

/// `text` without what a card mask and the digits around it are made of.
fn skeleton(text: &str) -> String {
    text.chars().filter(|c| !(c.is_ascii_digit() || matches!(c, '*' | ' ' | '-'))).collect()
}

/// The first bytes become a secret of letters and digits; the rest of the
/// input, cut in two, surrounds `password=<secret>`.
fn planted_password_is_masked(data: &[u8]) {
    let Some((&length, rest)) = data.split_first() else { return };
    let length = MIN_SECRET + usize::from(length % 24);
    if rest.len() < length {
        return;
    }
    let (secret, surroundings) = rest.split_at(length);
    let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let secret: String = secret.iter().map(|&b| char::from(alphabet[usize::from(b) % alphabet.len()])).collect();
    let surroundings = String::from_utf8_lossy(surroundings);
    let middle = surroundings.len() / 2;
    let middle = (0..=middle).rev().find(|&at| surroundings.is_char_boundary(at)).unwrap_or(0);
    let (before, after) = surroundings.split_at(middle);
    if surroundings.contains(&secret) {
        return;
    }
    let text = format!("{before} password={secret} {after}");
    let scrubbed = SCRUBBER.scrub_text(&text);
    assert!(!scrubbed.contains(&secret), "the secret survived: {text:?} -> {scrubbed:?}");
}
