//! Alert delivery: notifications per second to a webhook on loopback
//! (generic JSON, no pacing, so the pipeline itself is measured) beside a
//! hand-written reqwest loop posting the same JSON, and the cost of
//! rendering one notification for each platform.

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use monitor::Notifier;
use monitor::alerting::Notification;
use monitor::alerts::{Destination, Target};
use monitor::delivery::{DeliveryNotifier, DeliveryOptions, RenderOptions, sample_notification};
use monitor::webhook::{discord, generic, slack, teams};

mod support;
use support::sum_samples;

/// A webhook that answers 200 to everything.
fn loopback_webhook() -> String {
    format!("http://{}/hook", support::spawn_webhook(|_, _| ()))
}

fn throughput(c: &mut Criterion) {
    const BATCH: usize = 100;
    let url = loopback_webhook();
    let spool = tempfile::tempdir().expect("spool directory");
    let destination = Destination { name: "bench".into(), target: Target::Webhook(url.clone()), per_minute: None };
    let options = DeliveryOptions::new().spool_dir(spool.path()).queue_capacity(BATCH * 2);
    let notifier = DeliveryNotifier::new(&destination, &options).expect("destination");
    let handle = notifier.handle();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut counter = 0u64;

    // Each sample's notifications are new (fresh keys), made before its clock starts.
    let mut next_batch = || {
        (0..BATCH)
            .map(|_| {
                counter += 1;
                let mut n = sample_notification(format!("card declined for invoice {counter}"));
                n.key = format!("bench-{counter}");
                n.destination = "bench".into();
                n
            })
            .collect::<Vec<Notification>>()
    };

    let mut group = c.benchmark_group("delivery");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("generic_webhook_loopback_100", |b| {
        b.iter_custom(|iterations| {
            sum_samples(iterations, || {
                let notifications: Vec<Arc<Notification>> = next_batch().into_iter().map(Arc::new).collect();
                let start = Instant::now();
                runtime.block_on(async {
                    for notification in notifications {
                        notifier.notify(notification).expect("queued");
                    }
                    assert!(handle.wait_idle(Duration::from_secs(60)).await, "delivery stalled");
                });
                start.elapsed()
            })
        });
    });
    // What a team writes instead: one reqwest client posting the same JSON
    // in a loop, with no queue, retry, pacing or spool.
    let client = reqwest::Client::new();
    let render = RenderOptions { link: None, service: None };
    group.bench_function("reqwest_post_loop_100", |b| {
        b.iter_custom(|iterations| {
            sum_samples(iterations, || {
                let notifications = next_batch();
                let start = Instant::now();
                runtime.block_on(async {
                    for notification in &notifications {
                        let response = client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(generic::render(notification, &render).to_string())
                            .send()
                            .await
                            .expect("post");
                        assert!(response.status().is_success(), "{}", response.status());
                    }
                });
                start.elapsed()
            })
        });
    });
    group.finish();
    assert_eq!(handle.stats().spooled, 0, "{:?}", handle.stats());
}

fn rendering(c: &mut Criterion) {
    let options = RenderOptions { link: Some("https://status.example.org/groups/{group}".into()), service: None };
    let small = sample_notification("card declined for invoice 42".into());
    let mut giant = sample_notification("é".repeat(5000));
    giant.alert.details.traceback =
        (0..2500).map(|i| format!("frame {i}: billing::cards::charge (src/cards.rs:42)")).collect();
    giant.alert.details.tags = (0..40).map(|i| (format!("field_{i}"), "v".repeat(300))).collect();
    let mut group = c.benchmark_group("render");
    for (size, notification) in [("small", &small), ("giant", &giant)] {
        group.bench_function(format!("slack_{size}"), |b| b.iter(|| slack::render(notification, &options)));
        group.bench_function(format!("discord_{size}"), |b| b.iter(|| discord::render(notification, &options)));
        group.bench_function(format!("teams_{size}"), |b| b.iter(|| teams::render(notification, &options)));
        group.bench_function(format!("generic_{size}"), |b| b.iter(|| generic::render(notification, &options)));
    }
    group.finish();
}

criterion_group!(benches, throughput, rendering);
criterion_main!(benches);
