//! A user crate that denies warnings, `clippy::pedantic` and missing docs,
//! and uses every macro of `monitor-runtime` in the forms users write. The
//! code the macros generate must compile here without a single allowance in
//! this crate: users who deny these lints must be able to use the macros.
//!
//! The items below are written as a careful user would write them, so any
//! lint that fires comes from the generated code.

#![deny(warnings, clippy::pedantic, missing_docs)]
#![deny(unreachable_pub)]

use std::fmt;
use std::num::ParseIntError;

use monitor::alerts::AlertConfig;
use monitor::audit::{AuditEvent, Audited, ComplianceStatus};
use monitor::monitor;

/// The error of the ledger operations below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerError {
    /// What went wrong, as a number.
    pub code: u32,
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ledger error {}", self.code)
    }
}

impl std::error::Error for LedgerError {}

/// Parses an amount of cents; an empty text is zero.
///
/// # Errors
///
/// When the text is not a number.
#[monitor]
pub fn parse_amount(text: &str) -> Result<u64, ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let cents: u64 = text.trim().parse()?;
    Ok(cents)
}

/// Moves `cents` between two accounts; account 0 is closed.
///
/// # Errors
///
/// When either account is closed.
#[monitor(severity = critical, slow = "250ms", name = "ledger::transfer", args(from, to))]
pub fn transfer(from: u32, to: u32, cents: u64) -> Result<u64, LedgerError> {
    if from == 0 || to == 0 {
        return Err(LedgerError { code: 404 });
    }
    Ok(cents)
}

/// Every `severity` a user may write, as an identifier or a string.
///
/// # Errors
///
/// When `fail` is set.
#[monitor(severity = "warning", slow = "1m 30s")]
pub fn check_limit(fail: bool) -> Result<(), LedgerError> {
    if fail { Err(LedgerError { code: 429 }) } else { Ok(()) }
}

/// Appends a line to a journal; returns nothing.
#[monitor]
pub fn journal(lines: &mut Vec<String>, line: &str) {
    lines.push(line.to_owned());
}

/// Doubles an amount: a function returning a plain value.
#[must_use]
#[monitor]
pub fn double(cents: u64) -> u64 {
    cents.saturating_mul(2)
}

/// The largest item, if any: a generic function returning an `Option`.
#[must_use]
#[monitor]
pub fn largest<T: PartialOrd + Copy>(items: &[T]) -> Option<T> {
    let mut best = *items.first()?;
    for &item in items {
        if item > best {
            best = item;
        }
    }
    Some(best)
}

/// The first item, or the given error: generic in its error type too, with
/// a `where` clause.
///
/// # Errors
///
/// `error`, when `items` is empty.
#[monitor(args(error))]
pub fn first_or<T, E>(items: &[T], error: E) -> Result<T, E>
where
    T: Clone,
    E: fmt::Debug,
{
    items.first().cloned().ok_or(error)
}

/// The even numbers below `limit`: a function returning `impl Trait`.
#[monitor]
pub fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

/// Never returns.
///
/// # Panics
///
/// Always, with `reason`.
#[monitor(severity = fatal)]
pub fn give_up(reason: &str) -> ! {
    panic!("giving up: {reason}")
}

/// Hands a panic caught elsewhere on: declared to return, never does.
///
/// # Panics
///
/// Always, with `payload`.
#[monitor]
#[must_use]
pub fn rethrow(payload: Box<dyn std::any::Any + Send>) -> u64 {
    std::panic::resume_unwind(payload)
}

/// The balance of an account, looked up asynchronously.
///
/// # Errors
///
/// When the account is closed (0).
#[monitor(slow = "2s", args(account))]
pub async fn balance(account: u32) -> Result<u64, LedgerError> {
    let balance = std::future::ready(u64::from(account) * 100).await;
    if account == 0 {
        return Err(LedgerError { code: 404 });
    }
    Ok(balance)
}

/// Waits for nothing: an async function returning `()`.
#[monitor]
pub async fn settle() {
    std::future::ready(()).await;
}

/// Entries of a ledger, in cents.
#[derive(Debug, Default)]
pub struct Ledger {
    entries: Vec<i64>,
}

