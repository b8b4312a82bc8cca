//! End-to-end alert latency: from the moment a monitored function returns
//! an error to the moment the webhook request arrives at a server on
//! loopback, through the whole pipeline (capture, worker, rules engine,
//! router, delivery sink).
//!
//! Measured in the same run, the alternatives a team would reach for:
//! posting to the webhook by hand from the failing call (fast, but on the
//! caller's thread, with no grouping, retries or spool), and Prometheus
//! Alertmanager (alerts posted to its API, routed to the same webhook), when
//! its binary is installed (`apt-get install prometheus-alertmanager`, or
//! `MONITOR_BENCH_ALERTMANAGER=/path/to/alertmanager`).
//!
//! `cargo bench -p monitor-benches --bench latency`

// criterion_group! makes a public function without docs.
#![allow(missing_docs)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use monitor::alerting::RouterConfig;
use monitor::alerts::AlertConfig;
use monitor::delivery::DeliveryOptions;
use monitor::{GroupKey, GroupStatus, Monitor, monitor};
use serde_json::Value;
use support::sum_samples;

mod support;

/// A request that reached the webhook: when, and its JSON body.
type Arrival = (Instant, Value);

/// How long any one alert may take before the benchmark gives up.
const PATIENCE: Duration = Duration::from_secs(30);

#[monitor(severity = error)]
fn settle_invoice(invoice: u64) -> Result<(), std::io::Error> {
    Err(std::io::Error::other(format!("ledger refused invoice {invoice}: period closed")))
}

/// A webhook on loopback that answers 200 and reports every request's
/// arrival time and body.
fn recording_webhook() -> (SocketAddr, mpsc::Receiver<Arrival>) {
    let (arrived, arrivals) = mpsc::channel();
    let address = support::spawn_webhook(move |at, body| {
        let _ = arrived.send((at, serde_json::from_slice(&body).unwrap_or(Value::Null)));
    });
    (address, arrivals)
}

/// The next arrival whose body satisfies `wanted`; the others are skipped.
fn next_arrival(arrivals: &mpsc::Receiver<Arrival>, wanted: impl Fn(&Value) -> bool) -> Arrival {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (at, body) = arrivals
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("the alert did not arrive in time: {:?}", monitor::stats()));
        if wanted(&body) {
            return (at, body);
        }
    }
}

fn is(body: &Value, rule: &str, status: &str) -> bool {
    body["rule"] == rule && body["status"] == status
}

/// A monitor whose rules notify a webhook on loopback; `rules` are TOML
/// `[[rules]]` tables that notify `hook`.
fn install(address: SocketAddr, rules: &str, spool: &std::path::Path) -> monitor::MonitorGuard {
    let config = AlertConfig::from_toml_str(&format!(
        "[destinations]\nhook = {{ webhook = \"http://{address}/hook\" }}\n{rules}"
    ))
    .expect("rules");
    Monitor::builder()
        .alerts(config)
        .delivery(DeliveryOptions::new().spool_dir(spool))
        // The point is latency, not the default 10-a-minute pacing of a chat.
        .router(RouterConfig { per_destination_per_minute: 1_000_000, ..RouterConfig::default() })
        .install()
        .expect("monitor installs")
}

/// A pause of 0 to 200 ms (the worker's tick), not timed, so that samples
/// start at every point of the tick rather than just after one.
fn random_phase(sample: u64) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    let spread = (u64::from(nanos) ^ sample.wrapping_mul(0x9e37_79b9_7f4a_7c15)) % 200;
    std::thread::sleep(Duration::from_millis(spread));
}

fn criterion_group_for_slow_samples(
    c: &mut Criterion,
) -> criterion::BenchmarkGroup<'_, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group("end_to_end");
    group.sampling_mode(SamplingMode::Flat).sample_size(20).measurement_time(Duration::from_secs(10));
    group
}

/// Times one monitor rule end to end: each sample starts at a random point
/// of the worker's tick, calls `fail`, which makes the rule fire and says
/// when its timed failure happened, and ends when `rule`'s firing
/// notification arrives; its resolution is awaited untimed, so the next
/// sample starts from a quiet rule.
fn time_rule(
    c: &mut Criterion,
    name: &str,
    rule: &str,
    arrivals: &mpsc::Receiver<Arrival>,
    mut fail: impl FnMut(u64) -> Instant,
) {
    let mut invoice = 0;
    let mut bench = criterion_group_for_slow_samples(c);
    bench.bench_function(name, |b| {
        b.iter_custom(|iterations| {
            sum_samples(iterations, || {
                invoice += 1;
                random_phase(invoice);
                let failed_at = fail(invoice);
                let (arrived_at, _) = next_arrival(arrivals, |body| is(body, rule, "firing"));
                next_arrival(arrivals, |body| is(body, rule, "resolved"));
                arrived_at - failed_at
            })
        });
    });
    bench.finish();
}

/// A resolved error group that comes back fires `came_back` at once (a
/// one-off rule: the worker looks as soon as the event arrives); each
/// sample resolves the group, fails once, and times the firing
/// notification.
fn regression_rule(c: &mut Criterion) {
    let (address, arrivals) = recording_webhook();
    let spool = tempfile::tempdir().expect("spool directory");
    let rules = r#"
        [[rules]]
        name = "first_seen"
        when = "new_group"
        notify = ["hook"]
        group_wait = "0s"
        group_interval = "1ms"

        [[rules]]
        name = "came_back"
        when = "regression"
        notify = ["hook"]
        group_wait = "0s"
        group_interval = "1ms"
    "#;
    let guard = install(address, rules, spool.path());
    let _ = settle_invoice(0);
    let (_, first) = next_arrival(&arrivals, |body| is(body, "first_seen", "firing"));
    let group: GroupKey = first["group_key"].as_str().and_then(|k| k.parse().ok()).expect("the alert names its group");
    next_arrival(&arrivals, |body| is(body, "first_seen", "resolved"));

    time_rule(c, "monitor, regression rule, group_wait 0s", "came_back", &arrivals, |invoice| {
        assert!(monitor::set_group_status(group, GroupStatus::Resolved), "the group is known");
        let failed_at = Instant::now();
        let _ = settle_invoice(invoice);
        failed_at
    });
    let stats = guard.shutdown();
    assert_eq!(stats.total_dropped(), 0, "{stats:?}");
}

