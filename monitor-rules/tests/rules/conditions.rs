//! Every mistake in one condition is reported, not only the first.

use crate::mistakes;

#[test]
fn a_wrong_count_threshold_does_not_hide_a_wrong_window() {
    let messages = mistakes("errors > 0 within 30d");
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("threshold `0` must be a whole number of at least 1"), "{messages:?}");
    assert!(messages[1].contains("longer than 7 days"), "{messages:?}");

    let audit = mistakes("audit(status = failed) > 2.5 within 0s");
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert!(audit[0].contains("`2.5`") && audit[1].contains("window is empty"), "{audit:?}");
}

#[test]
fn a_threshold_that_is_not_a_number_still_lets_the_window_be_checked() {
    let messages = mistakes("errors > many within 8d");
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[1].contains("longer than 7 days"), "{messages:?}");
}

#[test]
fn a_bad_percentile_does_not_hide_the_rest_of_a_latency_condition() {
    let messages = mistakes("p101(modul = \"x\") > 2s over 30d");
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("percentile 101"), "{messages:?}");
    assert!(messages[1].contains("unknown filter field `modul`"), "{messages:?}");
    assert!(messages[2].contains("longer than 7 days"), "{messages:?}");
}
