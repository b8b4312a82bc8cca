//! From std's text of a resolved backtrace to the frames people read.
//!
//! std gives no stable access to a backtrace's frames, only its `Display`:
//! one numbered line per function (inlined ones included), each followed by
//! an `at file:line:column` line when the location is known. That text is
//! read back into frames, then trimmed at both ends:
//!
//! - above the code that failed: the monitor's own frames (capture, the
//!   call guard, the panic hook), the panic machinery of std and core, and
//!   a `tracing` dispatch, none of which says anything about the failure;
//! - below it: the frames that start a program, a thread, a test or a
//!   Tokio task, the same for every event.
//!
//! Only the two ends are cut: a frame of std or of the monitor between two
//! frames of the user's (a closure run by `Option::map`, a function called
//! inside a context scope) stays, since it is part of how the code got
//! there.

use monitor_rules::vocabulary::TRUNCATION_MARKER;

/// Most frames kept of one backtrace, innermost first; a last line says how
/// many more there were.
pub const MAX_FRAMES: usize = 50;

/// Longest frame kept, in bytes (a generic function's full name can run to
/// kilobytes); a longer one is cut and ends with the truncation marker.
pub const MAX_FRAME_BYTES: usize = 300;

/// Crates whose frames above the first frame of the user's are the
/// monitor's or the panic's doing.
const ABOVE_THE_USER: &[&str] =
    &["monitor_runtime", "monitor", "std", "core", "alloc", "tracing", "tracing_core", "tracing_subscriber", "__rustc"];

/// Crates whose frames below the last frame of the user's only start a
/// program, a thread, a test or a task.
const BELOW_THE_USER: &[&str] = &["std", "core", "alloc", "tokio", "test", "futures_executor", "__rustc"];

struct Frame<'a> {
    function: &'a str,
    location: Option<&'a str>,
}

/// The readable frames of `text`, a resolved backtrace as std displays it.
pub(super) fn readable_frames(text: &str) -> Vec<String> {
    let frames = parse(text);
    let first_of_user = frames.iter().position(|frame| !is_in(frame.function, ABOVE_THE_USER));
    let Some(first) = first_of_user else { return Vec::new() };
    let last_of_user = frames.iter().rposition(|frame| !is_in(frame.function, BELOW_THE_USER));
    let Some(last) = last_of_user.filter(|last| *last >= first) else { return Vec::new() };
    let kept = &frames[first..=last];
    let mut readable: Vec<String> = kept.iter().take(MAX_FRAMES).map(readable).collect();
    if kept.len() > MAX_FRAMES {
        readable.push(format!("… {} more frames", kept.len() - MAX_FRAMES));
    }
    readable
}

fn parse(text: &str) -> Vec<Frame<'_>> {
    let mut frames: Vec<Frame<'_>> = Vec::new();
    for line in text.lines().map(str::trim_start) {
        if let Some(location) = line.strip_prefix("at ") {
            if let Some(frame) = frames.last_mut().filter(|frame| frame.location.is_none()) {
                frame.location = Some(without_column(location));
            }
        } else if let Some((index, function)) = line.split_once(": ")
            && !index.is_empty()
            && index.bytes().all(|byte| byte.is_ascii_digit())
        {
            frames.push(Frame { function, location: None });
        }
    }
    frames
}

/// `file:line:column` without its column: the line is what people look up.
fn without_column(location: &str) -> &str {
    let is_number = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    match location.rsplit_once(':') {
        Some((rest, column)) if is_number(column) && rest.rsplit_once(':').is_some_and(|(_, line)| is_number(line)) => {
            rest
        }
        _ => location,
    }
}

fn readable(frame: &Frame<'_>) -> String {
    let text = match frame.location {
        Some(location) => format!("{} at {location}", frame.function),
        None => frame.function.to_owned(),
    };
    cut(text)
}

fn cut(mut text: String) -> String {
    if text.len() > MAX_FRAME_BYTES {
        let mut end = MAX_FRAME_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(TRUNCATION_MARKER);
    }
    text
}

/// Whether `function` belongs to one of `crates`. Symbols without a path
/// (`main`, `_start`, `__libc_start_main`, `<unknown>`) belong to the
/// program's start-up or to no one: they count as in every list.
fn is_in(function: &str, crates: &[&str]) -> bool {
    crate_of(function).is_none_or(|krate| crates.contains(&krate))
}

