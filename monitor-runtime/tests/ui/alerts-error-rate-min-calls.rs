fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule no_calls { when error_rate(function = "refund") > 20% over 10m with at least 0 calls; notify ops_chat; }
    rule no_at_least { when error_rate(function = "refund") > 20% over 10m with 50 calls; notify ops_chat; }
    };
}
