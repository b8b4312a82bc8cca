//! The fleet task: on the worker's runtime, every status sync interval, it
//! asks the fleet source whether this instance leads and, if it does, for
//! the counts of the longest fleet window; the worker hands what it learnt
//! to the rules at its next look.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::alerting::{FleetLook, FleetSource};

use super::Shared;
use super::sinks::report_sink_error;

/// How many intervals a leader that stops asking keeps the lead, where the
/// store cannot tell that its process died.
const LEASE_INTERVALS: u32 = 3;

pub(super) async fn lead_the_fleet(source: Arc<dyn FleetSource>, shared: Arc<Shared>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let window = Duration::from_millis(shared.fleet_window_ms.load(Relaxed));
        if window.is_zero() {
            continue;
        }
        let look = match source.lead(every * LEASE_INTERVALS).await {
            Ok(true) => {
                // The minute the window starts in counts whole.
                let since = shared.now().checked_sub(window + Duration::from_secs(60)).unwrap_or(std::time::UNIX_EPOCH);
                match source.counts_since(since).await {
                    Ok(counts) => FleetLook::Leading(counts),
                    Err(error) => {
                        report_sink_error("fleet", &error, "reading the fleet's counts");
                        continue;
                    }
                }
            }
            Ok(false) => FleetLook::Following,
            Err(error) => {
                report_sink_error("fleet", &error, "taking the fleet's lead");
                FleetLook::Following
            }
        };
        *shared.fleet_look.lock() = Some(look);
    }
}
