//! Reloading rule files does not grow memory.
//!
//! Conditions are lexed with proc-macro2, which (with its `span-locations`
//! feature, needed for line and column in errors) keeps the text of every
//! parse in a map owned by the parsing thread and never frees it. A service
//! that reloads its rules now and then must not keep each version for ever.

use monitor_rules::AlertConfig;

/// Four conditions, each one lexed and parsed on every load.
const RULES: &str = r#"
[destinations]
ops = { slack = "https://hooks.slack.com/services/T0/B0/secret" }

[[rules]]
name = "too_many_errors"
when = "errors(severity >= error, function = \"payments::*\") > 10 within 1h"
notify = ["ops"]

[[rules]]
name = "slow_payments"
when = "p95(function = \"payments::*\") > 2s over 15m"
notify = ["ops"]

[[rules]]
name = "failed_sepa_payments"
when = "audit(process = \"sepa_payment_processing\", status = failed) > 5 within 1h"
notify = ["ops"]

[[rules]]
name = "health_heartbeat"
when = "absent(heartbeat = \"health\") for 20m"
notify = ["ops"]
"#;

const LOADS_PER_BLOCK: usize = 2_500;
const BLOCKS: usize = 8;

fn resident_bytes() -> usize {
    memory_stats::memory_stats().expect("this platform reports the process's memory").physical_mem
}

fn load_block() {
    for _ in 0..LOADS_PER_BLOCK {
        let config = AlertConfig::from_toml_str(RULES).expect("the rules are valid");
        assert_eq!(config.rules.len(), 4);
    }
}

#[test]
fn reloading_rules_twenty_thousand_times_does_not_grow_memory() {
    // The first block brings the allocator to its steady state; growth is
    // measured from there to the end, so what the process held before does
    // not matter.
    load_block();
    let after_first_block = resident_bytes();
    for _ in 1..BLOCKS {
        load_block();
    }
    let growth = resident_bytes().saturating_sub(after_first_block);
    // Keeping each load's condition texts took 13 MB here (about 740 bytes a load).
    assert!(
        growth < 4 * 1024 * 1024,
        "memory grew by {growth} bytes over {} loads after the first {LOADS_PER_BLOCK}",
        (BLOCKS - 1) * LOADS_PER_BLOCK
    );
}
