//! Scrubbing whole records (events, group snapshots, JSON details) before
//! any sink sees them: every text a person or a sink will read.

use std::borrow::Cow;
use std::sync::Arc;

use crate::audit::AuditRecord;
use crate::event::{Event, GroupSnapshot};

use super::{REDACTED, Scrubber};

impl Scrubber {
    /// Scrubs the message, template, chain, arguments (by name) and context
    /// (tags by key) of an event.
    pub(crate) fn scrub_event(&self, mut event: Event) -> Event {
        let text = |value: &mut String| set_if_changed(value, |v| changed(v, self.scrub_text(v)));
        text(&mut event.message);
        text(&mut event.template);
        event.chain.iter_mut().for_each(|link| {
            text(link);
        });
        for (name, value) in &mut event.args {
            set_if_changed(value, |v| changed(v, self.scrub_field(name, v)));
        }
        let mut context = (*event.context).clone();
        let mut any = false;
        for value in [
            &mut context.user,
            &mut context.trace_id,
            &mut context.service,
            &mut context.environment,
            &mut context.release,
        ]
        .into_iter()
        .flatten()
        {
            any |= text(value);
        }
        for (key, value) in &mut context.tags {
            any |= set_if_changed(value, |v| changed(v, self.scrub_field(key, v)));
        }
        if any {
            event.context = Arc::new(context);
        }
        event
    }

    /// Scrubs a group's template.
    pub(crate) fn scrub_group(&self, group: &mut GroupSnapshot) {
        set_if_changed(&mut group.template, |v| changed(v, self.scrub_text(v)));
    }

    /// Scrubs an audit record: each detail by its name (a top-level
    /// `new_password` or `api_token` is redacted whatever its type), every
    /// text and number in the details, and the reference, actor, trace id and
    /// service as text. The derived code has already applied the masks the
    /// type asked for; this catches what it did not ask for.
    pub(crate) fn scrub_audit(&self, record: &mut AuditRecord) {
        for (name, value) in record.details.iter_mut() {
            self.scrub_named_json(name, value);
        }
        if let Some(reference) = &mut record.reference {
            let kind = reference.kind.clone();
            set_if_changed(&mut reference.id, |v| changed(v, self.scrub_field(&kind, v)));
        }
        for value in [&mut record.actor, &mut record.trace_id, &mut record.service].into_iter().flatten() {
            set_if_changed(value, |v| changed(v, self.scrub_text(v)));
        }
    }

    /// Scrubs every string and number of a JSON value: by key inside
    /// objects, as text elsewhere.
    pub(crate) fn scrub_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => {
                set_if_changed(text, |v| changed(v, self.scrub_text(v)));
            }
            serde_json::Value::Number(number) => {
                // `card_number: 4111111111111111` is a card however it is typed.
                let text = number.to_string();
                if let Some(clean) = changed(&text, self.scrub_text(&text)) {
                    *value = serde_json::Value::String(clean);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| self.scrub_json(item)),
            serde_json::Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    self.scrub_named_json(key, item);
                }
            }
            _ => {}
        }
    }

    /// A JSON value under `name`: redacted whole if the name is sensitive
    /// (a PIN is a secret as a number too); `null` and booleans say nothing.
    fn scrub_named_json(&self, name: &str, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::Null | Value::Bool(_) => {}
            Value::String(text) => {
                set_if_changed(text, |v| changed(v, self.scrub_field(name, v)));
            }
            _ if self.is_sensitive_key(name) => *value = Value::String(REDACTED.to_owned()),
            _ => self.scrub_json(value),
        }
    }
}

/// The scrubbed text, if it differs. A redaction may come back borrowed
/// (`[REDACTED]`), so this compares content rather than looking at the `Cow`.
fn changed(original: &str, scrubbed: Cow<'_, str>) -> Option<String> {
    (scrubbed != original).then(|| scrubbed.into_owned())
}

fn set_if_changed(value: &mut String, scrub: impl FnOnce(&str) -> Option<String>) -> bool {
    match scrub(value) {
        Some(clean) => {
            *value = clean;
            true
        }
        None => false,
    }
}
