//! Span fields named as context (`user`, `trace_id`, `request_id`, …),
//! kept in each span's extensions and merged, innermost first, into the
//! context of an event captured inside them.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::args::MAX_ARG_BYTES;
use crate::bounded;
use crate::context::Context;

/// Which part of a [`Context`] a span field fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    User,
    TraceId,
    Service,
    Environment,
    Release,
    /// Any other name: a tag of that name.
    Tag,
}

/// A span field name and the part of the context it fills.
#[derive(Clone, Debug)]
pub(super) struct ContextField {
    pub name: &'static str,
    pub slot: Slot,
}

impl ContextField {
    /// The context's own fields by their names; any other name is a tag.
    pub(super) fn named(name: &'static str) -> Self {
        let slot = match name {
            "user" => Slot::User,
            "trace_id" => Slot::TraceId,
            "service" => Slot::Service,
            "environment" => Slot::Environment,
            "release" => Slot::Release,
            _ => Slot::Tag,
        };
        ContextField { name, slot }
    }
}

/// The context a span's fields gave (a span extension).
struct SpanContext(Context);

/// Keeps the context fields of a new span, if it has any.
pub(super) fn on_new_span<S>(fields: &[ContextField], attrs: &Attributes<'_>, span: &SpanRef<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let declared = attrs.metadata().fields();
    if !fields.iter().any(|wanted| declared.field(wanted.name).is_some()) {
        return;
    }
    let mut visitor = ContextVisitor { fields, context: Context::default() };
    attrs.record(&mut visitor);
    // Kept even when empty: a field declared `Empty` may be recorded later.
    span.extensions_mut().insert(SpanContext(visitor.context));
}

/// Takes context fields recorded after the span was made (`span.record(…)`).
pub(super) fn on_record<S>(fields: &[ContextField], values: &Record<'_>, span: &SpanRef<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let declared = span.metadata().fields();
    if !fields.iter().any(|wanted| declared.field(wanted.name).is_some_and(|field| values.contains(&field))) {
        return;
    }
    let mut extensions = span.extensions_mut();
    let context = match extensions.get_mut::<SpanContext>() {
        Some(SpanContext(context)) => std::mem::take(context),
        None => Context::default(),
    };
    let mut visitor = ContextVisitor { fields, context };
    values.record(&mut visitor);
    extensions.replace(SpanContext(visitor.context));
}

/// The context of the spans around `event`: each span's fields over its
/// parents', `None` when none of them has any.
pub(super) fn of_event<S>(event: &Event<'_>, ctx: &LayerContext<'_, S>) -> Option<Context>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut merged: Option<Context> = None;
    for span in ctx.event_scope(event)? {
        let extensions = span.extensions();
        let Some(SpanContext(outer)) = extensions.get::<SpanContext>() else { continue };
        merged = Some(match merged {
            Some(inner) => inner.merged_over(outer),
            None => outer.clone(),
        });
    }
    merged
}

struct ContextVisitor<'a> {
    fields: &'a [ContextField],
    context: Context,
}

impl ContextVisitor<'_> {
    fn set(&mut self, field: &Field, write: impl FnOnce(&mut String)) {
        let Some(wanted) = self.fields.iter().find(|wanted| wanted.name == field.name()) else { return };
        let mut text = String::new();
        write(&mut text);
        let slot = match wanted.slot {
            Slot::User => &mut self.context.user,
            Slot::TraceId => &mut self.context.trace_id,
            Slot::Service => &mut self.context.service,
            Slot::Environment => &mut self.context.environment,
            Slot::Release => &mut self.context.release,
            Slot::Tag => {
                self.context.tags.insert(wanted.name.to_owned(), text);
                return;
            }
        };
        *slot = Some(text);
    }
}

impl Visit for ContextVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field, |text| bounded::write_display(text, &value, MAX_ARG_BYTES));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.set(field, |text| bounded::write_display(text, value, MAX_ARG_BYTES));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.set(field, |text| bounded::write_debug(text, value, MAX_ARG_BYTES));
    }
}
