//! Alert rules at work: a payment service has a bad hour. Two simulated
//! hours pass in a second (a manual clock drives the rules), and every
//! alert is printed as it fires and resolves, with the reason. Nothing is
//! sent: a notifier of the example's own stands in for Slack and e-mail and
//! prints what they would receive.
//!
//! Run with `cargo run --example alerts`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor::alerting::{AlertState, ManualClock, Notification};
use monitor::alerts::Destination;
use monitor::audit::{AuditEvent, audit};
use monitor::{Context, DestinationError, Monitor, Notifier, NotifyError, heartbeat, monitor};
use parking_lot::Mutex;

#[derive(Debug)]
struct GatewayError {
    code: u16,
    payment: u64,
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "payment {} refused by the gateway with code {}", self.payment, self.code)
    }
}

impl std::error::Error for GatewayError {}

#[monitor(severity = error, args(payment))]
fn charge(payment: u64, gateway_down: bool) -> Result<(), GatewayError> {
    if gateway_down && !payment.is_multiple_of(3) { Err(GatewayError { code: 503, payment }) } else { Ok(()) }
}

#[derive(AuditEvent)]
#[audit(process = "sepa_payment_processing", action = "collect", status = failed)]
struct CollectionFailed {
    #[audit(reference = "mandate")]
    mandate: String,
}

/// Prints each notification with the simulated time it went out, instead
/// of delivering it.
#[derive(Clone)]
struct PrintNotifications {
    clock: ManualClock,
    start: SystemTime,
    printed: Arc<Mutex<Vec<Arc<Notification>>>>,
}

impl Notifier for PrintNotifications {
    fn notify(&self, notification: Arc<Notification>) -> Result<(), NotifyError> {
        use monitor::alerting::Clock;
        let minutes = self.clock.now().duration_since(self.start).unwrap_or_default().as_secs() / 60;
        let alert = &notification.alert;
        let state = if alert.state == AlertState::Firing { "FIRING  " } else { "RESOLVED" };
        println!(
            "t+{:>3} min  {state} {:<18} [{}] -> {:<8} {}",
            minutes, alert.rule, alert.severity, notification.destination, alert.summary
        );
        if alert.state == AlertState::Firing
            && let Some(message) = &alert.details.message
        {
            println!("            latest: {message}");
        }
        self.printed.lock().push(notification);
        Ok(())
    }
}

fn main() {
    let rules = monitor::alerts! {
        destination ops_chat = slack("https://hooks.slack.com/services/T000/B000/EXAMPLE");
        destination oncall = email("oncall@example.org");

        rule too_many_errors {
            when errors(severity >= error) > 10 within 15m;
            severity critical;
            notify ops_chat, oncall;
            group_by function;
            group_wait 30s;
        }
        rule new_kind_of_error { when new_group(severity >= error); severity warning; notify ops_chat; group_wait 30s; }
        rule failing_charges {
            when error_rate(function = "alerts::charge") > 20% over 10m with at least 20 calls;
            notify ops_chat;
            group_wait 30s;
        }
        rule failed_collections {
            when audit(process = "sepa_payment_processing", status = failed) > 5 within 1h;
            notify ops_chat;
            group_wait 30s;
        }
        rule health { when absent(heartbeat = "health") for 20m; severity critical; notify oncall; group_wait 30s; }
    };
    let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let clock = ManualClock::new(start);
    let printed = Arc::new(Mutex::new(Vec::new()));
    let printer = PrintNotifications { clock: clock.clone(), start, printed: printed.clone() };
    // Every destination's notifier is the printer: a factory is any function
    // from a destination to its notifier.
    let factory =
        move |_: &Destination| -> Result<Box<dyn Notifier>, DestinationError> { Ok(Box::new(printer.clone())) };
    let guard = Monitor::builder()
        .service("payments")
        .alerts(rules)
        .delivery(factory)
        .clock(clock.clone())
        .install()
        .expect("the monitor installs");

    println!("Two hours of a payment service: the gateway fails from minute 10 to 25, the health check stops at 60.");
    let _request = Context::new().user("batch-runner").enter();
    let mut payment = 0;
    for minute in 0..120u64 {
        let gateway_down = (10..25).contains(&minute);
        for _ in 0..3 {
            payment += 1;
            let _ = charge(payment, gateway_down);
        }
        if gateway_down && minute.is_multiple_of(2) {
            let _ = audit(&CollectionFailed { mandate: format!("MNDT-{payment}") });
        }
        if minute < 60 {
            heartbeat("health");
        }
        // Every simulated minute, in two halves so `group_wait` (30 s) passes.
        for _ in 0..2 {
            guard.flush(Duration::from_secs(5));
            clock.advance(Duration::from_secs(30));
        }
    }
    let stats = guard.shutdown();
    println!(
        "\n{} calls captured {} errors; {} notifications sent, {} inhibited, {} rate limited.",
        payment,
        stats.captured,
        stats.alerts.routed.sent,
        stats.alerts.routed.inhibited,
        stats.alerts.routed.rate_limited
    );
    let printed = printed.lock();
    let fired = |rule: &str| printed.iter().any(|n| n.alert.rule == rule && n.alert.state == AlertState::Firing);
    for rule in ["too_many_errors", "new_kind_of_error", "failing_charges", "failed_collections", "health"] {
        assert!(fired(rule), "the `{rule}` rule should have fired in this scenario");
    }
}
