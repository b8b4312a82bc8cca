use monitor_runtime::monitor;

struct Secret;

#[monitor(args(secret))]
fn pay(secret: Secret) -> Result<(), String> {
    let _ = secret;
    Ok(())
}

fn main() {
    let _ = pay(Secret);
}
