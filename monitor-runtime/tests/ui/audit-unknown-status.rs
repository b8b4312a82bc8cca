use monitor_runtime::audit::AuditEvent;

#[derive(AuditEvent)]
#[audit(process = "payment_processing", status = approved)]
struct Settled {
    #[audit(reference = "payment")]
    payment: u64,
}

fn main() {}
