//! An argument named in `args(…)` whose `Debug` impl panics changes nothing
//! about the monitored function: the panic is caught on the monitor's side,
//! not printed as the host's, and the argument's text becomes a marker.

use std::fmt;
use std::panic;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use monitor_runtime::{EventKind, MemorySink, Monitor, monitor};

const MARKER: &str = "<Debug panicked>";

/// Times the panic hook that was there before the monitor's ran: what
/// prints "thread … panicked" for the host.
static HOST_HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);
/// Times a body ran: the side effect that must happen exactly as without `args(…)`.
static BODY_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Sets the hook the monitor chains to, before any monitor is installed.
fn count_host_panic_hook_calls() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            HOST_HOOK_CALLS.fetch_add(1, SeqCst);
            default(info);
        }));
    });
}

/// Formatted when the call starts (not `Copy`).
struct Ledger(u32);

impl fmt::Debug for Ledger {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("the ledger cannot be shown")
    }
}

/// Copied when the call starts, formatted when an event is queued.
#[derive(Clone, Copy)]
struct Account(u32);

impl fmt::Debug for Account {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("the account cannot be shown")
    }
}

#[monitor(args(ledger, account))]
fn post(ledger: Ledger, account: Account, fail: bool) -> Result<u32, String> {
    BODY_RUNS.fetch_add(1, SeqCst);
    if fail { Err(format!("posting {} to {} refused", ledger.0, account.0)) } else { Ok(ledger.0 + account.0) }
}

#[monitor(args(ledger, account))]
async fn post_later(ledger: Ledger, account: Account, fail: bool) -> Result<u32, String> {
    BODY_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    if fail { Err(format!("posting {} to {} refused later", ledger.0, account.0)) } else { Ok(ledger.0 + account.0) }
}

fn error_args(sink: &MemorySink) -> Vec<Vec<String>> {
    sink.events()
        .into_iter()
        .filter(|event| event.kind == EventKind::Error)
        .map(|event| event.args.iter().map(|(_, text)| text.clone()).collect())
        .collect()
}

#[test]
fn a_sync_function_returns_as_usual_and_its_event_marks_the_arguments() {
    count_host_panic_hook_calls();
    let (hook_calls, runs) = (HOST_HOOK_CALLS.load(SeqCst), BODY_RUNS.load(SeqCst));
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();

    assert_eq!(post(Ledger(2), Account(3), false), Ok(5));
    assert_eq!(post(Ledger(2), Account(3), true), Err("posting 2 to 3 refused".to_owned()));
    assert_eq!(BODY_RUNS.load(SeqCst) - runs, 2, "each body ran once");

    let stats = guard.shutdown();
    assert_eq!(stats.total_dropped(), 0, "nothing lost: {stats:?}");
    assert_eq!(error_args(&sink), vec![vec![MARKER.to_owned(), MARKER.to_owned()]]);
    assert_eq!(HOST_HOOK_CALLS.load(SeqCst), hook_calls, "no panic reported as the host's");
}

#[tokio::test]
async fn an_async_function_returns_as_usual_and_its_event_marks_the_arguments() {
    count_host_panic_hook_calls();
    let (hook_calls, runs) = (HOST_HOOK_CALLS.load(SeqCst), BODY_RUNS.load(SeqCst));
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();

    assert_eq!(post_later(Ledger(4), Account(5), false).await, Ok(9));
    assert_eq!(post_later(Ledger(4), Account(5), true).await, Err("posting 4 to 5 refused later".to_owned()));
    assert_eq!(BODY_RUNS.load(SeqCst) - runs, 2, "each body ran once");

    let stats = guard.shutdown();
    assert_eq!(stats.total_dropped(), 0, "nothing lost: {stats:?}");
    assert_eq!(error_args(&sink), vec![vec![MARKER.to_owned(), MARKER.to_owned()]]);
    assert_eq!(HOST_HOOK_CALLS.load(SeqCst), hook_calls, "no panic reported as the host's");
}

#[monitor(args(account))]
fn debit(account: Account) -> Result<u32, String> {
    BODY_RUNS.fetch_add(1, SeqCst);
    Err(format!("account {} is closed", account.0))
}

#[monitor(args(account))]
async fn debit_later(account: Account) -> Result<u32, String> {
    BODY_RUNS.fetch_add(1, SeqCst);
    tokio::task::yield_now().await;
    Err(format!("account {} is closed for now", account.0))
}

/// A copied argument is formatted only when an error's event is queued,
/// inside the capture: that event is still delivered, with the marker.
#[tokio::test]
async fn an_argument_formatted_when_the_event_is_queued_is_marked_and_the_event_kept() {
    count_host_panic_hook_calls();
    let (hook_calls, runs) = (HOST_HOOK_CALLS.load(SeqCst), BODY_RUNS.load(SeqCst));
    let sink = MemorySink::new();
    let guard = Monitor::builder().sink(sink.clone()).install().unwrap();

    assert_eq!(debit(Account(8)), Err("account 8 is closed".to_owned()));
    assert_eq!(debit_later(Account(9)).await, Err("account 9 is closed for now".to_owned()));
    assert_eq!(BODY_RUNS.load(SeqCst) - runs, 2, "each body ran once");

    let stats = guard.shutdown();
    assert_eq!(stats.total_dropped(), 0, "nothing lost: {stats:?}");
    assert_eq!(error_args(&sink), vec![vec![MARKER.to_owned()], vec![MARKER.to_owned()]]);
    assert_eq!(HOST_HOOK_CALLS.load(SeqCst), hook_calls, "no panic reported as the host's");
}
