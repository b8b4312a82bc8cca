fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule slow_payments { when p95(function = "payments::*") > 0s over 15m; notify ops_chat; }
    };
}
