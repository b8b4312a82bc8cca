use monitor_runtime::monitor;

#[monitor(severity = error, severity = critical)]
fn pay() {}

fn main() {
    pay();
}
