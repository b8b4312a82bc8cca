//! Remembers the message of the panic in flight on each thread.
//!
//! A drop guard sees that its frame is unwinding but not why. The hook, which
//! runs before unwinding starts, keeps the payload and location in a
//! thread-local so the guards can report them. It chains to the hook that was
//! there before (so the usual message is still printed) and catches nothing.

use std::cell::RefCell;
use std::panic::{self, PanicHookInfo};
use std::sync::Once;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs the hook once per process; later installs of the monitor reuse it.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            remember(info);
            previous(info);
        }));
    });
}

fn remember(info: &PanicHookInfo<'_>) {
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
    let _ = LAST_PANIC.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(text);
        }
    });
}

/// The message of the panic unwinding this thread, if the hook saw it.
pub(crate) fn last_panic_message() -> String {
    LAST_PANIC
        .try_with(|slot| slot.try_borrow().ok().and_then(|s| s.clone()))
        .ok()
        .flatten()
        .unwrap_or_else(|| "panic (message unknown: the panic hook was replaced)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_panic_message_is_kept_cut() {
        install();
        let huge = "p".repeat(100 * 1024);
        let _ = panic::catch_unwind(|| panic!("{huge}"));
        let message = last_panic_message();
        assert!(
            message.starts_with("ppp") && message.contains("[truncated] (at "),
            "{}",
            &message[message.len() - 80..]
        );
        assert!(message.len() < crate::bounded::MAX_MESSAGE_BYTES + 200, "{} bytes", message.len());
    }
}