impl Ledger {
    /// The sum of the entries.
    #[must_use]
    #[monitor]
    pub fn total(&self) -> i64 {
        self.entries.iter().sum()
    }

    /// Adds an entry; zero is refused.
    ///
    /// # Errors
    ///
    /// When `cents` is zero.
    #[monitor(severity = warning, args(self, cents))]
    pub fn push(&mut self, cents: i64) -> Result<&mut Self, LedgerError> {
        if cents == 0 {
            return Err(LedgerError { code: 400 });
        }
        self.entries.push(cents);
        Ok(self)
    }

    /// The entries, taking the ledger.
    #[must_use]
    #[monitor(name = "Ledger::into_entries")]
    pub fn into_entries(self) -> Vec<i64> {
        self.entries
    }

    /// The sum, asynchronously.
    ///
    /// # Errors
    ///
    /// When the ledger is empty.
    #[monitor]
    pub async fn total_later(&self) -> Result<i64, LedgerError> {
        std::future::ready(()).await;
        if self.entries.is_empty() {
            return Err(LedgerError { code: 204 });
        }
        Ok(self.total())
    }
}

/// Something that loads entries.
pub trait Store {
    /// The entry at `index`.
    ///
    /// # Errors
    ///
    /// When there is no such entry.
    fn load(&self, index: usize) -> Result<i64, LedgerError>;
}

impl Store for Ledger {
    #[monitor(name = "Ledger::load", args(index))]
    fn load(&self, index: usize) -> Result<i64, LedgerError> {
        self.entries.get(index).copied().ok_or(LedgerError { code: 416 })
    }
}

/// Something that fetches entries asynchronously.
#[monitor::async_trait]
pub trait AsyncStore {
    /// The entry at `index`.
    ///
    /// # Errors
    ///
    /// When there is no such entry.
    async fn fetch(&self, index: usize) -> Result<i64, LedgerError>;
}

#[monitor::async_trait]
impl AsyncStore for Ledger {
    #[monitor(severity = error)]
    async fn fetch(&self, index: usize) -> Result<i64, LedgerError> {
        std::future::ready(()).await;
        self.entries.get(index).copied().ok_or(LedgerError { code: 416 })
    }
}

/// The alert rules of the service: several destinations and every kind of
/// rule.
#[must_use]
pub fn alert_config() -> AlertConfig {
    monitor::alerts! {
        destination ops_chat = slack("https://hooks.slack.com/services/T000/B000/XXXX") at most 30 per minute;
        destination oncall = email("oncall@example.org", "lead@example.org");
        destination hook = webhook("https://alerts.example.org/hook");
        destination console = console;

        schedule office { days "mon-fri"; hours "08:00-18:00"; timezone "Europe/Amsterdam"; }

        rule too_many_errors {
            when errors(severity >= error, module = "billing::*") > 10 within 1h;
            severity critical;
            notify ops_chat, oncall;
            group_by function;
            group_wait 30s;
            group_interval 5m;
            repeat_interval 4h;
        }
        rule slow_payments { when p95(function = "payments::*") > 2s over 15m; severity warning; notify ops_chat; }
        rule failing_payments {
            when error_rate(function = "payments::*") > 5% over 15m with at least 50 calls;
            notify hook;
            during office;
            outside hold;
        }
        rule failed_sepa {
            when audit(process = "sepa_payment_processing", status = failed) > 5 within 1h;
            notify oncall;
        }
        rule new_kind_of_error { when new_group(severity >= error); notify console; }
        rule error_came_back { when regression; notify console; }
        rule health { when absent(heartbeat = "health") for 20m; severity critical; notify oncall; }
        rule memory_high { when memory > 512MiB every 15m; notify ops_chat; }
        rule cpu_high { when cpu > 90; notify ops_chat; during office; outside drop; }
    }
}

/// Turns a name into its initials, for `mask = with_fn(…)`.
#[must_use]
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|word| word.chars().next()).collect()
}

