use monitor_runtime::audit::AuditEvent;

#[derive(AuditEvent)]
#[audit(action = "create_mandate")]
struct MandateCreated {
    #[audit(reference = "mandate")]
    mandate_id: String,
}

fn main() {}
