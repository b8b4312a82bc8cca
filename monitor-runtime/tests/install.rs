//! Installing and uninstalling; monitored code without a monitor.

use monitor_runtime::{
    InstallError, Monitor, Severity, Sink, SinkError, SinkErrorKind, async_trait, callsites, capture_message, monitor,
    stats,
};

#[monitor]
fn untouched(x: u32) -> Result<u32, String> {
    if x == 0 { Err("zero".into()) } else { Ok(x) }
}

struct Broken;

#[async_trait]
impl Sink for Broken {
    fn name(&self) -> &str {
        "broken"
    }

    fn start(&mut self) -> Result<(), SinkError> {
        Err(SinkError::new(SinkErrorKind::Unavailable, "cannot open /nowhere/monitor.db"))
    }

    async fn write(&self, _batch: &monitor_runtime::Batch) -> Result<(), SinkError> {
        Ok(())
    }
}

#[test]
fn without_install_nothing_is_recorded() {
    assert_eq!(untouched(0), Err("zero".into()));
    assert_eq!(untouched(5), Ok(5));
    capture_message("nobody listens", Severity::Info);
    assert_eq!(stats(), Default::default());
    assert!(callsites().iter().all(|s| s.function != "untouched"), "call sites register only while installed");
}

#[test]
fn a_second_install_is_refused_until_the_first_guard_drops() {
    let first = Monitor::builder().install().unwrap();
    let second = Monitor::builder().install();
    assert!(matches!(second, Err(InstallError::AlreadyInstalled)));
    drop(first);
    let third = Monitor::builder().install().unwrap();
    assert!(stats().installed);
    drop(third);
    assert!(!stats().installed);
}

#[test]
fn a_sink_that_cannot_start_fails_install_with_its_reason() {
    let error = Monitor::builder().sink(Broken).install().err().unwrap();
    let text = error.to_string();
    assert!(text.contains("sink `broken` could not start"), "{text}");
    assert!(text.contains("/nowhere/monitor.db"), "{text}");
    assert!(text.contains("optional_sink"), "the error says how to go on: {text}");
    assert!(!stats().installed);
}

#[test]
fn an_optional_sink_that_cannot_start_is_left_out_and_reported() {
    let guard = Monitor::builder().optional_sink(Broken).install().unwrap();
    assert_eq!(stats().disabled_sinks, vec!["broken".to_owned()]);
    drop(guard);
}
