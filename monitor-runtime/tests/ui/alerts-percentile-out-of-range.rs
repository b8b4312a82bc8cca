fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule slow_payments { when p101(function = "payments::*") > 2s over 15m; notify ops_chat; }
    };
}
