//! `#[monitor]` on every kind of function, and proof that it changes nothing
//! about what the function does.

use std::fmt;

use monitor_runtime::{EventKind, MemorySink, Monitor, monitor};

#[derive(Debug, PartialEq)]
struct InvoiceError(u64);

impl fmt::Display for InvoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invoice {} is locked", self.0)
    }
}

impl std::error::Error for InvoiceError {}

#[monitor]
fn free_function(id: u64) -> Result<u64, InvoiceError> {
    if id == 0 {
        return Err(InvoiceError(id));
    }
    Ok(id * 2)
}

#[monitor]
fn early_return_and_question_mark(text: &str) -> Result<i64, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let value: i64 = text.trim().parse()?;
    Ok(value + 1)
}

#[monitor]
fn returns_a_borrow<'a>(items: &'a [String], index: usize) -> Option<&'a str> {
    items.get(index).map(String::as_str)
}

#[monitor]
fn elided_borrow(text: &str) -> &str {
    text.split(',').next().unwrap_or_default()
}

#[monitor]
fn generic<T: Clone + fmt::Debug>(value: &T, times: usize) -> Vec<T> {
    vec![value.clone(); times]
}

#[monitor]
fn impl_trait_arg(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

#[monitor]
fn impl_trait_return(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[monitor]
fn dyn_coercion(fail: bool) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    if fail {
        return Err(Box::new(InvoiceError(9)));
    }
    let parsed: u8 = "7".parse()?;
    Ok(parsed)
}

#[monitor]
fn into_conversion(fail: bool) -> Result<(), String> {
    if fail {
        return Err("conversion".into());
    }
    Ok(())
}

#[monitor]
fn unit_function(counter: &mut u32) {
    *counter += 1;
}

#[monitor]
fn collect_needs_the_type(n: u32) -> Vec<u32> {
    (0..n).collect()
}

#[monitor]
fn diverges_in_the_tail(code: i32) -> Result<(), InvoiceError> {
    if code == 0 {
        return Ok(());
    }
    panic!("diverging tail with code {code}")
}

#[monitor]
fn never_returns() -> ! {
    panic!("never returns")
}

#[monitor]
fn error_without_display() -> Result<(), ()> {
    Err(())
}

struct Ledger {
    entries: Vec<i64>,
}

impl Ledger {
    #[monitor]
    fn total(&self) -> i64 {
        self.entries.iter().sum()
    }

    #[monitor]
    fn push(&mut self, amount: i64) -> Result<&mut Self, InvoiceError> {
        if amount == 0 {
            return Err(InvoiceError(0));
        }
        self.entries.push(amount);
        Ok(self)
    }

    #[monitor]
    fn into_entries(self) -> Vec<i64> {
        self.entries
    }

    #[monitor]
    fn first(&self) -> Option<&i64> {
        self.entries.first()
    }

    #[monitor]
    async fn total_later(&self) -> Result<i64, InvoiceError> {
        tokio::task::yield_now().await;
        if self.entries.is_empty() {
            return Err(InvoiceError(1));
        }
        Ok(self.total())
    }
}

trait Store {
    fn load(&self, id: u64) -> Result<String, InvoiceError>;
}

impl Store for Ledger {
    #[monitor(name = "Ledger::load")]
    fn load(&self, id: u64) -> Result<String, InvoiceError> {
        self.entries.get(id as usize).map(|e| e.to_string()).ok_or(InvoiceError(id))
    }
}

#[monitor_runtime::async_trait]
trait AsyncStore {
    async fn fetch(&self, id: u64) -> Result<u64, InvoiceError>;
}

#[monitor_runtime::async_trait]
impl AsyncStore for Ledger {
    #[monitor]
    async fn fetch(&self, id: u64) -> Result<u64, InvoiceError> {
        tokio::task::yield_now().await;
        if id >= self.entries.len() as u64 {
            return Err(InvoiceError(id));
        }
        Ok(id)
    }
}

#[monitor]
async fn async_with_question_mark(text: String) -> Result<u32, std::num::ParseIntError> {
    tokio::task::yield_now().await;
    let n: u32 = text.parse()?;
    Ok(n)
}

#[monitor]
async fn async_borrow<'a>(text: &'a str) -> &'a str {
    tokio::task::yield_now().await;
    text.trim()
}

