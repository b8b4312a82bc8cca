use super::*;

/// A distinct lowercase word for each `i` (no digits, so the normalizer
/// leaves it alone and only evidence can tell it is a value).
fn word(i: usize) -> String {
    let mut i = i + 26 * 26;
    let mut out = String::new();
    while i > 0 {
        out.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
    }
    out
}

#[test]
fn a_key_handed_out_resolves_to_its_group_after_a_merge() {
    let grouper = Grouper::new(GrouperConfig::default());
    let keys: Vec<TemplateKey> =
        (0..3).map(|i| grouper.group(&format!("user {} not found in the directory", word(i)))).collect();
    assert_ne!(keys[0], keys[1], "evidence is decided by maintenance");
    let merges = grouper.maintain();
    let survivor = grouper.resolve(keys[0]);
    assert!(keys.iter().all(|key| grouper.resolve(*key) == survivor));
    assert_eq!(grouper.template(keys[1]).unwrap(), "user <*> not found in the directory");
    // Each key keeps meaning what it meant: the merges say which became aliases.
    assert_eq!(merges.len(), 2);
    assert!(merges.iter().all(|merge| merge.into == survivor && merge.from != survivor));
    assert!(merges.iter().any(|merge| merge.from == keys[1]));
    assert!(grouper.maintain().is_empty(), "reported once");
    // Later messages, old or new, get the surviving key.
    assert_eq!(grouper.group("user aaa not found in the directory"), survivor);
    assert_eq!(grouper.group(&format!("user {} not found in the directory", word(1))), survivor);
    assert_eq!(grouper.len(), 1);
}

#[test]
fn statements_that_differ_in_a_word_stay_apart() {
    let grouper = Grouper::new(GrouperConfig::default());
    let refused = grouper.group("connection refused");
    let reset = grouper.group("connection reset");
    assert_ne!(refused, reset);
    assert_eq!(grouper.group("connection refused"), refused);
    for word in ["closed", "aborted", "lost", "dropped"] {
        grouper.group(&format!("connection {word}"));
    }
    grouper.maintain();
    assert_ne!(grouper.resolve(refused), grouper.resolve(reset), "one word beside a variable is no context");
    let opened = grouper.group("session opened for user root");
    let closed = grouper.group("session closed for user root");
    grouper.maintain();
    assert_ne!(grouper.resolve(opened), grouper.resolve(closed));
    let a = grouper.group("Receiving block blk_1 src: /10.0.0.1:5 dest: /10.0.0.2:5");
    let b = grouper.group("Deleting block blk_2 file /data/blk_2");
    assert_ne!(a, b);
}

#[test]
fn a_variable_first_token_is_found_among_templates() {
    let grouper = Grouper::new(GrouperConfig::default());
    let programs = ["sshd:", "cron:", "nginx:", "postfix:"];
    let hosts = ["alpha", "bravo", "charlie", "delta"];
    let keys: Vec<TemplateKey> = programs
        .iter()
        .flat_map(|program| hosts.iter().map(move |host| format!("{program} connected to {host}")))
        .map(|message| grouper.group(&message))
        .collect();
    grouper.maintain();
    let survivor = grouper.resolve(keys[0]);
    assert!(keys.iter().all(|key| grouper.resolve(*key) == survivor), "one group");
    assert_eq!(grouper.template(survivor).unwrap(), "<*> connected to <*>");
    assert_eq!(grouper.group("systemd: connected to echo"), survivor);
}

#[test]
fn free_text_after_a_colon_becomes_one_variable() {
    let grouper = Grouper::new(GrouperConfig::default());
    let rests =
        ["missing field name", "unexpected end of input", "invalid type: map, expected a string", "trailing comma"];
    let keys: Vec<TemplateKey> =
        rests.iter().map(|rest| grouper.group(&format!("failed to load the config: {rest}"))).collect();
    grouper.maintain();
    let survivor = grouper.resolve(keys[0]);
    assert!(keys.iter().all(|key| grouper.resolve(*key) == survivor));
    assert_eq!(grouper.template(survivor).unwrap(), "failed to load the config: <*>");
    assert_eq!(grouper.group("failed to load the config: duplicate key in table"), survivor);
}

