use monitor_runtime::monitor;

#[monitor]
const fn limit() -> u64 {
    5_000
}

fn main() {
    let _ = limit();
}
