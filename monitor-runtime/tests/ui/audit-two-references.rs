use monitor_runtime::audit::AuditEvent;

#[derive(AuditEvent)]
#[audit(process = "batch_generation")]
struct BatchGenerated {
    #[audit(reference = "batch")]
    batch: u32,
    #[audit(reference = "mandate")]
    mandate: String,
}

fn main() {}
