fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops_chat = slack("https://hooks.slack.com/services/T0/B0/X");
    rule failed_sepa { when audit(status = failed) > 5 within 1h; notify ops_chat; group_by function; }
    };
}
