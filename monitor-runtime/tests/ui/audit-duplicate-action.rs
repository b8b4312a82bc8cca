use monitor_runtime::audit::AuditEvent;

#[derive(AuditEvent)]
#[audit(process = "member_lifecycle")]
enum MemberEvent {
    #[audit(action = "status_changed")]
    Suspended { member: u32 },
    #[audit(action = "status_changed")]
    Reactivated { member: u32 },
}

fn main() {}
