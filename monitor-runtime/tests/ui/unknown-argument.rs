use monitor_runtime::monitor;

#[monitor(args(member_id, amount))]
fn pay(member: u64, amount: u64) -> Result<u64, String> {
    Ok(member + amount)
}

fn main() {
    let _ = pay(1, 2);
}
