//! Reading an event's fields. The values exist only while the event is
//! being visited, so nothing is copied up front: each text is written by
//! visiting the event again, at the moment (and only if) it is needed.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use tracing::Event;
use tracing::field::{Field, Visit};

use crate::args::{ArgTexts, MAX_ARG_BYTES};
use crate::bounded;

/// The field `tracing`'s macros put their format string's text in.
pub(super) const MESSAGE: &str = "message";

/// Prefix of the fields `tracing-log` gives a `log` record (its target,
/// module, file and line): they make the event's location, not arguments.
const LOG_PREFIX: &str = "log.";

/// Displays one field of an event, written straight into the formatter.
pub(super) struct FieldText<'a> {
    pub event: &'a Event<'a>,
    pub name: &'a str,
}

impl fmt::Display for FieldText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut writer = WriteField { name: self.name, f, result: Ok(()) };
        self.event.record(&mut writer);
        writer.result
    }
}

struct WriteField<'a, 'f> {
    name: &'a str,
    f: &'a mut fmt::Formatter<'f>,
    result: fmt::Result,
}

impl Visit for WriteField<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == self.name {
            self.result = self.f.write_str(value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn StdError + 'static)) {
        if field.name() == self.name {
            self.result = fmt::Display::fmt(value, self.f);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%value` arrives here as a `Debug` that writes its `Display`, and
        // a format string's `Arguments` as its text without quotes.
        if field.name() == self.name {
            self.result = fmt::Debug::fmt(value, self.f);
        }
    }
}

/// The `source()` chain of the field `name`, when it was recorded as a
/// `&dyn Error` (`error = &e as &dyn Error`); empty otherwise.
pub(super) fn error_chain(event: &Event<'_>, name: &str) -> Vec<String> {
    struct Chain<'a> {
        name: &'a str,
        chain: Vec<String>,
    }
    impl Visit for Chain<'_> {
        fn record_error(&mut self, field: &Field, value: &(dyn StdError + 'static)) {
            if field.name() == self.name {
                self.chain = crate::capture::source_chain(value.source());
            }
        }
        fn record_debug(&mut self, _: &Field, _: &dyn fmt::Debug) {}
    }
    let mut visitor = Chain { name, chain: Vec::new() };
    event.record(&mut visitor);
    visitor.chain
}

/// Every field but the error (and the message, unless `keep_message`) and
/// `tracing-log`'s own, each as text cut at the arguments' bound.
pub(super) fn arg_texts(event: &Event<'_>, error_field: &str, keep_message: bool) -> ArgTexts {
    struct Args<'a> {
        error_field: &'a str,
        keep_message: bool,
        out: ArgTexts,
    }
    impl Args<'_> {
        fn wanted(&self, name: &str) -> bool {
            name != self.error_field && (self.keep_message || name != MESSAGE) && !name.starts_with(LOG_PREFIX)
        }
    }
    impl Visit for Args<'_> {
        fn record_str(&mut self, field: &Field, value: &str) {
            if self.wanted(field.name()) {
                let mut text = String::new();
                bounded::write_display(&mut text, &value, MAX_ARG_BYTES);
                self.out.push((Cow::Borrowed(field.name()), text));
            }
        }
        fn record_error(&mut self, field: &Field, value: &(dyn StdError + 'static)) {
            if self.wanted(field.name()) {
                let mut text = String::new();
                bounded::write_display(&mut text, value, MAX_ARG_BYTES);
                self.out.push((Cow::Borrowed(field.name()), text));
            }
        }
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            if self.wanted(field.name()) {
                let mut text = String::new();
                bounded::write_debug(&mut text, value, MAX_ARG_BYTES);
                self.out.push((Cow::Borrowed(field.name()), text));
            }
        }
    }
    let mut visitor = Args { error_field, keep_message, out: Vec::new() };
    event.record(&mut visitor);
    visitor.out
}

/// Where a `log` record came from, as `tracing-log` hands it over (its
/// metadata names only the target `log`).
#[derive(Default)]
pub(super) struct LogOrigin {
    pub target: Option<String>,
    pub module_path: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
}

impl LogOrigin {
    /// The origin of `event` if it is a `log` record, read from its fields.
    pub(super) fn of(event: &Event<'_>) -> Option<LogOrigin> {
        event.metadata().fields().field("log.target")?;
        let mut origin = LogOrigin::default();
        event.record(&mut origin);
        Some(origin)
    }
}

impl Visit for LogOrigin {
    fn record_str(&mut self, field: &Field, value: &str) {
        let slot = match field.name() {
            "log.target" => &mut self.target,
            "log.module_path" => &mut self.module_path,
            "log.file" => &mut self.file,
            _ => return,
        };
        *slot = Some(value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "log.line" {
            self.line = u32::try_from(value).ok();
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn fmt::Debug) {}
}
