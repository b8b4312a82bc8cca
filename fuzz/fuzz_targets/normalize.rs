//! The message normalizer and the online grouper, fed arbitrary text.
//!
//! Each input is one message for the normalizer, and its lines are a stream
//! of messages for a `Grouper` whose maintenance runs every few messages.
//! Invariants: nothing panics; normalizing is a pure function of the message
//! (a reused buffer gives the same template); a message seen again resolves
//! to the group it was given before, also across maintenance, as long as
//! nothing can have been evicted.

#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use monitor_runtime::fingerprint::{Grouper, GrouperConfig, TemplateKey, normalize, normalize_into};

fuzz_target!(|data: &[u8]| {
    let Some((&settings, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);

    let template = normalize(&text);
    let mut reused = String::from("left over from the previous message");
    normalize_into(&text, &mut reused);
    assert_eq!(template, reused, "a reused buffer changes the template of {text:?}");

    group_stream(&text, settings);
});

/// Groups the lines of `text` in order, with maintenance every few lines.
fn group_stream(text: &str, settings: u8) {
    // A small limit makes maintenance evict; a large one never does.
    let evicting = settings & 0x80 != 0;
    let max_templates = if evicting { usize::from(settings & 0x0f) } else { 10_000 };
    let maintain_every = usize::from((settings >> 4) & 0x07) + 1;
    let grouper = Grouper::new(GrouperConfig { max_templates });

    // The key each message was first given.
    let mut first_keys: HashMap<&str, TemplateKey> = HashMap::new();
    for (index, message) in text.lines().enumerate() {
        let key = grouper.group(message);
        assert_eq!(grouper.resolve(grouper.group(message)), grouper.resolve(key), "regrouped at once: {message:?}");
        if key != TemplateKey::OVERFLOW {
            assert!(grouper.template(key).is_some(), "a key without a group: {message:?}");
        }
        let first = *first_keys.entry(message).or_insert(key);
        assert_eq!(
            grouper.resolve(key),
            grouper.resolve(first),
            "the same message moved to another group: {message:?}"
        );
        if (index + 1) % maintain_every == 0 {
            for merge in grouper.maintain() {
                assert_ne!(merge.from, merge.into, "a group merged into itself");
            }
            if evicting {
                // An evicted group, or an evicted alias, gives its messages a new key.
                first_keys.clear();
            }
        }
    }
}
