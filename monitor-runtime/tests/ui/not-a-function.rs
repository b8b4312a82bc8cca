use monitor_runtime::monitor;

#[monitor]
struct Invoice {
    id: u64,
}

fn main() {
    let _ = Invoice { id: 1 }.id;
}
