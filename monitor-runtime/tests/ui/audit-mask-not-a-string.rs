use monitor_runtime::audit::AuditEvent;

#[derive(AuditEvent)]
#[audit(process = "payment_processing")]
struct Settled {
    #[audit(reference = "payment")]
    payment: u64,
    #[audit(mask = card)]
    card_number: u64,
}

fn main() {}
