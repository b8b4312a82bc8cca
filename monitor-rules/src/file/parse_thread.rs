//! Rule files are parsed on a short-lived thread of their own.
//!
//! Conditions are lexed with proc-macro2, whose `span-locations` feature
//! (what gives every error its line and column) keeps the text of each
//! parse in a source map owned by the parsing thread. The map only grows:
//! on a long-lived thread, every reload of the rules would keep its texts
//! until the process ends. A thread of our own frees its map when it ends.
//!
//! proc-macro2's `invalidate_current_thread_spans` would free the map too,
//! but on the caller's thread it would also invalidate spans the host
//! itself holds (a program that uses proc-macro2 for its own work), and it
//! panics inside a procedural macro: neither is ours to risk.

use std::thread;

/// The parsing thread's stack: the size of a main thread's, so a condition
/// that parses on the caller's main thread parses here as well.
const STACK_BYTES: usize = 8 * 1024 * 1024;

/// Runs `parse` on a thread that ends with it, and returns what it
/// returned. A panic in `parse` continues on the caller's thread, as if
/// `parse` had run there. If no thread can be started (a process at its
/// thread limit), `parse` runs on the caller's thread: the rules still
/// load, at the price of keeping this parse's texts.
pub(super) fn on_parse_thread<T: Send>(parse: impl FnOnce() -> T + Send) -> T {
    let mut parse = Some(parse);
    let spawned = thread::scope(|scope| {
        let builder = thread::Builder::new().name("monitor-rules-parse".to_owned()).stack_size(STACK_BYTES);
        let slot = &mut parse;
        builder.spawn_scoped(scope, move || slot.take().map(|parse| parse())).ok().map(|handle| handle.join())
    });
    match spawned {
        Some(Ok(Some(value))) => return value,
        Some(Err(payload)) => std::panic::resume_unwind(payload),
        Some(Ok(None)) | None => {}
    }
    // The thread did not start, so `parse` is still in its slot.
    let parse = parse.take().expect("a thread that did not start did not take `parse`");
    parse()
}
