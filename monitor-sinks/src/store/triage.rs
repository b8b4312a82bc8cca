//! Triage that persists: an operator's change to a group (status,
//! assignee, note), the history it leaves, and the audit record every
//! change writes (process `monitoring`, actor = who).

use std::borrow::Cow;
use std::time::SystemTime;

use monitor_runtime::audit::{AuditRecord, AuditRecordBuilder, ComplianceStatus};
use monitor_runtime::{GroupKey, GroupStatus, SinkErrorKind};
use serde_json::Value;

use super::StoreError;

/// The audit process operator actions are recorded under.
pub const OPERATOR_PROCESS: &str = "monitoring";

/// Who the group history names when a resolved group is seen again and
/// reopens (a regression): the monitor, not an operator.
pub const REGRESSION_ACTOR: &str = "monitor (seen again)";

/// The history entries of regressions, in SQL both stores read: a status
/// taken from `resolved` to `open` by [`REGRESSION_ACTOR`].
pub(crate) const REGRESSION_ENTRY: &str =
    "actor = 'monitor (seen again)' AND field = 'status' AND from_value = 'resolved' AND to_value = 'open'";

/// `groups` in the order of `keys` (a query returns them in its own order).
pub(crate) fn in_key_order(mut groups: Vec<super::StoredGroup>, keys: &[GroupKey]) -> Vec<super::StoredGroup> {
    groups.sort_by_key(|group| keys.iter().position(|key| *key == group.key));
    groups
}

/// The longest note a change may carry, in bytes.
pub const MAX_NOTE_BYTES: usize = 16 * 1024;

/// A triage change to one group ([`Store::change_group`](super::Store::change_group))
/// or to every group a query matches ([`Store::change_groups`](super::Store::change_groups)):
/// who makes it, and any of a new status, a new assignee and a note.
///
/// ```
/// use monitor_runtime::GroupStatus;
/// use monitor_sinks::store::GroupChange;
///
/// let change = GroupChange::by("alice").status(GroupStatus::Investigating).assign("bob").note("looks like the bank's cut-off");
/// assert!(change.validate().is_ok());
/// assert!(GroupChange::by("alice").validate().is_err(), "nothing to change");
/// assert!(GroupChange::by(" ").status(GroupStatus::Resolved).validate().is_err(), "nobody");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupChange {
    /// Who makes the change (a user name, an e-mail address, a token's name).
    pub by: String,
    /// The new status, if it changes.
    pub status: Option<GroupStatus>,
    /// The new assignee: `Some(None)` takes the assignment away.
    pub assignee: Option<Option<String>>,
    /// A note to keep with the group.
    pub note: Option<String>,
}

impl GroupChange {
    /// A change made by `who`, changing nothing yet.
    pub fn by(who: impl Into<String>) -> Self {
        GroupChange { by: who.into(), status: None, assignee: None, note: None }
    }

    /// Sets the status.
    pub fn status(mut self, status: GroupStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Assigns the group to `who`.
    pub fn assign(mut self, who: impl Into<String>) -> Self {
        self.assignee = Some(Some(who.into()));
        self
    }

    /// Takes the assignment away.
    pub fn unassign(mut self) -> Self {
        self.assignee = Some(None);
        self
    }

    /// Adds a note.
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.note = Some(text.into());
        self
    }

    /// Checks the change before any store applies it: someone makes it,
    /// it changes something, and the note is not too long.
    pub fn validate(&self) -> Result<(), StoreError> {
        let refuse = |message: String| Err(StoreError { kind: SinkErrorKind::Other, message });
        if self.by.trim().is_empty() {
            return refuse("a triage change needs the name of who makes it (GroupChange::by)".to_owned());
        }
        if self.status.is_none() && self.assignee.is_none() && self.note.is_none() {
            return refuse("the triage change changes nothing: give a status, an assignee or a note".to_owned());
        }
        if let Some(note) = &self.note {
            if note.trim().is_empty() {
                return refuse("the note is empty: write something or leave the note out".to_owned());
            }
            if note.len() > MAX_NOTE_BYTES {
                return refuse(format!(
                    "the note is {} bytes; at most {MAX_NOTE_BYTES} are kept: shorten it or link to a document",
                    note.len()
                ));
            }
        }
        if let Some(Some(assignee)) = &self.assignee
            && assignee.trim().is_empty()
        {
            return refuse("the assignee is empty: name someone, or use GroupChange::unassign".to_owned());
        }
        Ok(())
    }

    /// The history entries this change leaves on a group whose status and
    /// assignee are `status` and `assignee` now: one per field it really
    /// changes, and one for the note.
    pub(crate) fn entries(&self, status: GroupStatus, assignee: Option<&str>) -> Vec<FieldChange> {
        let mut entries = Vec::new();
        if let Some(new) = self.status.filter(|new| *new != status) {
            entries.push(FieldChange {
                field: TriageField::Status,
                from: Some(status.as_str().to_owned()),
                to: Some(new.as_str().to_owned()),
            });
        }
        if let Some(new) = &self.assignee
            && new.as_deref() != assignee
        {
            entries.push(FieldChange {
                field: TriageField::Assignee,
                from: assignee.map(str::to_owned),
                to: new.clone(),
            });
        }
        if let Some(note) = &self.note {
            entries.push(FieldChange { field: TriageField::Note, from: None, to: Some(note.clone()) });
        }
        entries
    }
}

/// What a history entry changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TriageField {
    /// The status (open, investigating, resolved, ignored).
    Status,
    /// Who the group is assigned to.
    Assignee,
    /// A note was added.
    Note,
}

impl TriageField {
    /// Its name in storage and in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            TriageField::Status => "status",
            TriageField::Assignee => "assignee",
            TriageField::Note => "note",
        }
    }

    /// The field a stored name means.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "status" => Some(TriageField::Status),
            "assignee" => Some(TriageField::Assignee),
            "note" => Some(TriageField::Note),
            _ => None,
        }
    }
}

/// One field's change, before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldChange {
    pub field: TriageField,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One entry of a group's triage history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupHistoryEntry {
    /// Increasing in the order entries were written.
    pub id: i64,
    /// The group.
    pub group: GroupKey,
    /// When.
    pub at: SystemTime,
    /// Who.
    pub by: String,
    /// What changed.
    pub field: TriageField,
    /// The value before (none for a note, or an unassigned group).
    pub from: Option<String>,
    /// The value after (the note's text for a note).
    pub to: Option<String>,
}

/// The audit record of one triage change to one group.
pub(crate) fn triage_audit(key: GroupKey, by: &str, entries: &[FieldChange], at: SystemTime) -> AuditRecord {
    let mut record = operator_audit("group.triage", by, "group", &key, at);
    for entry in entries {
        let value = match entry.field {
            TriageField::Note => Value::from(entry.to.clone()),
            _ => serde_json::json!({ "from": entry.from, "to": entry.to }),
        };
        record.details.insert(Cow::Borrowed(entry.field.as_str()), value);
    }
    record
}

/// The audit record of an operator action (process `monitoring`, actor =
/// who), without details yet.
pub(crate) fn operator_audit(
    action: &'static str,
    by: &str,
    reference_kind: &'static str,
    reference_id: &dyn std::fmt::Display,
    at: SystemTime,
) -> AuditRecord {
    let mut builder = AuditRecordBuilder::new(OPERATOR_PROCESS, action, ComplianceStatus::Compliant);
    builder.reference(reference_kind, reference_id).actor(&by);
    let mut record = builder.finish();
    record.timestamp = at;
    record
}
