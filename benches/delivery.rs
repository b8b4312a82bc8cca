//! Alert delivery: notifications per second to a webhook on loopback
//! (generic JSON, no pacing, so the pipeline itself is measured), and the
//! cost of rendering one notification for each platform.

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use monitor_delivery::format::{RenderOptions, discord, generic, sample_notification, slack, teams};
use monitor_delivery::{DeliveryOptions, sinks_for};
use monitor_runtime::alerts::{AlertConfig, Destination, Target};
use monitor_runtime::rules::Notification;
use monitor_runtime::{Batch, Sink};

/// A webhook that answers 200 to everything, on its own thread.
fn loopback_webhook() -> String {
    let (ready, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            ready.send(listener.local_addr().expect("address")).expect("ready");
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|request: hyper::Request<hyper::body::Incoming>| async {
                        let _ = request.into_body().collect().await;
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"{}"))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    format!("http://{}/hook", address.recv().expect("server address"))
}

fn throughput(c: &mut Criterion) {
    const BATCH: usize = 100;
    let url = loopback_webhook();
    let spool = tempfile::tempdir().expect("spool directory");
    let config = AlertConfig {
        destinations: vec![Destination { name: "bench".into(), target: Target::Webhook(url) }],
        rules: Vec::new(),
        schedules: Vec::new(),
    };
    let options = DeliveryOptions::new().spool_dir(spool.path()).queue_capacity(BATCH * 2);
    let mut sink = sinks_for(&config, &options).expect("config").pop().expect("one sink");
    sink.start().expect("start");
    let handle = sink.handle();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let mut counter = 0u64;

    let mut group = c.benchmark_group("delivery");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("generic_webhook_loopback_100", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let notifications: Vec<Arc<Notification>> = (0..BATCH)
                    .map(|_| {
                        counter += 1;
                        let mut n = sample_notification(format!("card declined for invoice {counter}"));
                        n.key = format!("bench-{counter}");
                        n.destination = "bench".into();
                        Arc::new(n)
                    })
                    .collect();
                let batch = Batch { notifications, ..Batch::default() };
                let start = Instant::now();
                runtime.block_on(async {
                    sink.write(&batch).await.expect("write");
                    assert!(handle.wait_idle(Duration::from_secs(60)).await, "delivery stalled");
                });
                total += start.elapsed();
            }
            total
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
        group.bench_function(format!("slack_{size}"), |b| b.iter(|| slack(notification, &options)));
        group.bench_function(format!("discord_{size}"), |b| b.iter(|| discord(notification, &options)));
        group.bench_function(format!("teams_{size}"), |b| b.iter(|| teams(notification, &options)));
        group.bench_function(format!("generic_{size}"), |b| b.iter(|| generic(notification, &options)));
    }
    group.finish();
}

criterion_group!(benches, throughput, rendering);
criterion_main!(benches);
