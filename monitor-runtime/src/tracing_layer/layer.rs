//! [`MonitorLayer`]: its settings and the `Layer` that applies them.

use std::borrow::Cow;

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::registry::LookupSpan;

use super::fields::{self, FieldText, LogOrigin, MESSAGE};
use super::span_context::{self, ContextField};
use super::span_timing;
use crate::capture::{self, ForeignOccurrence};
use crate::event::{EventKind, Location};
use monitor_rules::Severity;

/// Span fields that become the event's context unless told otherwise.
const DEFAULT_CONTEXT_FIELDS: [&str; 3] = ["user", "trace_id", "request_id"];

/// A [`tracing_subscriber::Layer`] that captures `tracing` events at or
/// above a level as errors of the installed monitor, takes their context
/// from span fields, and can time spans as calls.
///
/// It sits beside `fmt` or any other layer; it never filters what they see.
/// Without an installed monitor it does nothing. See the
/// [module](crate::tracing_layer) for what it captures and costs.
///
/// ```
/// use monitor_runtime::MonitorLayer;
/// use tracing::Level;
/// use tracing_subscriber::prelude::*;
///
/// let layer = MonitorLayer::new()
///     .level(Level::WARN)
///     .context_fields(["user", "request_id", "tenant"])
///     .time_spans(true);
/// let _default = tracing_subscriber::registry().with(layer).set_default();
/// ```
#[derive(Clone, Debug)]
pub struct MonitorLayer {
    level: Level,
    error_field: &'static str,
    context_fields: Vec<ContextField>,
    time_spans: bool,
}

impl Default for MonitorLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl MonitorLayer {
    /// Captures `ERROR` events, takes `user`, `trace_id` and `request_id`
    /// from spans, and times no spans.
    pub fn new() -> Self {
        MonitorLayer {
            level: Level::ERROR,
            error_field: "error",
            context_fields: DEFAULT_CONTEXT_FIELDS.into_iter().map(ContextField::named).collect(),
            time_spans: false,
        }
    }

    /// Captures events at `level` and above (`Level::WARN` captures warnings
    /// and errors). Their severity follows their level: `ERROR` is
    /// [`Severity::Error`], `WARN` [`Severity::Warning`], and so on.
    ///
    /// ```
    /// # use monitor_runtime::MonitorLayer;
    /// let layer = MonitorLayer::new().level(tracing::Level::WARN);
    /// ```
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// The field holding the event's error (`error` by default, as in
    /// `error!(error = %e, "…")`, `error = ?e` or `error = &e as &dyn Error`).
    /// Its text is the captured message; the event's own message is then
    /// kept as the argument `message`.
    ///
    /// ```
    /// # use monitor_runtime::MonitorLayer;
    /// let layer = MonitorLayer::new().error_field("err");
    /// ```
    pub fn error_field(mut self, name: &'static str) -> Self {
        self.error_field = name;
        self
    }

    /// The span fields that become the context of events inside the span,
    /// replacing the default `user`, `trace_id` and `request_id`. A field
    /// named as one of [`Context`](crate::Context)'s own (`user`,
    /// `trace_id`, `service`, `environment`, `release`) sets it; any other
    /// becomes a tag of its name.
    ///
    /// ```
    /// # use monitor_runtime::MonitorLayer;
    /// let layer = MonitorLayer::new().context_fields(["user", "trace_id", "tenant"]);
    /// ```
    pub fn context_fields(mut self, names: impl IntoIterator<Item = &'static str>) -> Self {
        self.context_fields = names.into_iter().map(ContextField::named).collect();
        self
    }

