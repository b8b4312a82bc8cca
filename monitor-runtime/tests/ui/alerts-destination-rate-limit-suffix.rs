fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X") at most 30m per minute;
    rule too_many_errors { when errors > 10 within 1h; notify ops_chat; }
    };
}
