//! Rule files read from disk.

use monitor_rules::AlertConfig;

#[test]
fn a_missing_file_is_one_error_at_its_start_that_names_it() {
    let dir = std::env::temp_dir().join("monitor-rules-missing-file-test");
    let path = dir.join("alerts.toml");
    let errors = AlertConfig::from_path(&path).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    let error = &errors.0[0];
    assert_eq!((error.line, error.column), (1, 1), "lines and columns count from 1");
    assert_eq!(error.file.as_deref(), Some(path.as_path()));
    let shown = error.to_string();
    assert!(shown.starts_with(&format!("{}:1:1: cannot read the rule file", path.display())), "{shown}");
}