/// A SEPA mandate was created: a struct audit event with every kind of
/// field.
#[derive(AuditEvent)]
#[audit(process = "sepa_mandate_creation", action = "create_mandate", status = compliant)]
pub struct MandateCreated {
    /// The mandate's id.
    #[audit(reference = "mandate")]
    pub mandate_id: String,
    /// Who created it.
    #[audit(actor)]
    pub clerk: String,
    /// The request's trace id.
    #[audit(trace_id)]
    pub trace: String,
    /// The debtor's account.
    #[audit(mask = iban)]
    pub iban: String,
    /// The debtor's card, if any.
    #[audit(mask = card)]
    pub card: Option<String>,
    /// The debtor's e-mail address.
    #[audit(mask = email)]
    pub debtor_email: String,
    /// The debtor's name, kept as initials.
    #[audit(mask = with_fn(initials), rename = "debtor")]
    pub debtor_name: String,
    /// The signature, never recorded.
    #[audit(redact)]
    pub signature: Vec<u8>,
    /// A note that stays out of the record.
    #[audit(skip)]
    pub internal_note: String,
    /// The amount, recorded as it is.
    pub amount_cents: u64,
}

/// What happened to a payment: an enum audit event, one action a variant.
#[derive(AuditEvent)]
#[audit(process = "payment_processing", status = compliant)]
pub enum PaymentEvent {
    /// The payment was settled.
    Settled {
        /// The payment's id.
        #[audit(reference = "payment")]
        payment: u64,
        /// The card charged.
        #[audit(mask = card)]
        card: String,
        /// The payer's account.
        #[audit(mask = iban)]
        iban: String,
    },
    /// The payment was refused.
    #[audit(action = "reject", status = failed)]
    Rejected {
        /// The payment's id.
        #[audit(reference = "payment")]
        payment: u64,
        /// Where the refusal was sent.
        #[audit(mask = email)]
        notified: Option<String>,
        /// Why, in words.
        reason: String,
        /// The bank's raw answer, never recorded.
        #[audit(redact)]
        bank_answer: String,
        /// Not recorded.
        #[audit(skip)]
        retry_token: String,
    },
    /// A reviewer looked at the payment.
    Reviewed(#[audit(reference = "payment")] u64, #[audit(status)] ComplianceStatus, #[audit(skip)] u8),
    /// Payments are paused.
    Paused,
}

/// A generic audit event: the reference may be any printable id.
#[derive(AuditEvent)]
#[audit(process = "exports", action = "export")]
pub struct Exported<Id: fmt::Display> {
    /// What was exported.
    #[audit(reference = "export")]
    pub id: Id,
    /// How many rows.
    pub rows: u32,
}

/// A member whose tracked fields are audited when they change.
#[derive(Audited, Clone, Debug)]
#[audit(process = "member_lifecycle", reference = "member")]
pub struct Member {
    /// The membership number.
    #[audit(id)]
    pub number: u32,
    /// Whether the member is active.
    #[audit(track)]
    pub status: MemberStatus,
    /// The member's e-mail address.
    #[audit(track, mask = email)]
    pub email: String,
    /// The member's bank account, if known.
    #[audit(track, mask = iban)]
    pub iban: Option<String>,
    /// The member's password hash: changes are recorded, values are not.
    #[audit(track, redact)]
    pub password_hash: String,
    /// Not audited.
    pub nickname: String,
}

/// The states of a membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberStatus {
    /// Paying and welcome.
    Active,
    /// Not welcome for now.
    Suspended,
}

/// Types only this crate sees: generated items follow their visibility.
mod internal {
    use monitor::audit::{AuditEvent, Audited};
    use monitor::monitor;

    /// A crate-private audited type.
    #[derive(Audited, Clone)]
    #[audit(process = "accounts", reference = "account")]
    pub(crate) struct Account {
        /// The account number.
        #[audit(id)]
        pub(crate) number: u64,
        /// The holder's e-mail address.
        #[audit(track, mask = email)]
        pub(crate) holder: String,
    }

    /// A crate-private audit event.
    #[derive(AuditEvent)]
    #[audit(process = "accounts", action = "close")]
    pub(crate) struct Closed {
        /// The account.
        #[audit(reference = "account")]
        pub(crate) number: u64,
    }

    /// A private audited type.
    #[derive(Audited)]
    #[audit(process = "accounts")]
    struct Note {
        #[audit(id)]
        id: u32,
        #[audit(track)]
        text: String,
    }

