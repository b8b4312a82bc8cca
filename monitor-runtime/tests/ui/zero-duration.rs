use monitor_runtime::monitor;

#[monitor(slow = "0ms")]
fn pay() {}

fn main() {
    pay();
}
