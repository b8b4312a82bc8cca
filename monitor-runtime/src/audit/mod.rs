//! Typed audit events: what a business process did, to which object, by
//! whom, with what compliance status.
//!
//! Derive [`AuditEvent`] on a domain type (see the `AuditEvent` derive
//! macro) and record it with [`audit`]. Audit records travel through the
//! same non-blocking pipeline as errors but are never deduplicated or
//! sampled; when the queue is full, [`audit`] waits for space for a bounded
//! time and reports a failure instead of dropping silently. Sensitive fields
//! are masked by the generated code, so the raw value never leaves the type.

pub(crate) mod record;

pub use monitor_macros::{AuditEvent, Audited};

pub use monitor_rules::vocabulary::{mask_card, mask_email, mask_iban};
pub use record::{AuditRecord, AuditRecordBuilder, ComplianceStatus, MAX_DETAIL_BYTES, MAX_DETAILS_BYTES, Reference};

use std::fmt;
use std::time::Duration;

use crate::pipeline::{self, Refused};
use crate::scrub::Scrubber;

/// Whether a field name names a secret, by the default sensitive keys (`password`, `api_token`,
/// `pin`, …). `#[derive(Audited)]` redacts the old and new values of a tracked field so named
/// unless the field says how to `mask` it.
///
/// ```
/// assert!(monitor_runtime::audit::is_sensitive_name("password_hash"));
/// assert!(!monitor_runtime::audit::is_sensitive_name("email_verified"));
/// ```
pub fn is_sensitive_name(name: &str) -> bool {
    static DEFAULT: std::sync::LazyLock<Scrubber> = std::sync::LazyLock::new(Scrubber::new);
    DEFAULT.is_sensitive_key(name)
}

/// A type that can be recorded as an audit record. Derive it with
/// `#[derive(AuditEvent)]`.
///
/// ```
/// use monitor_runtime::audit::{AuditEvent, ComplianceStatus};
///
/// #[derive(AuditEvent)]
/// #[audit(process = "sepa_mandate_creation", action = "create_mandate", status = compliant)]
/// struct MandateCreated {
///     #[audit(reference = "mandate")]
///     mandate_id: String,
///     #[audit(actor)]
///     clerk: String,
///     #[audit(mask = iban)]
///     iban: String,
///     amount_cents: u64,
/// }
///
/// let event = MandateCreated {
///     mandate_id: "MNDT-0001".into(),
///     clerk: "clerk-7".into(),
///     iban: "NL91ABNA0417164300".into(),
///     amount_cents: 1250,
/// };
/// let record = event.audit_record();
/// assert_eq!(record.process, "sepa_mandate_creation");
/// assert_eq!(record.status, ComplianceStatus::Compliant);
/// assert_eq!(record.reference.as_ref().unwrap().id, "MNDT-0001");
/// assert_eq!(record.details["iban"], "NL91****4300");
/// assert_eq!(record.details["amount_cents"], 1250);
/// ```
pub trait AuditEvent {
    /// The record to store: process, action, status, reference, actor and
    /// the (already masked) details.
    fn audit_record(&self) -> AuditRecord;
}

/// How long [`audit`] waits for space in a full queue before reporting
/// [`AuditError::QueueTimeout`].
pub const AUDIT_QUEUE_TIMEOUT: Duration = Duration::from_millis(250);

/// Why an audit record could not be handed to the pipeline. Every failure is
/// also counted in `stats().dropped` under `audit_<reason>`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditError {
    /// No monitor is installed: nothing would store the record.
    NotInstalled,
    /// The queue stayed full for [`AUDIT_QUEUE_TIMEOUT`].
    QueueTimeout,
    /// The monitor is shutting down.
    ShutDown,
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditError::NotInstalled => {
                f.write_str("no monitor is installed, so the audit record was not stored; call install() at start-up")
            }
            AuditError::QueueTimeout => write!(
                f,
                "the monitor's queue stayed full for {AUDIT_QUEUE_TIMEOUT:?}; the audit record was not stored (raise queue_capacity or check the sinks)"
            ),
            AuditError::ShutDown => f.write_str("the monitor is shutting down; the audit record was not stored"),
        }
    }
}

impl std::error::Error for AuditError {}

/// Records an audit event. Never deduplicated or sampled; waits at most
/// [`AUDIT_QUEUE_TIMEOUT`] for space when the queue is full.
///
/// ```
/// use monitor_runtime::audit::{audit, AuditEvent};
/// use monitor_runtime::{MemorySink, Monitor};
///
/// #[derive(AuditEvent)]
/// #[audit(process = "payment_processing", action = "settle", status = compliant)]
/// struct Settled {
///     #[audit(reference = "payment")]
///     payment_id: u64,
/// }
///
/// let sink = MemorySink::new();
/// let guard = Monitor::builder().sink(sink.clone()).install().unwrap();
/// audit(&Settled { payment_id: 7 }).unwrap();
/// audit(&Settled { payment_id: 7 }).unwrap(); // twice: both are kept
/// guard.shutdown();
/// assert_eq!(sink.audits().len(), 2);
/// ```
pub fn audit<E: AuditEvent + ?Sized>(event: &E) -> Result<(), AuditError> {
    pipeline::with_current(|shared| {
        let record = with_context(event.audit_record(), shared);
        shared.submit_audit(record, AUDIT_QUEUE_TIMEOUT).map_err(AuditError::from)
    })
    .unwrap_or(Err(AuditError::NotInstalled))
}

/// [`audit`] for async code: when the queue is full it waits for space on
/// tokio's blocking pool, not on the executor's thread, at most
/// [`AUDIT_QUEUE_TIMEOUT`].
///
/// ```
/// use monitor_runtime::audit::{audit_async, AuditEvent};
///
/// #[derive(AuditEvent)]
/// #[audit(process = "bank_submission", action = "submit", status = pending_review)]
/// struct Submitted {
///     #[audit(reference = "batch")]
///     batch: u32,
/// }
///
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # rt.block_on(async {
/// let guard = monitor_runtime::Monitor::builder().install().unwrap();
/// audit_async(&Submitted { batch: 12 }).await.unwrap();
/// assert_eq!(guard.shutdown().audits_queued, 1);
/// # });
/// ```
pub async fn audit_async<E: AuditEvent + ?Sized>(event: &E) -> Result<(), AuditError> {
    let Some(shared) = pipeline::current() else { return Err(AuditError::NotInstalled) };
    let record = with_context(event.audit_record(), &shared);
    shared.submit_audit_async(record, AUDIT_QUEUE_TIMEOUT).await.map_err(AuditError::from)
}

impl From<Refused> for AuditError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Full => AuditError::QueueTimeout,
            Refused::ShutDown => AuditError::ShutDown,
        }
    }
}

fn with_context(mut record: AuditRecord, shared: &pipeline::Shared) -> AuditRecord {
    // No scope entered is the common case: then only the service's own
    // context applies, and nothing is allocated for an empty one.
    let scope = crate::context::current_arc();
    let scope = scope.as_deref();
    if record.trace_id.is_none() {
        record.trace_id = scope.and_then(|context| context.trace_id.clone());
    }
    if record.actor.is_none() {
        record.actor = scope.and_then(|context| context.user.clone());
    }
    record.service =
        scope.and_then(|context| context.service.clone()).or_else(|| shared.base_context().service.clone());
    record
}