    /// Closes an account; the holder's address changes on the way out.
    #[monitor(args(number))]
    pub(crate) fn close(number: u64) -> Result<(AccountChange, Closed), String> {
        if number == 0 {
            return Err(String::from("no such account"));
        }
        let before = Account { number, holder: String::from("jane@example.org") };
        let after = Account { holder: String::from("closed@example.org"), ..before.clone() };
        let note = Note { id: 1, text: String::from("closing") };
        let unchanged = note.audit_changes(&Note { id: note.id, text: note.text.clone() });
        let mut changes = before.audit_changes(&after);
        match (changes.pop(), unchanged.is_empty()) {
            (Some(change), true) => Ok((change, Closed { number })),
            _ => Err(String::from("unexpected changes")),
        }
    }

    /// Checks one closing.
    pub(crate) fn closing_is_recorded(number: u64) -> bool {
        match close(number) {
            Ok((change, closed)) => {
                change.field == "holder"
                    && change.old == "j***@example.org"
                    && change.audit_record().process == "accounts"
                    && closed.audit_record().action == "close"
            }
            Err(_) => false,
        }
    }
}

/// Closes account `number` and checks what its audit events say.
#[must_use]
pub fn close_account(number: u64) -> bool {
    internal::closing_is_recorded(number)
}

/// A price whose amount is audited: a small `Copy` type with a float.
#[derive(Audited, Clone, Copy, Debug)]
#[audit(process = "pricing", reference = "price")]
pub struct Price {
    /// The product.
    #[audit(id)]
    pub sku: u32,
    /// The amount, in euros.
    #[audit(track)]
    pub amount: f32,
}

/// A document whose id is text.
#[derive(Audited)]
#[audit(process = "documents")]
pub struct Document {
    /// The document's id.
    #[audit(id)]
    pub id: String,
    /// Its title.
    #[audit(track)]
    pub title: String,
    /// Its weight.
    #[audit(track)]
    pub weight: f64,
}

/// Audited, with no field tracked yet.
#[derive(Audited)]
#[audit(process = "tags")]
pub struct Tag {
    /// The tag.
    #[audit(id)]
    pub name: String,
}

/// An audit event that borrows its text.
#[derive(AuditEvent)]
#[audit(process = "imports", action = "import_row", status = pending_review)]
pub struct RowImported<'a> {
    /// The file.
    #[audit(reference = "file")]
    pub file: &'a str,
    /// The payer's account.
    #[audit(mask = iban)]
    pub iban: &'a str,
    /// The payer's e-mail address.
    #[audit(mask = email)]
    pub email: std::borrow::Cow<'a, str>,
    /// The payer's card.
    #[audit(mask = card)]
    pub card: Box<str>,
    /// The payer's other address, if any.
    #[audit(mask = email)]
    pub other_email: Option<&'a str>,
    /// The amount.
    pub amount: f64,
    /// Whether it was a retry.
    pub retry: bool,
}