#[test]
fn a_flood_of_distinct_values_makes_one_group_and_bounded_maps() {
    let grouper = Grouper::new(GrouperConfig::default());
    let first = grouper.group("user aaaa not found");
    for i in 0..50_000 {
        grouper.group(&format!("user {} not found", word(i)));
    }
    assert_eq!(grouper.len(), 1);
    assert_eq!(grouper.resolve(first), grouper.group("user zzzz not found"));
    assert!(grouper.exact_len.load(Relaxed) <= MAX_EXACT_PER_GROUP + 8);
    assert!(grouper.evidence_len.load(Relaxed) < 64);
}

#[test]
fn eviction_is_bounded_and_counted_and_overflow_is_a_group() {
    let grouper = Grouper::new(GrouperConfig { max_templates: 8 });
    // Distinct statements: no two share a word, so no evidence merges them.
    let messages: Vec<String> =
        (1..=12).map(|n| (0..n).map(|i| word(n * 20 + i)).collect::<Vec<_>>().join(" ")).collect();
    let keys: Vec<TemplateKey> = messages.iter().map(|m| grouper.group(m)).collect();
    // Up to a quarter over the limit before maintenance; then the overflow group.
    assert_eq!(keys.iter().filter(|k| **k == TemplateKey::OVERFLOW).count(), 2);
    assert_eq!(grouper.overflowed(), 2);
    grouper.maintain();
    assert!(grouper.len() <= 8);
    assert_eq!(grouper.evictions(), 10 - grouper.len() as u64);
    // An evicted message comes back under its old key.
    assert_eq!(grouper.group(&messages[0]), keys[0]);
}

#[test]
fn empty_long_and_control_input() {
    let grouper = Grouper::new(GrouperConfig::default());
    let empty = grouper.group("");
    assert_eq!(grouper.group("   "), empty);
    let long = "x".repeat(70_000);
    assert_eq!(grouper.group(&long), grouper.group(&long));
    let many_tokens = (0..500).map(word).collect::<Vec<_>>().join(" ");
    assert_eq!(grouper.group(&many_tokens), grouper.group(&many_tokens));
    grouper.group("\u{0}\u{7f}\u{1b}[0m");
}

#[test]
fn many_threads_agree_on_keys() {
    let grouper = Grouper::new(GrouperConfig::default());
    let keys: Vec<Vec<TemplateKey>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let grouper = &grouper;
                scope.spawn(move || {
                    (0..500).map(|i| grouper.group(&format!("order for {} of {t} shipped", word(i)))).collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    grouper.maintain();
    let first = grouper.resolve(keys[0][0]);
    let mut distinct: Vec<_> = keys.iter().flatten().map(|k| grouper.resolve(*k)).collect();
    distinct.sort();
    distinct.dedup();
    let described: Vec<_> = distinct.iter().map(|k| (k, grouper.template(*k))).collect();
    assert!(keys.iter().flatten().all(|k| grouper.resolve(*k) == first), "{described:?}");
}

#[test]
fn evicting_a_group_also_evicts_its_aliases() {
    let grouper = Grouper::new(GrouperConfig { max_templates: 4 });
    let merged: Vec<String> = (0..3).map(|i| format!("user {} not found in the directory", word(i))).collect();
    let keys: Vec<TemplateKey> = merged.iter().map(|m| grouper.group(m)).collect();
    grouper.maintain();
    let survivor = grouper.resolve(keys[0]);
    assert!(keys.iter().all(|key| grouper.resolve(*key) == survivor), "merged");
    // Two new statements pass the limit by one: the least recently used
    // group goes, the survivor of the merge (its aliases are as old but younger).
    grouper.group("disk quota exceeded on the shared volume");
    grouper.group("certificate chain could not be verified by the peer");
    grouper.maintain();
    assert_eq!(grouper.evictions(), 1);
    assert_eq!(grouper.template(survivor), None, "the survivor was the one evicted");
    // Its messages come back under a group that exists, not under the key
    // of the evicted one (the survivor's own message last: it would make
    // that key a group again).
    for message in merged.iter().rev() {
        let key = grouper.group(message);
        assert!(grouper.template(key).is_some(), "{message:?} got {key:?}, a key without a group");
    }
}
