fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule too_many_errors { when errors > 0 within 30d; notify ops_chat; }
    };
}
