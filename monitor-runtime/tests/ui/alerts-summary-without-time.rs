fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops = console;
    summary morning { timezone "UTC"; notify ops; }
    };
}
