//! Context scopes reach events, survive `.await`, and travel into spawned tasks.

use monitor_runtime::{Context, ContextExt, MemorySink, Monitor, monitor};

#[monitor]
async fn charge(member: u32) -> Result<(), String> {
    tokio::task::yield_now().await;
    Err(format!("card of member {member} declined"))
}

#[monitor]
fn sync_failure() -> Result<(), std::fmt::Error> {
    Err(std::fmt::Error)
}

#[test]
fn events_carry_the_context_of_their_scope() {
    let sink = MemorySink::new();
    let guard = Monitor::builder()
        .service("payments")
        .environment("test")
        .release("1.4.2")
        .sink(sink.clone())
        .install()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    {
        let _request = Context::new().user("u-17").trace_id("trace-a").tag("tenant", "acme").enter();
        let _ = sync_failure();
    }
    let request = Context::new().user("u-42").trace_id("trace-b");
    runtime.block_on(async {
        let task = tokio::spawn(async { charge(1).await }.with_context(request));
        let _ = task.await.unwrap();
    });
    // Outside any scope: only the installed defaults.
    assert_eq!(Context::current().user, None);
    guard.shutdown();

    let events = sink.events();
    let sync_event = events.iter().find(|e| e.location.function == "sync_failure").unwrap();
    assert_eq!(sync_event.context.user.as_deref(), Some("u-17"));
    assert_eq!(sync_event.context.tags.get("tenant").map(String::as_str), Some("acme"));
    assert_eq!(sync_event.context.service.as_deref(), Some("payments"));
    assert_eq!(sync_event.context.release.as_deref(), Some("1.4.2"));
    let async_event = events.iter().find(|e| e.location.function == "charge").unwrap();
    assert_eq!(async_event.context.user.as_deref(), Some("u-42"));
    assert_eq!(async_event.context.trace_id.as_deref(), Some("trace-b"));
    assert_eq!(async_event.context.environment.as_deref(), Some("test"));
}

#[tokio::test]
async fn current_context_is_carried_into_spawned_tasks() {
    let _scope = Context::new().trace_id("outer").enter();
    let seen = tokio::spawn(async { Context::current().trace_id.clone() }.with_current_context()).await.unwrap();
    assert_eq!(seen.as_deref(), Some("outer"));
}

#[test]
fn a_task_polled_on_another_thread_keeps_its_context() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let seen = runtime.block_on(async {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let ctx = Context::new().trace_id(format!("t-{i}"));
                tokio::spawn(
                    async move {
                        let mut seen = Vec::new();
                        for _ in 0..5 {
                            tokio::task::yield_now().await;
                            seen.push(Context::current().trace_id.clone().unwrap_or_default());
                        }
                        seen
                    }
                    .with_context(ctx),
                )
            })
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            all.push(handle.await.unwrap());
        }
        all
    });
    for (i, seen) in seen.iter().enumerate() {
        assert!(seen.iter().all(|t| *t == format!("t-{i}")), "task {i} saw {seen:?}");
    }
}
