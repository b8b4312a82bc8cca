use monitor_runtime::monitor;

#[monitor(slow = "250 milliseconds-ish")]
fn pay() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = pay();
}
