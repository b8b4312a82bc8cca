//! The scrubber, fed arbitrary text and key names.
//!
//! Invariants: nothing panics; scrubbing scrubbed text again only masks
//! more, and changes nothing at all unless the text holds a card mask or a
//! URL (the scrubber promises to hand scrubbed text back); a field under a
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
    assert!(only_masks_more(&once, &twice), "scrubbing again brought back text in {text:?}: {once:?} -> {twice:?}");
    // Two kinds of text may be masked further by a second pass: a card
    // mask shows the last four digits, which can make a card number with the
    // digits after them; and a masked value can take away the `/` that ended
    // a URL password before it, which then runs further.
    if !once.contains("****") && !once.contains("://") {
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

/// Whether `twice` is `once` with more text masked: what is left outside
/// the masks is `once`'s text, in order, with nothing added.
fn only_masks_more(once: &str, twice: &str) -> bool {
    let unmasked = |text: &str| text.replace(REDACTED, "").replace('*', "");
    let once = unmasked(once);
    let mut rest = once.chars();
    unmasked(twice).chars().all(|c| rest.any(|kept| kept == c))
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