/// A tuple struct audit event.
#[derive(AuditEvent)]
#[audit(process = "imports", action = "file_skipped", status = exception)]
pub struct FileSkipped(#[audit(reference = "file")] pub String, pub String, #[audit(skip)] pub u8);

/// A unit struct audit event.
#[derive(AuditEvent)]
#[audit(process = "imports")]
pub struct ImportsPaused;

/// An enum of unit variants only.
#[derive(AuditEvent)]
#[audit(process = "maintenance")]
pub enum Maintenance {
    /// Started.
    Started,
    /// Finished.
    #[audit(status = compliant)]
    Finished,
}

/// A generic enum audit event.
#[derive(AuditEvent)]
#[audit(process = "sync")]
pub enum Synced<K>
where
    K: fmt::Display,
{
    /// One key was synced.
    One(#[audit(reference = "key")] K),
    /// Several were.
    Many {
        /// How many.
        count: usize,
    },
}

/// Something with a monitored default method.
pub trait Greeter {
    /// The name to greet.
    fn name(&self) -> &str;

    /// The greeting.
    ///
    /// # Errors
    ///
    /// When the name is empty.
    #[monitor(name = "Greeter::greet")]
    fn greet(&self) -> Result<String, LedgerError> {
        if self.name().is_empty() {
            return Err(LedgerError { code: 400 });
        }
        Ok(format!("hello {}", self.name()))
    }
}

/// A wrapper around any value.
#[derive(Debug)]
pub struct Wrapper<T> {
    value: T,
}

impl<T: fmt::Debug + Clone> Wrapper<T> {
    /// Wraps a value: a constructor returning `Result<Self, _>`.
    ///
    /// # Errors
    ///
    /// Never, in fact.
    #[monitor(args(value))]
    pub fn new(value: T) -> Result<Self, LedgerError> {
        Ok(Self { value })
    }

    /// The value.
    #[must_use]
    #[monitor]
    pub fn get(&self) -> T {
        self.value.clone()
    }

    /// The value, boxed self.
    #[must_use]
    #[monitor(args(self))]
    pub fn unbox(self: Box<Self>) -> T {
        self.value
    }
}

impl Greeter for MandateCreated {
    fn name(&self) -> &str {
        &self.clerk
    }
}

/// Parses two numbers and adds them; has nested items and closures.
///
/// # Errors
///
/// When either text is not a number.
#[inline]
#[monitor(args(pair))]
pub fn add_pair(pair: (&str, &str), mut scale: u64) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    const LIMIT: u64 = 1_000_000;
    fn parse(text: &str) -> Result<u64, ParseIntError> {
        text.trim().parse()
    }
    let (left, right) = pair;
    let sum = parse(left)? + parse(right)?;
    scale = scale.max(1);
    let checked = [sum].iter().map(|n| n.checked_mul(scale).ok_or("overflow")).collect::<Result<Vec<_>, _>>()?;
    if checked[0] > LIMIT {
        return Err("too large".into());
    }
    Ok(checked[0])
}

/// Sums a tuple argument given as a pattern.
#[must_use]
#[monitor]
pub fn sum_pair((left, right): (u32, u32), values: impl IntoIterator<Item = u32>) -> u32 {
    left + right + values.into_iter().sum::<u32>()
}

/// Counts what it is given, asynchronously, through `&mut self`.
#[derive(Debug, Default)]
pub struct Counter {
    seen: u64,
}

impl Counter {
    /// Adds `n`; zero is refused.
    ///
    /// # Errors
    ///
    /// When `n` is zero.
    #[monitor(args(self, n))]
    pub async fn add(&mut self, n: u64) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
        let n = std::future::ready(n).await;
        if n == 0 {
            return Err("nothing to add".into());
        }
        let parsed: u64 = n.to_string().parse()?;
        self.seen += parsed;
        Ok(self.seen)
    }

    /// What was seen, as a stream of digits.
    #[monitor]
    pub async fn digits(&self) -> impl Iterator<Item = char> + use<> {
        std::future::ready(()).await;
        self.seen.to_string().chars().collect::<Vec<_>>().into_iter()
    }

    /// Stops counting early when told to: a unit function with `return;`.
    #[monitor]
    pub fn reset(&mut self, keep: bool) {
        if keep {
            return;
        }
        self.seen = 0;
    }
}

/// The first word of `text`: a borrowed return.
#[must_use]
#[monitor]
pub fn first_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or_default()
}

/// Private types whose derived methods are never called.
mod unused {
    use monitor::audit::Audited;

    /// Audited, but nobody lists its changes.
    #[derive(Audited)]
    #[audit(process = "unused")]
    pub(crate) struct Draft {
        #[audit(id)]
        pub(crate) id: u32,
        #[audit(track)]
        pub(crate) body: String,
    }

    pub(crate) fn draft() -> Draft {
        Draft { id: 1, body: String::new() }
    }
}

/// Makes a draft and looks at it.
#[must_use]
pub fn draft_id() -> u32 {
    let draft = unused::draft();
    if draft.body.is_empty() { draft.id } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::{LedgerError, monitor};

    #[monitor(severity = info)]
    fn helper(fail: bool) -> Result<u8, LedgerError> {
        if fail { Err(LedgerError { code: 1 }) } else { Ok(1) }
    }

    #[test]
    fn helpers_in_tests_are_monitored_too() {
        assert_eq!(helper(false), Ok(1));
        assert!(helper(true).is_err());
    }
}
