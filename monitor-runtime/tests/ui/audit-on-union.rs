use monitor_runtime::audit::AuditEvent;

#[derive(AuditEvent)]
#[audit(process = "payment_processing")]
union Amount {
    cents: u64,
    raw: [u8; 8],
}

fn main() {}
