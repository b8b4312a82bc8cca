fn main() {
    let _config = monitor_runtime::alerts! {
    destination am = alertmanager("http://127.0.0.1:9093");
    summary morning { daily at "08:00"; notify am; }
    };
}
