//! Context: who, where and under which trace an event happened.
//!
//! The current context lives in a thread-local slot. A sync scope sets it
//! for the rest of a block ([`Context::enter`]); a future carries it across
//! `.await` points and into spawned tasks ([`WithContext`]), because it sets
//! the slot again each time it is polled, on whatever thread polls it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use serde::{Deserialize, Serialize};

/// Service, environment, release, user, trace id and free-form tags.
///
/// Contexts nest: a scope entered inside another keeps the outer fields it
/// does not set itself.
///
/// ```
/// use monitor_runtime::Context;
///
/// let request = Context::new().user("member-17").trace_id("4bf92f35").tag("tenant", "acme");
/// let _scope = request.enter();
/// let current = Context::current();
/// assert_eq!(current.user.as_deref(), Some("member-17"));
/// assert_eq!(current.tags.get("tenant").map(String::as_str), Some("acme"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The service's name.
    pub service: Option<String>,
    /// Deployment environment, such as `production`.
    pub environment: Option<String>,
    /// Release or version of the service.
    pub release: Option<String>,
    /// The user on whose behalf the work runs.
    pub user: Option<String>,
    /// Distributed trace id.
    pub trace_id: Option<String>,
    /// Free-form key/value tags.
    pub tags: BTreeMap<String, String>,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Context>>> = const { RefCell::new(None) };
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the service name.
    pub fn service(mut self, value: impl Into<String>) -> Self {
        self.service = Some(value.into());
        self
    }

    /// Sets the environment.
    pub fn environment(mut self, value: impl Into<String>) -> Self {
        self.environment = Some(value.into());
        self
    }

    /// Sets the release.
    pub fn release(mut self, value: impl Into<String>) -> Self {
        self.release = Some(value.into());
        self
    }

    /// Sets the user.
    pub fn user(mut self, value: impl Into<String>) -> Self {
        self.user = Some(value.into());
        self
    }

    /// Sets the trace id.
    pub fn trace_id(mut self, value: impl Into<String>) -> Self {
        self.trace_id = Some(value.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// The context in force on this thread (empty outside any scope).
    pub fn current() -> Arc<Context> {
        current_arc().unwrap_or_default()
    }

    /// Fields of `self`, with `outer` filling in what `self` leaves unset.
    pub fn merged_over(&self, outer: &Context) -> Context {
        let pick = |inner: &Option<String>, outer: &Option<String>| inner.clone().or_else(|| outer.clone());
        let mut tags = outer.tags.clone();
        tags.extend(self.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        Context {
            service: pick(&self.service, &outer.service),
            environment: pick(&self.environment, &outer.environment),
            release: pick(&self.release, &outer.release),
            user: pick(&self.user, &outer.user),
            trace_id: pick(&self.trace_id, &outer.trace_id),
            tags,
        }
    }

    /// Makes this context current on this thread until the returned guard is
    /// dropped. Fields it leaves unset are inherited from the enclosing scope.
    ///
    /// ```
    /// use monitor_runtime::Context;
    ///
    /// let _service = Context::new().service("invoices").enter();
    /// {
    ///     let _request = Context::new().user("u-1").enter();
    ///     assert_eq!(Context::current().service.as_deref(), Some("invoices"));
    ///     assert_eq!(Context::current().user.as_deref(), Some("u-1"));
    /// }
    /// assert_eq!(Context::current().user, None);
    /// ```
    pub fn enter(&self) -> ContextGuard {
        let merged = match current_arc() {
            Some(outer) => self.merged_over(&outer),
            None => self.clone(),
        };
        ContextGuard::set(Arc::new(merged))
    }

    /// Runs `f` with this context current.
    ///
    /// ```
    /// use monitor_runtime::Context;
    ///
    /// let user = Context::new().user("u-9").scope(|| Context::current().user.clone());
    /// assert_eq!(user.as_deref(), Some("u-9"));
    /// ```
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.enter();
        f()
    }
}

pub(crate) fn current_arc() -> Option<Arc<Context>> {
    // `try_with` because events may be captured while thread-locals are being
    // torn down; monitoring must not panic then.
    CURRENT.try_with(|slot| slot.borrow().clone()).ok().flatten()
}

/// Restores the previous context when dropped. Not `Send`: a scope belongs to
/// the thread that entered it (use [`WithContext`] for futures).
#[must_use = "the context is only current while the guard lives"]
pub struct ContextGuard {
    previous: Option<Arc<Context>>,
    _not_send: PhantomData<*const ()>,
}

impl ContextGuard {
    fn set(context: Arc<Context>) -> Self {
        let previous = CURRENT.try_with(|slot| slot.replace(Some(context))).ok().flatten();
        ContextGuard { previous, _not_send: PhantomData }
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|slot| *slot.borrow_mut() = previous);
    }
}

/// A future that makes a context current each time it is polled, so the
/// context survives `.await` and moves with the future into spawned tasks.
///
/// ```
/// use monitor_runtime::{Context, ContextExt};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let ctx = Context::new().trace_id("t-1");
/// let seen = tokio::spawn(
///     async {
///         tokio::task::yield_now().await;
///         Context::current().trace_id.clone()
///     }
///     .with_context(ctx),
/// )
/// .await
/// .unwrap();
/// assert_eq!(seen.as_deref(), Some("t-1"));
/// # });
/// ```
pub struct WithContext<F> {
    inner: Pin<Box<F>>,
    context: Arc<Context>,
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let _guard = ContextGuard::set(self.context.clone());
        self.inner.as_mut().poll(cx)
    }
}

/// Adds [`with_context`](ContextExt::with_context) and
/// [`with_current_context`](ContextExt::with_current_context) to every future.
pub trait ContextExt: Future + Sized {
    /// Runs this future with `context` current (merged over the context in
    /// force where this is called).
    fn with_context(self, context: Context) -> WithContext<Self> {
        let merged = match current_arc() {
            Some(outer) => context.merged_over(&outer),
            None => context,
        };
        WithContext { inner: Box::pin(self), context: Arc::new(merged) }
    }

    /// Carries the context in force here into the future, for example before
    /// `tokio::spawn`, where the new task would otherwise start with none.
    fn with_current_context(self) -> WithContext<Self> {
        WithContext { inner: Box::pin(self), context: Context::current() }
    }
}

impl<F: Future> ContextExt for F {}
