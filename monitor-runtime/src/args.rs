//! The arguments named in `#[monitor(args(…))]`, kept so that their `Debug`
//! text is written only for a call that fails, panics or is slow, and only
//! when that occurrence becomes an event (a repeat inside its dedup window
//! formats nothing).
//!
//! The body may move or mutate an argument, so a guard cannot hold a
//! reference to it. What it can hold without touching the body's borrows is
//! a copy: an argument whose type is `Copy` (numbers, ids, `&T`, `&str`,
//! tuples of those) is copied when the call starts and formatted later, if
//! ever. Any other argument (an owned `String`, a `&mut T`, a generic `T`
//! without a `Copy` bound) may be gone by the time the call fails, so it is
//! formatted when the call starts, as the only moment it surely exists (only
//! while a monitor is installed, and cut at [`MAX_ARG_BYTES`] while it is
//! written). The choice is made at compile time by the same autoref
//! specialisation as in `observe`.
//!
//! A `Debug` impl that panics is the monitor's problem, not the host's: the
//! panic is caught (quietly, see `panic_hook::quietly`), the argument's text
//! becomes [`DEBUG_PANICKED`], and the call goes on exactly as it would
//! without `args(…)`.

use std::borrow::Cow;
use std::fmt;

use crate::bounded;

/// Longest `Debug` text kept for one argument; the rest is cut while it is
/// written, so a huge argument costs no more than this.
pub(crate) const MAX_ARG_BYTES: usize = 1024;

/// The text of an argument whose `Debug` impl panicked.
pub(crate) const DEBUG_PANICKED: &str = "<Debug panicked>";

/// Writes `value`'s `Debug` text, cut at [`MAX_ARG_BYTES`], or
/// [`DEBUG_PANICKED`] if its `Debug` impl panics.
fn write_arg(out: &mut String, value: &dyn fmt::Debug) {
    let mut text = String::new();
    match crate::panic_hook::quietly(|| bounded::write_debug(&mut text, value, MAX_ARG_BYTES)) {
        Some(()) => out.push_str(&text),
        None => out.push_str(DEBUG_PANICKED),
    }
}

/// The arguments' names and texts, as events carry them.
pub(crate) type ArgTexts = Vec<(Cow<'static, str>, String)>;

/// Wraps an argument for the keepers below; the second field is the same
/// argument as `&dyn Debug`, which makes an argument without `Debug` a
/// compile error that points at its name.
#[doc(hidden)]
pub struct ArgProbe<'a, T>(pub &'a T, pub &'a dyn fmt::Debug);

/// A `Copy` argument: keep a copy, format it only if needed.
#[doc(hidden)]
pub trait KeepCopy<T> {
    fn __monitor_keep(&self) -> CopiedArg<T>;
}

impl<T: Copy + fmt::Debug> KeepCopy<T> for &ArgProbe<'_, T> {
    #[inline]
    fn __monitor_keep(&self) -> CopiedArg<T> {
        CopiedArg(*self.0)
    }
}

/// Any other argument: format it now, while it surely exists.
#[doc(hidden)]
pub trait KeepFormatted {
    fn __monitor_keep(&self) -> FormattedArg;
}

impl<T> KeepFormatted for ArgProbe<'_, T> {
    fn __monitor_keep(&self) -> FormattedArg {
        if !crate::pipeline::is_installed() {
            return FormattedArg(None);
        }
        let mut text = String::new();
        write_arg(&mut text, self.1);
        FormattedArg(Some(text))
    }
}

/// A copy of a `Copy` argument.
#[doc(hidden)]
pub struct CopiedArg<T>(T);

/// The text of an argument formatted when the call started (`None` when no
/// monitor was installed then).
#[doc(hidden)]
pub struct FormattedArg(Option<String>);

/// One kept argument.
#[doc(hidden)]
pub trait KeptArg {
    /// Writes the argument's `Debug` text, cut at [`MAX_ARG_BYTES`] (or
    /// [`DEBUG_PANICKED`]).
    fn write_text(&self, out: &mut String);
}

impl<T: fmt::Debug> KeptArg for CopiedArg<T> {
    fn write_text(&self, out: &mut String) {
        write_arg(out, &self.0);
    }
}

impl KeptArg for FormattedArg {
    fn write_text(&self, out: &mut String) {
        out.push_str(self.0.as_deref().unwrap_or("(not recorded: no monitor was installed when the call started)"));
    }
}

/// The kept arguments of a call, as a list `(first, (second, ()))`, so any
/// number of them has one type without a limit.
#[doc(hidden)]
pub trait KeptArgs {
    /// No arguments were named: nothing to format.
    const NONE: bool;

    /// Pushes each argument's name (from `names`, in order) and text.
    fn push_texts(&self, names: &[&'static str], out: &mut ArgTexts);
}

impl KeptArgs for () {
    const NONE: bool = true;

    fn push_texts(&self, _names: &[&'static str], _out: &mut ArgTexts) {}
}

impl<Head: KeptArg, Tail: KeptArgs> KeptArgs for (Head, Tail) {
    const NONE: bool = false;

    fn push_texts(&self, names: &[&'static str], out: &mut ArgTexts) {
        let Some((name, rest)) = names.split_first() else { return };
        let mut text = String::new();
        self.0.write_text(&mut text);
        out.push((Cow::Borrowed(*name), text));
        self.1.push_texts(rest, out);
    }
}
