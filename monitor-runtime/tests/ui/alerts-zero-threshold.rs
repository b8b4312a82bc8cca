fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule any_error { when errors > 0 within 1h; notify ops_chat; }
    };
}
