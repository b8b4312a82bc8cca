use monitor_runtime::monitor;

#[monitor(severity = severe)]
fn pay() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = pay();
}
