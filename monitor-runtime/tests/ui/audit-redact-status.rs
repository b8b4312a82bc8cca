use monitor_runtime::audit::{AuditEvent, ComplianceStatus};

#[derive(AuditEvent)]
#[audit(process = "payment_processing", action = "settle")]
struct Settled {
    #[audit(reference = "payment")]
    payment: String,
    #[audit(status, redact)]
    outcome: ComplianceStatus,
}

fn main() {}
