//! Stack backtraces of first occurrences and panics.
//!
//! Taking a backtrace has two costs: walking the stack (tens of microseconds
//! in a release build, see BENCHMARKS.md; only the caller's thread can do
//! it, while its stack is there) and
//! resolving each address to a function, file and line (far more: the first
//! time it reads the binary's debug information). The caller's thread pays
//! only the walk, and only for an occurrence that will be delivered and is
//! the first of its group or a panic; the worker resolves it once, trims
//! the monitor's own frames and keeps the text (see `frames`).

mod frames;

use std::fmt;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use frames::{MAX_FRAME_BYTES, MAX_FRAMES};

/// The stack where an event happened, innermost frame first, each frame
/// `function at file:line` (the location when the binary has debug
/// information). The monitor's own frames, the panic machinery above the
/// code that failed and the runtime's start-up frames below it are left
/// out; at most [`MAX_FRAMES`] frames of at most [`MAX_FRAME_BYTES`] each
/// are kept.
///
/// Cloning is cheap (the frames are shared). It serializes as the list of
/// its frames.
///
/// ```
/// use monitor_runtime::Backtrace;
///
/// let backtrace = Backtrace::from_frames(vec!["billing::load_invoice at src/billing.rs:42".to_owned()]);
/// assert_eq!(backtrace.frames(), ["billing::load_invoice at src/billing.rs:42"]);
/// let json = serde_json::to_string(&backtrace).unwrap();
/// assert_eq!(json, r#"["billing::load_invoice at src/billing.rs:42"]"#);
/// assert_eq!(serde_json::from_str::<Backtrace>(&json).unwrap().frames(), backtrace.frames());
/// ```
#[derive(Clone)]
pub struct Backtrace(Arc<Captured>);

struct Captured {
    /// The stack's addresses as the caller's thread took them, until
    /// `frames` resolves them (then dropped: the resolved symbols std keeps
    /// are much larger than the text kept here).
    unresolved: Mutex<Option<std::backtrace::Backtrace>>,
    frames: OnceLock<Vec<String>>,
}

impl Backtrace {
    /// Walks the caller's stack, without resolving it. Ignores
    /// `RUST_BACKTRACE`: whether to take one is the monitor's setting.
    pub(crate) fn capture() -> Self {
        Backtrace(Arc::new(Captured {
            unresolved: Mutex::new(Some(std::backtrace::Backtrace::force_capture())),
            frames: OnceLock::new(),
        }))
    }

    /// A backtrace of frames already resolved (read back from a store, or
    /// received from another process).
    pub fn from_frames(frames: Vec<String>) -> Self {
        Backtrace(Arc::new(Captured { unresolved: Mutex::new(None), frames: OnceLock::from(frames) }))
    }

    /// The frames, innermost first. The first call on a captured backtrace
    /// resolves it (the monitor's worker does, before any sink sees it).
    pub fn frames(&self) -> &[String] {
        self.0.frames.get_or_init(|| {
            let unresolved = self.0.unresolved.lock().take();
            unresolved.map(|backtrace| frames::readable_frames(&backtrace.to_string())).unwrap_or_default()
        })
    }

    /// Whether it has no frame (nothing was left once the monitor's own
    /// frames were trimmed, or the binary has no symbols).
    pub fn is_empty(&self) -> bool {
        self.frames().is_empty()
    }
}

impl fmt::Debug for Backtrace {
    /// Shows the frames once resolved; never resolves them itself, so that
    /// debugging an event on the caller's thread stays cheap.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.frames.get() {
            Some(frames) => f.debug_tuple("Backtrace").field(frames).finish(),
            None => f.write_str("Backtrace(<not resolved yet>)"),
        }
    }
}

impl Serialize for Backtrace {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.frames().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Backtrace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(deserializer).map(Backtrace::from_frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_is_resolved_once_and_then_lets_its_addresses_go() {
        let backtrace = Backtrace::capture();
        assert!(format!("{backtrace:?}").contains("not resolved"));
        let first = backtrace.frames().to_vec();
        assert!(backtrace.0.unresolved.lock().is_none(), "the std backtrace was dropped");
        assert_eq!(backtrace.frames(), first, "the same frames the second time");
        assert!(backtrace.clone().frames().as_ptr() == backtrace.frames().as_ptr(), "clones share them");
    }
}
