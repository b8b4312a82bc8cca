//! Remembers the message of the panic in flight on each thread.
//!
//! A drop guard sees that its frame is unwinding but not why. The hook, which
//! runs before unwinding starts, keeps the payload and location in a
//! thread-local so the guards can report them. It chains to the hook that was
//! there before (so the usual message is still printed) and catches nothing.
//!
//! The hook is not called for a panic resumed with `resume_unwind` (rayon,
//! `JoinError::into_panic`, a catcher passing a payload on), so what it
//! remembered may belong to an earlier panic that was caught long ago. Each
//! remembered message therefore carries the number of panics the hook had
//! seen, and a guard only takes a message remembered after its call started
//! (see [`panics_seen`]). Reading does not clear it: every monitored frame
//! that one panic unwinds through reports the same message.
//!
//! The hook is also where a panic's stack backtrace is taken, when the
//! installed monitor wants one: by the time a guard sees its frame
//! unwinding, the frames between it and the panic are gone. The hook cannot
//! tell whether the panic will be delivered or only counted (that is
//! decided from the message, later), so it walks the stack of every panic
//! while a monitor is installed; resolving it is left to the worker, for
//! the panics delivered.
//!
//! Panics the monitor itself catches (a user's `Debug` that panics while an
//! argument is formatted) run under [`quietly`]: the hook neither remembers
//! them nor prints them as if the host had panicked.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::backtrace::Backtrace;

/// What a panic event says when no message from the hook belongs to it.
pub(crate) const UNKNOWN_MESSAGE: &str =
    "panic with an unknown message (resumed with `resume_unwind`, or the panic hook was replaced)";

/// Panics the hook has seen, in every thread. Only compared, never reset.
static PANICS_SEEN: AtomicU64 = AtomicU64::new(0);

struct RememberedPanic {
    message: String,
    /// [`PANICS_SEEN`] counting this panic.
    seen: u64,
    /// Its stack, unresolved, when the monitor wants backtraces.
    backtrace: Option<Backtrace>,
}

thread_local! {
    static LAST_PANIC: RefCell<Option<RememberedPanic>> = const { RefCell::new(None) };
    /// How many [`quietly`] calls are running on this thread.
    static QUIET_DEPTH: Cell<u32> = const { Cell::new(0) };
}

static INSTALL: Once = Once::new();

/// Installs the hook once per process; later installs of the monitor reuse it.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if is_quiet() {
                return;
            }
            remember(info);
            previous(info);
        }));
    });
}

fn is_quiet() -> bool {
    QUIET_DEPTH.try_with(Cell::get).is_ok_and(|depth| depth > 0)
}

fn remember(info: &PanicHookInfo<'_>) {
    let seen = PANICS_SEEN.fetch_add(1, Ordering::Relaxed) + 1;
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic with a non-string payload");
    // Cut like any other message, so a huge panic message is not copied whole.
    let mut text = String::new();
    crate::bounded::write_display(&mut text, &message, crate::bounded::MAX_MESSAGE_BYTES);
    if let Some(location) = info.location() {
        text.push_str(&format!(" (at {}:{})", location.file(), location.line()));
    }
    let wants_backtrace = crate::pipeline::with_current(|shared| shared.wants_backtraces()).unwrap_or(false);
    let backtrace = wants_backtrace.then(Backtrace::capture);
    let _ = LAST_PANIC.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(RememberedPanic { message: text, seen, backtrace });
        }
    });
}

/// How many panics the hook has seen so far. A call guard notes it when
/// its call starts and gives it to [`panic_message_since`] when it sees
/// the call unwind.
#[inline]
pub(crate) fn panics_seen() -> u64 {
    PANICS_SEEN.load(Ordering::Relaxed)
}

/// The message of the panic unwinding this thread, if the hook saw it after
/// `seen_before` panics (that is, during the call being reported), or
/// [`UNKNOWN_MESSAGE`]. A message remembered earlier belongs to a panic that
/// was caught; what unwinds now was resumed without the hook.
pub(crate) fn panic_message_since(seen_before: u64) -> String {
    LAST_PANIC
        .try_with(|slot| {
            let slot = slot.try_borrow().ok()?;
            slot.as_ref()
                .filter(|remembered| remembered.seen > seen_before)
                .map(|remembered| remembered.message.clone())
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| UNKNOWN_MESSAGE.to_owned())
}

/// The stack of the panic unwinding this thread, taken by the hook after
/// `seen_before` panics (see [`panic_message_since`]), if it took one.
pub(crate) fn panic_backtrace_since(seen_before: u64) -> Option<Backtrace> {
    LAST_PANIC
        .try_with(|slot| {
            let slot = slot.try_borrow().ok()?;
            slot.as_ref().filter(|remembered| remembered.seen > seen_before)?.backtrace.clone()
        })
        .ok()
        .flatten()
}

/// Runs `work`, catching a panic in it, with the hook silent meanwhile: the
/// panic is the monitor's to handle (it returns `None`), not the host's to
/// see printed or reported.
pub(crate) fn quietly<T>(work: impl FnOnce() -> T) -> Option<T> {
    struct Loud;
    impl Drop for Loud {
        fn drop(&mut self) {
            let _ = QUIET_DEPTH.try_with(|depth| depth.set(depth.get().saturating_sub(1)));
        }
    }
    let _ = QUIET_DEPTH.try_with(|depth| depth.set(depth.get() + 1));
    let _loud_again = Loud;
    panic::catch_unwind(AssertUnwindSafe(work)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_panic_message_is_kept_cut() {
        install();
        let before = panics_seen();
        let huge = "p".repeat(100 * 1024);
        let _ = panic::catch_unwind(|| panic!("{huge}"));
        let message = panic_message_since(before);
        assert!(
            message.starts_with("ppp") && message.contains("[truncated] (at "),
            "{}",
            &message[message.len() - 80..]
        );
        assert!(message.len() < crate::bounded::MAX_MESSAGE_BYTES + 200, "{} bytes", message.len());
    }

    #[test]
    fn a_message_remembered_before_the_call_started_is_not_its_message() {
        install();
        let _ = panic::catch_unwind(|| panic!("an earlier panic, caught"));
        let call_started = panics_seen();
        assert_eq!(panic_message_since(call_started), UNKNOWN_MESSAGE);
    }

    #[test]
    fn a_quiet_panic_is_caught_and_not_remembered() {
        install();
        let before = panics_seen();
        assert_eq!(quietly(|| -> u32 { panic!("inside the monitor") }), None);
        assert_eq!(quietly(|| 7), Some(7));
        assert_eq!(panic_message_since(before), UNKNOWN_MESSAGE, "the hook did not remember it");
        assert!(!is_quiet(), "loud again afterwards");
    }
}
