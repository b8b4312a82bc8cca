fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops = console;
    summary morning { daily at "8:00am"; timezone "Europe/Amsterdam"; notify ops; }
    };
}
