fn main() {
    let _config = monitor_runtime::alerts! {
    destination sms = webhook(
        "https://sms.example.org/send",
        form,
        field To = "+31600000000",
        field Body = "{titel}",
        max_chars Body = 160,
    );
    rule too_many_errors { when errors > 10 within 1h; notify sms; }
    };
}
