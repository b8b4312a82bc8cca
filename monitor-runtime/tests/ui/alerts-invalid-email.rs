fn main() {
    let _config = monitor_runtime::alerts! {
    destination oncall = email("oncall.example.org");
    rule too_many_errors { when errors > 10 within 1h; notify oncall; }
    };
}
