fn main() {
    let _config = monitor_runtime::alerts! {
    destination hook = webhook("http://alerts.example.org/hook");
    rule too_many_errors { when errors > 10 within 1h; notify hook; }
    };
}
