use monitor_runtime::monitor;

#[monitor(severity = error, retries = 3)]
fn pay() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = pay();
}
