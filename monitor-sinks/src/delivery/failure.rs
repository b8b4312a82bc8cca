//! What a notification says about where the failure happened: the error's
//! chain and location, then the innermost frames of its backtrace.
//!
//! A chat message shows only the frames nearest the failure
//! ([`CHAT_BACKTRACE_FRAMES`]), which is where people look first; the whole
//! backtrace is in the store, the generic webhook body and the e-mail.

use monitor_runtime::alerting::AlertDetails;

/// Frames of a backtrace a chat message (Slack, Discord, Teams) shows.
pub(crate) const CHAT_BACKTRACE_FRAMES: usize = 8;

/// The traceback lines, then (after a blank line) the first `frames` frames
/// of the backtrace and how many more it has; empty when there is neither.
pub(crate) fn failure_text(details: &AlertDetails, frames: usize) -> String {
    let mut parts = Vec::new();
    if !details.traceback.is_empty() {
        parts.push(details.traceback.join("\n"));
    }
    if !details.backtrace.is_empty() {
        let mut shown = details.backtrace.iter().take(frames).cloned().collect::<Vec<_>>().join("\n");
        let left_out = details.backtrace.len().saturating_sub(frames);
        if left_out > 0 {
            shown.push_str(&format!("\n… {left_out} more frames"));
        }
        parts.push(format!("backtrace:\n{shown}"));
    }
    parts.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_then_the_innermost_frames_and_a_count_of_the_others() {
        let details = AlertDetails {
            traceback: vec!["connection reset".into(), "at src/bank.rs:9".into()],
            backtrace: (0..12).map(|n| format!("bank::frame_{n} at src/bank.rs:{n}")).collect(),
            ..AlertDetails::default()
        };
        let text = failure_text(&details, 3);
        assert_eq!(
            text,
            "connection reset\nat src/bank.rs:9\n\nbacktrace:\nbank::frame_0 at src/bank.rs:0\n\
             bank::frame_1 at src/bank.rs:1\nbank::frame_2 at src/bank.rs:2\n… 9 more frames"
        );
        assert_eq!(failure_text(&AlertDetails::default(), 3), "");
        let only_frames = AlertDetails { backtrace: vec!["bank::pay".into()], ..AlertDetails::default() };
        assert_eq!(failure_text(&only_frames, 3), "backtrace:\nbank::pay");
    }
}