#[test]
fn values_are_unchanged_without_install() {
    assert_eq!(free_function(2), Ok(4));
    assert_eq!(free_function(0), Err(InvoiceError(0)));
    assert_eq!(early_return_and_question_mark(""), Ok(0));
    assert_eq!(early_return_and_question_mark(" 41 "), Ok(42));
    assert!(early_return_and_question_mark("x").is_err());
}

#[test]
fn every_signature_behaves_as_written() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();

    assert_eq!(free_function(3), Ok(6));
    assert_eq!(free_function(0), Err(InvoiceError(0)));
    assert_eq!(early_return_and_question_mark("9"), Ok(10));
    assert!(early_return_and_question_mark("nine").is_err());
    let items = vec!["a".to_owned(), "b".to_owned()];
    assert_eq!(returns_a_borrow(&items, 1), Some("b"));
    assert_eq!(elided_borrow("x,y"), "x");
    assert_eq!(generic(&"z", 2), vec!["z", "z"]);
    assert_eq!(impl_trait_arg([1, 2, 3]), 6);
    assert_eq!(impl_trait_return(6).collect::<Vec<_>>(), vec![0, 2, 4]);
    assert_eq!(dyn_coercion(false).unwrap(), 7);
    assert_eq!(dyn_coercion(true).unwrap_err().to_string(), "invoice 9 is locked");
    assert_eq!(into_conversion(true), Err("conversion".to_owned()));
    let mut counter = 0;
    unit_function(&mut counter);
    assert_eq!(counter, 1);
    assert_eq!(collect_needs_the_type(3), vec![0, 1, 2]);
    assert_eq!(diverges_in_the_tail(0), Ok(()));
    assert!(std::panic::catch_unwind(|| diverges_in_the_tail(1)).is_err());
    assert!(std::panic::catch_unwind(|| never_returns()).is_err());
    assert_eq!(error_without_display(), Err(()));

    let mut ledger = Ledger { entries: vec![5, 7] };
    assert_eq!(ledger.total(), 12);
    assert!(ledger.push(0).is_err());
    assert_eq!(ledger.push(3).map(|l| l.entries.len()), Ok(3));
    assert_eq!(ledger.first(), Some(&5));
    assert_eq!(ledger.load(1), Ok("7".to_owned()));
    assert_eq!(ledger.load(9), Err(InvoiceError(9)));

    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        assert_eq!(ledger.total_later().await, Ok(15));
        assert_eq!(ledger.fetch(1).await, Ok(1));
        assert_eq!(ledger.fetch(10).await, Err(InvoiceError(10)));
        assert_eq!(async_with_question_mark("12".into()).await, Ok(12));
        assert!(async_with_question_mark("twelve".into()).await.is_err());
        assert_eq!(async_borrow("  padded ").await, "padded");
    });
    assert_eq!(ledger.into_entries(), vec![5, 7, 3]);

    guard.shutdown();
    let events = sink.events();
    let errors: Vec<_> = events.iter().filter(|e| e.kind == EventKind::Error).collect();
    let functions: Vec<&str> = errors.iter().map(|e| &*e.location.function).collect();
    for expected in [
        "free_function",
        "early_return_and_question_mark",
        "dyn_coercion",
        "into_conversion",
        "error_without_display",
        "push",
        "Ledger::load",
        "fetch",
        "async_with_question_mark",
    ] {
        assert!(functions.contains(&expected), "no error event from {expected}: {functions:?}");
    }
    let panics: Vec<&str> =
        events.iter().filter(|e| e.kind == EventKind::Panic).map(|e| &*e.location.function).collect();
    assert!(panics.contains(&"diverges_in_the_tail"), "{panics:?}");
    assert!(panics.contains(&"never_returns"), "{panics:?}");
    let parse = errors.iter().find(|e| e.location.function == "early_return_and_question_mark").unwrap();
    assert_eq!(parse.error_type.as_deref(), Some("core::num::error::ParseIntError"));
    assert_eq!(parse.message, "invalid digit found in string");
    let unit = errors.iter().find(|e| e.location.function == "error_without_display").unwrap();
    assert_eq!(unit.message, "()");
}
