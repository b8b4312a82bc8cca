//! The event names the error the caller got: for `?` with a `From`
//! conversion, for `return` and for the tail alike, the type and message of
//! the function's own error, with the error it was made from in its chain.

use std::fmt;
use std::sync::Arc;

use monitor_runtime::{Event, MemorySink, Monitor, monitor};

#[derive(Debug)]
enum LedgerError {
    Io(std::io::Error),
    Locked(u64),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Io(_) => f.write_str("the ledger file could not be read"),
            LedgerError::Locked(id) => write!(f, "ledger entry {id} is locked"),
        }
    }
}

impl std::error::Error for LedgerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LedgerError::Io(error) => Some(error),
            LedgerError::Locked(_) => None,
        }
    }
}

impl From<std::io::Error> for LedgerError {
    fn from(error: std::io::Error) -> Self {
        LedgerError::Io(error)
    }
}

fn missing_file() -> std::io::Result<Vec<u8>> {
    Err(std::io::Error::new(std::io::ErrorKind::NotFound, "ledger.db: no such file"))
}

#[monitor]
fn through_question_mark() -> Result<usize, LedgerError> {
    let bytes = missing_file()?;
    Ok(bytes.len())
}

#[monitor]
fn through_return(id: u64) -> Result<usize, LedgerError> {
    if id > 0 {
        return Err(LedgerError::Locked(id));
    }
    Ok(0)
}

#[monitor]
fn through_the_tail() -> Result<usize, LedgerError> {
    missing_file().map(|bytes| bytes.len()).map_err(LedgerError::from)
}

#[monitor]
async fn asynchronously() -> Result<usize, LedgerError> {
    let bytes = missing_file()?;
    Ok(bytes.len())
}

#[monitor]
fn boxed() -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let value: u64 = "12x".parse()?;
    Ok(value)
}

#[monitor]
fn optional(items: &[u64]) -> Option<u64> {
    let first = items.first()?;
    Some(first * 2)
}

/// `impl Trait` cannot be named, so nothing can be converted to it ahead of
/// the `?`: the error recorded is the one before its conversion.
#[monitor]
fn unnameable() -> Result<impl fmt::Display, LedgerError> {
    let bytes = missing_file()?;
    Ok(bytes.len())
}

fn only_event(run: impl FnOnce()) -> Arc<Event> {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    run();
    guard.shutdown();
    let mut events = sink.events();
    assert_eq!(events.len(), 1, "{events:#?}");
    events.remove(0)
}

fn error_type(event: &Event) -> &str {
    event.error_type.as_deref().unwrap_or_default()
}

#[test]
fn question_mark_records_the_converted_error_with_the_inner_one_in_its_chain() {
    let event = only_event(|| assert!(matches!(through_question_mark(), Err(LedgerError::Io(_)))));
    assert!(error_type(&event).ends_with("LedgerError"), "{}", error_type(&event));
    assert_eq!(event.message, "the ledger file could not be read");
    assert_eq!(event.chain, vec!["ledger.db: no such file".to_owned()]);
}

#[test]
fn return_and_tail_record_the_returned_error() {
    let event = only_event(|| assert!(through_return(7).is_err()));
    assert!(error_type(&event).ends_with("LedgerError"));
    assert_eq!(event.message, "ledger entry 7 is locked");
    let event = only_event(|| assert!(through_the_tail().is_err()));
    assert!(error_type(&event).ends_with("LedgerError"));
    assert_eq!(event.chain, vec!["ledger.db: no such file".to_owned()]);
}

#[test]
fn an_async_question_mark_records_the_converted_error_too() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let event = only_event(|| assert!(runtime.block_on(asynchronously()).is_err()));
    assert!(error_type(&event).ends_with("LedgerError"), "{}", error_type(&event));
    assert_eq!(event.chain, vec!["ledger.db: no such file".to_owned()]);
}

#[test]
fn a_boxed_error_is_named_by_what_it_carries() {
    let event = only_event(|| assert!(boxed().is_err()));
    assert_eq!(error_type(&event), "core::num::error::ParseIntError");
    assert_eq!(event.message, "invalid digit found in string");
}

#[test]
fn none_through_question_mark_is_not_an_error() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    assert_eq!(optional(&[]), None);
    assert_eq!(optional(&[4]), Some(8));
    let stats = guard.shutdown();
    assert_eq!(stats.captured, 0);
    assert!(sink.events().is_empty());
}

#[test]
fn an_unnameable_return_type_keeps_the_error_before_conversion() {
    let event = only_event(|| assert!(unnameable().is_err()));
    assert!(error_type(&event).ends_with("io::error::Error"), "{}", error_type(&event));
    assert_eq!(event.message, "ledger.db: no such file");
}
