fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule fleet_errors { when errors > 100 within 30s across fleet; notify ops_chat; }
    };
}
