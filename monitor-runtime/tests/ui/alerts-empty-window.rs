fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule too_many_errors { when errors > 10 within 0s; notify ops_chat; }
    };
}