    /// Times spans as calls (off by default): each span, from its first
    /// entry to its close, counts as one call of a call site named after
    /// the span (for `#[instrument]`, the function) in
    /// [`callsites`](crate::callsites), the call metrics and latency rules.
    /// A call is an error if an `ERROR` event happened directly in it (as
    /// `#[instrument(err)]` emits), a panic if it closed while unwinding.
    ///
    /// ```
    /// # use monitor_runtime::MonitorLayer;
    /// let layer = MonitorLayer::new().time_spans(true);
    /// ```
    pub fn time_spans(mut self, enabled: bool) -> Self {
        self.time_spans = enabled;
        self
    }

    fn captures(&self, level: &Level) -> bool {
        // More verbose levels compare greater: `ERROR < WARN < … < TRACE`.
        *level <= self.level
    }

    fn capture<S>(&self, event: &Event<'_>, ctx: &LayerContext<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let metadata = event.metadata();
        let declared = metadata.fields();
        let has_error = declared.field(self.error_field).is_some();
        let (kind, main_field) =
            if has_error { (EventKind::Error, self.error_field) } else { (EventKind::Message, MESSAGE) };
        // The function an event belongs to is the span it happened in.
        let span_name = ctx.event_span(event).map(|span| span.name());
        let location = match LogOrigin::of(event) {
            Some(origin) => {
                let target = origin.target.unwrap_or_default();
                Location {
                    function: span_name.map_or_else(|| Cow::Owned(target.clone()), Cow::Borrowed),
                    module: Cow::Owned(origin.module_path.unwrap_or(target)),
                    file: Cow::Owned(origin.file.unwrap_or_default()),
                    line: origin.line.unwrap_or(0),
                }
            }
            None => Location {
                module: Cow::Borrowed(metadata.module_path().unwrap_or_else(|| metadata.target())),
                function: Cow::Borrowed(span_name.unwrap_or_else(|| metadata.target())),
                file: Cow::Borrowed(metadata.file().unwrap_or("")),
                line: metadata.line().unwrap_or(0),
            },
        };
        let message = FieldText { event, name: main_field };
        let no_text = metadata.name();
        let message: &dyn std::fmt::Display =
            if has_error || declared.field(MESSAGE).is_some() { &message } else { &no_text };
        let error_field = self.error_field;
        capture::capture_foreign(ForeignOccurrence {
            kind,
            severity: severity_of(metadata.level()),
            location: &location,
            message,
            chain: &|| if has_error { fields::error_chain(event, error_field) } else { Vec::new() },
            args: &|| fields::arg_texts(event, error_field, has_error),
            spans_context: &|| span_context::of_event(event, ctx),
        });
    }
}

fn severity_of(level: &Level) -> Severity {
    match *level {
        Level::ERROR => Severity::Error,
        Level::WARN => Severity::Warning,
        Level::INFO => Severity::Info,
        _ => Severity::Debug,
    }
}

// `register_callsite` and `enabled` keep their defaults (always interested):
// a layer's "never" would hide the callsite from the layers beside it too.
// Nor does it give a level hint, which would lower the whole subscriber's.
impl<S> Layer<S> for MonitorLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        if self.context_fields.is_empty() || !crate::pipeline::is_installed() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            span_context::on_new_span(&self.context_fields, attrs, &span);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: LayerContext<'_, S>) {
        if self.context_fields.is_empty() || !crate::pipeline::is_installed() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            span_context::on_record(&self.context_fields, values, &span);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let level = event.metadata().level();
        if self.time_spans
            && *level == Level::ERROR
            && crate::pipeline::is_installed()
            && let Some(scope) = ctx.event_scope(event)
        {
            span_timing::fail_innermost(scope);
        }
        if !self.captures(level) || !crate::pipeline::is_installed() {
            return;
        }
        self.capture(event, &ctx);
    }

    fn on_enter(&self, id: &Id, ctx: LayerContext<'_, S>) {
        if !self.time_spans {
            return;
        }
        if let Some(span) = ctx.span(id) {
            span_timing::on_enter(&span);
        }
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        if !self.time_spans {
            return;
        }
        if let Some(span) = ctx.span(&id) {
            span_timing::on_close(&span);
        }
    }
}
