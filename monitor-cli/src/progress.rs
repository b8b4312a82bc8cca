//! Progress of long work, on standard error when it is a terminal (a pipe
//! or a log file gets no bar).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A counter of rows with the rate, drawn only on a terminal.
pub(crate) fn rows(what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {human_pos} {msg} ({per_sec}, {elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}
