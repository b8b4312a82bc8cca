//! An event as a row.

use monitor_sinks::store::StoredEvent;

use super::json_text;
use crate::{Cell, Record};

impl Record for StoredEvent {
    const KIND: &'static str = "events";
    const FIELDS: &'static [&'static str] = super::EVENT_FIELDS;

    fn cell(&self, field: usize) -> Cell {
        let context = &self.context;
        match field {
            0 => self.id.into(),
            1 => self.timestamp.into(),
            2 => self.kind.as_str().into(),
            3 => self.severity.as_str().into(),
            4 => Cell::Text(self.group_key.to_string()),
            5 => self.message.as_str().into(),
            6 => self.template.as_str().into(),
            7 => self.location.module.as_ref().into(),
            8 => self.location.function.as_ref().into(),
            9 => self.error_type.as_deref().into(),
            10 => context.service.as_deref().into(),
            11 => context.environment.as_deref().into(),
            12 => context.release.as_deref().into(),
            13 => context.user.as_deref().into(),
            14 => context.trace_id.as_deref().into(),
            15 if context.tags.is_empty() => Cell::Null,
            15 => json_text(&context.tags),
            16 if self.args.is_empty() => Cell::Null,
            // An object in the order the arguments were named (a name given
            // twice keeps its last value, as any JSON reader would).
            16 => json_text(
                &self
                    .args
                    .iter()
                    .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
                    .collect::<serde_json::Map<_, _>>(),
            ),
            17 => self.duration.map(|duration| duration.as_secs_f64() * 1000.0).into(),
            18 if self.chain.is_empty() => Cell::Null,
            18 => json_text(&self.chain),
            _ => Cell::Null,
        }
    }
}
