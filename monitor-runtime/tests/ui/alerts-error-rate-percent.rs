fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule none_failed { when error_rate(function = "payments::*") > 0% over 15m; notify ops_chat; }
    rule more_than_all { when error_rate(function = "payments::*") > 150% over 15m; notify ops_chat; }
    rule no_percent_sign { when error_rate(function = "payments::*") > 5 over 15m; notify ops_chat; }
    };
}
