//! The rule-file parser, fed arbitrary text.
//!
//! Invariants: nothing panics; a rejected file names at least one mistake,
//! and every mistake is at a line and column that exist in the text, in the
//! order they appear.

#![no_main]

use libfuzzer_sys::fuzz_target;
use monitor_rules::AlertConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Err(errors) = AlertConfig::from_toml_str(text) else { return };
    assert!(!errors.0.is_empty(), "rejected without a reason: {text:?}");
    // Lines as the parser counts them: split at `\n` only.
    let lines: Vec<&str> = text.split('\n').collect();
    let mut previous = (1, 1);
    for error in &errors.0 {
        assert!(error.line >= 1 && error.line <= lines.len(), "line {} of {}: {error}", error.line, lines.len());
        let columns = lines[error.line - 1].chars().count() + 1;
        assert!(error.column >= 1 && error.column <= columns, "column {} of {columns}: {error}", error.column);
        assert!(!error.message.trim().is_empty(), "an error without a message at {error}");
        assert!((error.line, error.column) >= previous, "errors out of order: {errors}");
        previous = (error.line, error.column);
    }
    let _ = errors.to_string();
});
