//! The audit event the audit and overhead benchmarks record: a reference,
//! an actor, two masked fields and two plain details.

use monitor::audit::AuditEvent;

#[derive(AuditEvent)]
#[audit(process = "sepa_mandate_creation", action = "create_mandate")]
pub(crate) struct MandateCreated {
    #[audit(reference = "mandate")]
    mandate: u64,
    #[audit(actor)]
    clerk: &'static str,
    #[audit(mask = iban)]
    debtor_iban: &'static str,
    #[audit(mask = email)]
    debtor_email: &'static str,
    amount_cents: u64,
    sequence_type: &'static str,
}

/// Mandate `mandate`, created by one clerk for one debtor.
pub(crate) fn mandate_created(mandate: u64) -> MandateCreated {
    MandateCreated {
        mandate,
        clerk: "clerk-7",
        debtor_iban: "DE89370400440532013000",
        debtor_email: "jane.doe@example.org",
        amount_cents: 12_500,
        sequence_type: "RCUR",
    }
}
