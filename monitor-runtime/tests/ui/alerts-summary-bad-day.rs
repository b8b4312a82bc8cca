fn main() {
    let _config = monitor_runtime::alerts! {
    destination ops = console;
    summary review { weekly on "fryday" at "17:30"; notify ops; }
    };
}
