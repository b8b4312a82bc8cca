use monitor_runtime::audit::AuditEvent;

#[derive(AuditEvent)]
#[audit(process = "member_lifecycle")]
struct MemberCreated {
    #[audit(reference = "member")]
    member: u32,
    #[audit(encrypt)]
    email: String,
}

fn main() {}
