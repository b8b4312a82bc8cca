fn main() {
    // A token written where the name of its variable belongs: refused, and not repeated.
    let _config = monitor_runtime::alerts! {
    destination sms = webhook("https://sms.example.org/send", form, field Body = "{title}", auth = bearer("Bearer sk-9f8e7d"));
    rule too_many_errors { when errors > 10 within 1h; notify sms; }
    };
}
