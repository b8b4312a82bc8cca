fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops = console;
    summary morning { daily at "08:00"; timezone "Europe/Amsterdm"; notify ops; }
    };
}