/// The crate of a function's path, of its type's for a method
/// (`<billing::Invoice as core::fmt::Display>::fmt` is billing's), of its
/// trait's when the type has no path (a function pointer's `call_once`).
fn crate_of(function: &str) -> Option<&str> {
    let name = function.trim_start_matches(['<', '&', '*']);
    let name =
        ["mut ", "const ", "dyn ", "impl "].iter().fold(name, |name, word| name.strip_prefix(word).unwrap_or(name));
    if name.starts_with(['(', '[']) || name.starts_with("fn(") {
        let (_, trait_path) = name.split_once(" as ")?;
        return crate_of(trait_path);
    }
    name.split_once("::").map(|(krate, _)| krate)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What std printed for a `#[monitor]` function of the `billing` crate
    /// returning an error, called from `main`.
    const ERROR_IN_BILLING: &str = "   0: std::backtrace_rs::backtrace::libunwind::trace
             at /rustc/hash/library/std/src/../../backtrace/src/backtrace/libunwind.rs:117:9
   1: std::backtrace::Backtrace::force_capture
             at /rustc/hash/library/std/src/backtrace.rs:312:9
   2: monitor_runtime::backtrace::Backtrace::capture
             at ./monitor-runtime/src/backtrace/mod.rs:55:37
   3: monitor_runtime::pipeline::intake::<impl monitor_runtime::pipeline::Shared>::take_occurrence
             at ./monitor-runtime/src/pipeline/intake.rs:80:5
   4: core::ops::function::FnOnce::call_once
             at /rustc/hash/library/core/src/ops/function.rs:250:5
   5: <monitor_runtime::guard::CallGuard<A>>::fail
             at ./monitor-runtime/src/guard.rs:136:9
   6: billing::load_invoice
             at ./src/billing.rs:42:5
   7: core::option::Option<T>::map
             at /rustc/hash/library/core/src/option.rs:1:1
   8: billing::main::{{closure}}
             at ./src/main.rs:9:20
   9: billing::main
             at ./src/main.rs:9:5
  10: core::ops::function::FnOnce::call_once
             at /rustc/hash/library/core/src/ops/function.rs:250:5
  11: std::rt::lang_start_internal
             at /rustc/hash/library/std/src/rt.rs:171:5
  12: main
  13: __libc_start_main_impl
             at ./csu/../csu/libc-start.c:360:3
  14: _start
";

    #[test]
    fn the_monitors_frames_and_the_start_up_are_trimmed_and_the_users_kept() {
        assert_eq!(
            readable_frames(ERROR_IN_BILLING),
            [
                "billing::load_invoice at ./src/billing.rs:42",
                "core::option::Option<T>::map at /rustc/hash/library/core/src/option.rs:1",
                "billing::main::{{closure}} at ./src/main.rs:9",
                "billing::main at ./src/main.rs:9",
            ]
        );
    }

    #[test]
    fn a_panics_frames_start_where_it_was_raised() {
        let text = "   0: monitor_runtime::panic_hook::remember
   1: <alloc::boxed::Box<dyn core::ops::function::Fn<(&std::panic::PanicHookInfo,)>> as core::ops::function::Fn<(&std::panic::PanicHookInfo,)>>::call
   2: std::panicking::panic_with_hook
   3: __rustc::rust_begin_unwind
   4: core::panicking::panic_fmt
   5: core::result::unwrap_failed
   6: <&dyn billing::Ledger as billing::Post>::post
             at src/ledger.rs:7:1
   7: std::thread::local::LocalKey<T>::with
   8: tokio::runtime::task::harness::Harness<T,S>::poll
   9: std::sys::pal::unix::thread::Thread::new::thread_start
  10: start_thread
  11: clone3
";
        assert_eq!(readable_frames(text), ["<&dyn billing::Ledger as billing::Post>::post at src/ledger.rs:7"]);
    }

    #[test]
    fn a_backtrace_of_only_the_monitor_and_std_has_no_frames() {
        let text =
            "   0: std::backtrace::Backtrace::force_capture\n   1: monitor_runtime::capture::capture_at\n   2: main\n";
        assert!(readable_frames(text).is_empty());
    }

    #[test]
    fn frames_are_bounded_in_number_and_length() {
        let long_name = format!("deep::{}", "é".repeat(400));
        let mut text = format!("   0: {long_name}\n");
        for index in 1..80 {
            text.push_str(&format!("  {index}: deep::level_{index}\n             at src/deep.rs:{index}:1\n"));
        }
        let frames = readable_frames(&text);
        assert_eq!(frames.len(), MAX_FRAMES + 1);
        assert!(frames[0].len() <= MAX_FRAME_BYTES + TRUNCATION_MARKER.len(), "{}", frames[0].len());
        assert!(frames[0].ends_with(TRUNCATION_MARKER));
        assert_eq!(frames[1], "deep::level_1 at src/deep.rs:1");
        assert_eq!(frames[MAX_FRAMES], "… 30 more frames");
    }

    #[test]
    fn a_method_belongs_to_its_types_crate_or_else_to_its_traits() {
        assert_eq!(crate_of("<billing::Invoice as core::fmt::Display>::fmt"), Some("billing"));
        assert_eq!(crate_of("<&mut dyn billing::Ledger as billing::Post>::post"), Some("billing"));
        assert_eq!(
            crate_of(
                "<fn() -> core::result::Result<(), alloc::string::String> as core::ops::function::FnOnce<()>>::call_once"
            ),
            Some("core")
        );
        assert_eq!(crate_of("core::ptr::drop_in_place<monitor_runtime::guard::CallGuard>"), Some("core"));
        assert_eq!(crate_of("__libc_start_main_impl"), None);
    }

    #[test]
    fn a_location_without_a_column_is_kept_whole() {
        assert_eq!(without_column("src/a.rs:12"), "src/a.rs:12");
        assert_eq!(without_column("src/a.rs:12:5"), "src/a.rs:12");
        assert_eq!(without_column("C:\\src\\a.rs:12:5"), "C:\\src\\a.rs:12");
    }
}
