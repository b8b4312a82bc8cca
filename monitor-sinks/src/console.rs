//! A sink that prints one line per event to stderr, for development.

use std::io::Write;

use monitor_runtime::{Batch, Sink, SinkError, SinkErrorKind, async_trait};

fn unavailable(error: std::io::Error) -> SinkError {
    SinkError::new(SinkErrorKind::Unavailable, format!("cannot write to stderr: {error}"))
}

/// Prints each event as one line on stderr:
/// `[error] billing::load_invoice: invoice 42 not found (1×, group 3f…)`.
/// Alert notifications reach stderr through `console` destinations, which
/// the monitor delivers itself.
///
/// ```
/// use monitor_runtime::{capture_message, Monitor, Severity};
/// use monitor_sinks::ConsoleSink;
///
/// let guard = Monitor::builder().sink(ConsoleSink::new()).install().unwrap();
/// capture_message("printed on stderr", Severity::Info);
/// let stats = guard.shutdown();
/// assert_eq!(stats.delivered["console"], 1);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsoleSink;

impl ConsoleSink {
    /// A console sink.
    pub fn new() -> Self {
        ConsoleSink
    }
}

#[async_trait]
impl Sink for ConsoleSink {
    fn name(&self) -> &str {
        "console"
    }

    async fn write(&self, batch: &Batch) -> Result<(), SinkError> {
        let mut out = std::io::stderr().lock();
        for event in &batch.events {
            let place = if event.location.module.is_empty() {
                format!("{}:{}", event.location.file, event.location.line)
            } else {
                format!("{}::{}", event.location.module, event.location.function)
            };
            let duration = event.duration.map(|d| format!(" in {d:.1?}")).unwrap_or_default();
            writeln!(
                out,
                "[{}] {place}: {}{duration} ({}×, group {})",
                event.severity, event.message, event.occurrences, event.group_key
            )
            .map_err(unavailable)?;
        }
        Ok(())
    }
}
