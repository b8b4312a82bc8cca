//! A group as a row.

use monitor_sinks::store::StoredGroup;

use crate::{Cell, Record};

impl Record for StoredGroup {
    const KIND: &'static str = "groups";
    const FIELDS: &'static [&'static str] = super::GROUP_FIELDS;

    fn cell(&self, field: usize) -> Cell {
        match field {
            0 => Cell::Text(self.key.to_string()),
            1 => self.template.as_str().into(),
            2 => self.severity.as_str().into(),
            3 => self.status.as_str().into(),
            4 => self.count.into(),
            5 => self.first_seen.into(),
            6 => self.last_seen.into(),
            7 => self.location.module.as_ref().into(),
            8 => self.location.function.as_ref().into(),
            9 => self.location.file.as_ref().into(),
            10 => self.location.line.into(),
            11 => self.error_type.as_deref().into(),
            12 => self.assignee.as_deref().into(),
            13 => self.merged_into.map(|key| key.to_string()).into(),
            _ => Cell::Null,
        }
    }
}