/// A count rule (`errors > 1 within 1s`, so two errors fire it): repeats of a known group are only
/// counted on the caller's thread and reach the rules on the worker's next
/// tick (200 ms by default), so this is the path of most threshold rules.
fn count_rule(c: &mut Criterion) {
    let (address, arrivals) = recording_webhook();
    let spool = tempfile::tempdir().expect("spool directory");
    let rules = r#"
        [[rules]]
        name = "any_error"
        when = "errors > 1 within 1s"
        notify = ["hook"]
        group_wait = "0s"
        group_interval = "1ms"
    "#;
    let guard = install(address, rules, spool.path());
    let _ = settle_invoice(0);
    let _ = settle_invoice(0);
    next_arrival(&arrivals, |body| is(body, "any_error", "firing"));
    next_arrival(&arrivals, |body| is(body, "any_error", "resolved"));

    time_rule(c, "monitor, count rule, group_wait 0s, tick 200ms", "any_error", &arrivals, |invoice| {
        let _ = settle_invoice(invoice);
        let failed_at = Instant::now();
        let _ = settle_invoice(invoice);
        failed_at
    });
    let stats = guard.shutdown();
    assert_eq!(stats.total_dropped(), 0, "{stats:?}");
}

/// What a team might write instead: post to the webhook from the failing
/// call itself, and wait for the answer there.
fn by_hand(c: &mut Criterion) {
    let (address, arrivals) = recording_webhook();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    let url = format!("http://{address}/hook");
    let mut invoice = 0;
    let mut group = c.benchmark_group("end_to_end");
    group.bench_function("reqwest POST from the failing call", |b| {
        b.iter_custom(|iterations| {
            sum_samples(iterations, || {
                invoice += 1;
                let failed_at = Instant::now();
                let error = settle_invoice(invoice).expect_err("fails");
                let body = serde_json::json!({ "rule": "by_hand", "status": "firing", "message": error.to_string() });
                runtime.block_on(async {
                    client.post(&url).json(&body).send().await.expect("posted").error_for_status().expect("accepted")
                });
                let (arrived_at, _) = next_arrival(&arrivals, |body| body["rule"] == "by_hand");
                arrived_at - failed_at
            })
        });
    });
    group.finish();
}

/// Alertmanager on loopback, routing every alert to the same webhook as
/// soon as its grouping allows (`group_wait: 0s`).
struct Alertmanager {
    child: Child,
    api: String,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    fn binary() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("MONITOR_BENCH_ALERTMANAGER") {
            return Some(path.into());
        }
        ["/usr/bin/prometheus-alertmanager", "/usr/local/bin/alertmanager", "/usr/bin/alertmanager"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
    }

    fn start(
        binary: &PathBuf,
        webhook: SocketAddr,
        runtime: &tokio::runtime::Runtime,
        client: &reqwest::Client,
    ) -> Self {
        let dir = tempfile::tempdir().expect("alertmanager directory");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            format!(
                "route:\n  receiver: hook\n  group_by: ['alertname', 'invoice']\n  group_wait: 0s\n  \
                 group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      \
                 - url: 'http://{webhook}/hook'\n        send_resolved: false\n"
            ),
        )
        .expect("alertmanager config");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("port").port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.path().display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("alertmanager starts");
        let api = format!("http://127.0.0.1:{port}/api/v2");
        let ready = Instant::now() + PATIENCE;
        let status = format!("{api}/status");
        let up = || runtime.block_on(async { client.get(&status).send().await.is_ok_and(|r| r.status().is_success()) });
        while !up() {
            assert!(Instant::now() < ready, "alertmanager did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Alertmanager { child, api, _dir: dir }
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn alertmanager(c: &mut Criterion) {
    let Some(binary) = Alertmanager::binary() else {
        eprintln!("alertmanager not found: its row is skipped (apt-get install prometheus-alertmanager)");
        return;
    };
    let (address, arrivals) = recording_webhook();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    let manager = Alertmanager::start(&binary, address, &runtime, &client);
    let mut invoice = 0u64;
    let mut group = criterion_group_for_slow_samples(c);
    group.bench_function("Alertmanager, group_wait 0s", |b| {
        b.iter_custom(|iterations| {
            sum_samples(iterations, || {
                invoice += 1;
                let failed_at = Instant::now();
                let error = settle_invoice(invoice).expect_err("fails");
                let alert = serde_json::json!([{
                    "labels": { "alertname": "settle_failed", "invoice": invoice.to_string() },
                    "annotations": { "summary": error.to_string() },
                }]);
                runtime.block_on(async {
                    client
                        .post(format!("{}/alerts", manager.api))
                        .json(&alert)
                        .send()
                        .await
                        .expect("posted")
                        .error_for_status()
                        .expect("accepted")
                });
                let wanted = invoice.to_string();
                let (arrived_at, _) =
                    next_arrival(&arrivals, |body| body["groupLabels"]["invoice"].as_str() == Some(wanted.as_str()));
                arrived_at - failed_at
            })
        });
    });
    group.finish();
}

criterion_group!(benches, regression_rule, count_rule, by_hand, alertmanager);
criterion_main!(benches);
