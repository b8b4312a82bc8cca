//! `args(…)` are formatted only for a call that fails, panics or is slow, and
//! only when that occurrence becomes an event; each is cut while it is
//! formatted.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use monitor_runtime::{MemorySink, Monitor, monitor};

/// How often each kind of argument was asked for its `Debug` text.
static ACCOUNT_DEBUGS: AtomicUsize = AtomicUsize::new(0);
static REQUEST_DEBUGS: AtomicUsize = AtomicUsize::new(0);

/// A `Copy` argument: kept as a copy, formatted only when needed.
#[derive(Clone, Copy)]
struct AccountId(u32);

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ACCOUNT_DEBUGS.fetch_add(1, SeqCst);
        write!(f, "AccountId({})", self.0)
    }
}

/// Not `Copy`, passed by reference: the reference is the copy.
struct Request {
    path: String,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        REQUEST_DEBUGS.fetch_add(1, SeqCst);
        f.debug_struct("Request").field("path", &self.path).finish()
    }
}

#[monitor(args(account, request))]
fn transfer(account: AccountId, request: &Request, fail: bool) -> Result<u32, String> {
    if fail { Err(format!("transfer from {} refused", account.0)) } else { Ok(account.0) }
}

#[monitor(args(account))]
fn settle(account: AccountId, panic: bool) -> u32 {
    assert!(!panic, "settlement of {} failed", account.0);
    account.0
}

/// Owned and moved by the body: formatted when the call starts, the only
/// moment it surely exists.
#[monitor(args(note))]
fn archive(note: String) -> Result<usize, String> {
    let kept = note;
    Err(format!("{} bytes not archived", kept.len()))
}

/// A `Debug` that would write 100 MB.
#[derive(Clone, Copy)]
struct Enormous;

impl fmt::Debug for Enormous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chunk = "y".repeat(1024);
        for _ in 0..100 * 1024 {
            f.write_str(&chunk)?;
        }
        Ok(())
    }
}

#[monitor(args(value))]
fn enormous(value: Enormous) -> Result<(), String> {
    let _ = value;
    Err("enormous argument".to_owned())
}

#[test]
fn arguments_are_formatted_only_for_delivered_failures() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    let request = Request { path: "/ledger/7".to_owned() };
    for id in 0..100 {
        assert_eq!(transfer(AccountId(id), &request, false), Ok(id));
    }
    assert_eq!(ACCOUNT_DEBUGS.load(SeqCst), 0, "no call failed: nothing formatted");
    assert_eq!(REQUEST_DEBUGS.load(SeqCst), 0);

    assert!(transfer(AccountId(1), &request, true).is_err());
    assert_eq!((ACCOUNT_DEBUGS.load(SeqCst), REQUEST_DEBUGS.load(SeqCst)), (1, 1), "a new error's event has them");
    for id in 2..10 {
        assert!(transfer(AccountId(id), &request, true).is_err());
    }
    assert_eq!(
        (ACCOUNT_DEBUGS.load(SeqCst), REQUEST_DEBUGS.load(SeqCst)),
        (1, 1),
        "repeats inside the dedup window make no event, so nothing is formatted"
    );

    let panicked = std::panic::catch_unwind(|| settle(AccountId(5), true));
    assert!(panicked.is_err());
    assert_eq!(ACCOUNT_DEBUGS.load(SeqCst), 2, "a panic's event has them");

    guard.shutdown();
    let events = sink.events();
    let args: Vec<_> = events.iter().map(|event| event.args.clone()).collect();
    assert_eq!(
        args[0],
        vec![
            ("account".into(), "AccountId(1)".to_owned()),
            ("request".into(), r#"Request { path: "/ledger/7" }"#.to_owned())
        ]
    );
    assert_eq!(args[1], vec![("account".into(), "AccountId(5)".to_owned())]);
}

#[test]
fn a_moved_argument_is_recorded_as_it_was_at_the_start() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    assert!(archive("quarterly".to_owned()).is_err());
    guard.shutdown();
    assert_eq!(sink.events()[0].args, vec![("note".into(), r#""quarterly""#.to_owned())]);
}

#[test]
fn a_huge_argument_is_cut_while_it_is_formatted() {
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
    assert!(enormous(Enormous).is_err());
    guard.shutdown();
    let events = sink.events();
    let (name, text) = &events[0].args[0];
    assert_eq!(name, "value");
    assert!(text.len() < 2 * 1024, "cut at about 1 KiB, not 100 MB: {} bytes", text.len());
    assert!(text.starts_with("yyyy") && text.ends_with("[truncated]"), "{text}");
}
