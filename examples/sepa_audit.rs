//! A SEPA direct-debit flow and a membership lifecycle, recorded as typed
//! audit events in a hash-chained SQLite log: mandate creation, batch
//! generation, bank submission and payment processing, with successes and
//! failures; then the chain is verified and summarised per process.
//!
//! Run with `cargo run --example sepa_audit` (writes `audit.db`, or the path
//! in `MONITOR_AUDIT_DB`; with `MONITOR_DATABASE_URL=postgres://…` the
//! PostgreSQL database instead, and says which).

use std::collections::BTreeMap;

use monitor::Monitor;
use monitor::audit::{AuditEvent, Audited, ComplianceStatus, audit};
use monitor::store::AuditQuery;
use monitor_examples::Database;

#[derive(AuditEvent)]
#[audit(process = "sepa_mandate_creation")]
enum MandateEvent {
    #[audit(action = "create_mandate")]
    Created {
        #[audit(reference = "mandate")]
        mandate: String,
        #[audit(actor)]
        clerk: String,
        #[audit(mask = iban)]
        debtor_iban: String,
        #[audit(mask = email)]
        debtor_email: String,
    },
    #[audit(action = "reject_mandate", status = failed)]
    Rejected {
        #[audit(reference = "mandate")]
        mandate: String,
        reason: String,
    },
}

#[derive(AuditEvent)]
#[audit(process = "sepa_batch_generation", action = "generate_batch")]
struct BatchGenerated {
    #[audit(reference = "batch")]
    batch: String,
    #[audit(status)]
    status: ComplianceStatus,
    mandates: u32,
    total_cents: u64,
}

#[derive(AuditEvent)]
#[audit(process = "sepa_bank_submission", action = "submit_batch")]
struct BankSubmission {
    #[audit(reference = "batch")]
    batch: String,
    #[audit(status)]
    status: ComplianceStatus,
    bank_response: String,
}

#[derive(AuditEvent)]
#[audit(process = "sepa_payment_processing", action = "collect")]
struct PaymentCollected {
    #[audit(reference = "payment")]
    payment: String,
    #[audit(status)]
    status: ComplianceStatus,
    #[audit(mask = iban)]
    debtor_iban: String,
    amount_cents: u64,
}

#[derive(Audited, Clone)]
#[audit(process = "member_lifecycle", reference = "member")]
struct Member {
    #[audit(id)]
    number: u32,
    #[audit(track)]
    status: MemberStatus,
    #[audit(track, mask = email)]
    email: String,
}

#[derive(Clone, Debug, PartialEq)]
enum MemberStatus {
    Applied,
    Active,
    Terminated,
}

#[derive(AuditEvent)]
#[audit(process = "member_lifecycle", action = "member_created")]
struct MemberCreated {
    #[audit(reference = "member")]
    number: u32,
    #[audit(mask = email)]
    email: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database = Database::from_env("MONITOR_AUDIT_DB", "audit.db")?;
    println!("recording in {}\n", database.describe);
    let guard = database.sink(Monitor::builder().service("membership-billing")).install()?;

    let ibans = ["DE89370400440532013000", "NL91ABNA0417164300", "FR1420041010050500013M02606"];
    for (i, iban) in ibans.iter().enumerate() {
        audit(&MandateEvent::Created {
            mandate: format!("MNDT-2026-{i:04}"),
            clerk: "clerk-7".into(),
            debtor_iban: (*iban).into(),
            debtor_email: format!("member{i}@example.org"),
        })?;
    }
    audit(&MandateEvent::Rejected {
        mandate: "MNDT-2026-0099".into(),
        reason: "IBAN check digits do not match".into(),
    })?;
    audit(&BatchGenerated {
        batch: "BATCH-2026-11".into(),
        status: ComplianceStatus::Compliant,
        mandates: 3,
        total_cents: 37_500,
    })?;
    audit(&BankSubmission {
        batch: "BATCH-2026-11".into(),
        status: ComplianceStatus::PendingReview,
        bank_response: "accepted for processing".into(),
    })?;
    for (i, iban) in ibans.iter().enumerate() {
        let status = if i == 2 { ComplianceStatus::Failed } else { ComplianceStatus::Compliant };
        audit(&PaymentCollected {
            payment: format!("PAY-{i:04}"),
            status,
            debtor_iban: (*iban).into(),
            amount_cents: 12_500,
        })?;
    }
    audit(&PaymentCollected {
        payment: "PAY-0002-RETRY".into(),
        status: ComplianceStatus::Exception,
        debtor_iban: ibans[2].into(),
        amount_cents: 12_500,
    })?;

    let applied = Member { number: 1042, status: MemberStatus::Applied, email: "jane@example.org".into() };
    audit(&MemberCreated { number: applied.number, email: applied.email.clone() })?;
    let active = Member { status: MemberStatus::Active, ..applied.clone() };
    let moved = Member { email: "jane.doe@newmail.example".into(), ..active.clone() };
    let terminated = Member { status: MemberStatus::Terminated, ..moved.clone() };
    for (before, after) in [(&applied, &active), (&active, &moved), (&moved, &terminated)] {
        for change in before.audit_changes(after) {
            audit(&change)?;
        }
    }

    let stats = guard.shutdown();
    println!(
        "recorded {} audit records, stored {}",
        stats.audits_queued,
        stats.audits_delivered.get(database.sink_name).copied().unwrap_or(0)
    );

    let store = database.store()?;
    let report = store.verify_audit_chain().await?;
    match &report.first_broken {
        None => println!("audit chain: intact ({} rows checked)", report.rows),
        Some(broken) => println!("audit chain: BROKEN at row {}: {}", broken.seq, broken.reason),
    }
    println!("\n{:<26} {:<15} {:>5}", "process", "status", "rows");
    let mut summary: BTreeMap<(String, &str), u64> = BTreeMap::new();
    for row in store.audit_records(&AuditQuery { limit: usize::MAX, ..AuditQuery::default() }).await? {
        *summary.entry((row.process, row.status.as_str())).or_default() += 1;
    }
    for ((process, status), count) in summary {
        println!("{process:<26} {status:<15} {count:>5}");
    }
    println!("\nthe log is in {}", database.describe);
    if database.is_sqlite() {
        let path = &database.location;
        println!("try: sqlite3 {path} 'SELECT seq, process, action, status, details FROM audit_log'");
    }
    Ok(())
}
