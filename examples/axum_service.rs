//! An axum service with monitor's HTTP middleware, its `tracing` logs
//! going to a fmt layer and to monitor's tracing layer, and the operator's
//! API and dashboard mounted under `/monitor`. It serves a few requests to
//! itself over loopback (one fine, one failing with 500, one panicking),
//! prints what was captured and how each route was timed, and exits.
//! Writes `monitor.db` (or the path in `MONITOR_DB`).
//!
//! Run with `cargo run -p monitor-examples --example axum_service`.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use monitor::http::{MonitorLayer, RequestId};
use monitor::store::GroupQuery;
use monitor::{Monitor, callsites, monitor};
use monitor_examples::Database;
use monitor_server::ServerConfig;
use monitor_server::auth::{Role, Tokens};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const OPERATOR_TOKEN: &str = "example-operator-token-0123456789";

#[derive(Debug)]
struct LedgerError {
    invoice: u32,
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ledger has no entry for invoice {}", self.invoice)
    }
}

impl std::error::Error for LedgerError {}

#[monitor(args(id))]
async fn load_invoice(id: u32) -> Result<String, LedgerError> {
    tokio::time::sleep(Duration::from_millis(2)).await;
    if id == 13 {
        return Err(LedgerError { invoice: id });
    }
    Ok(format!("invoice {id}: 120.00 EUR"))
}

// The span's `user` field is the context of what is captured inside it,
// and with `time_spans` the span is timed as a call site of its own.
#[tracing::instrument(skip(request), fields(user = "clerk-7"))]
async fn invoice(Path(id): Path<u32>, Extension(request): Extension<RequestId>) -> Result<String, StatusCode> {
    match load_invoice(id).await {
        Ok(text) => Ok(format!("{text} (request {request})")),
        Err(error) => {
            // Logged as the service always did: the tracing layer captures it too.
            tracing::error!(error = %error, invoice = id, "cannot answer for the invoice");
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

async fn export() -> &'static str {
    panic!("the export template is missing");
}

async fn get_path(client: &Client<HttpConnector, Empty<Bytes>>, address: SocketAddr, path: &str, token: Option<&str>) {
    let mut request = Request::get(format!("http://{address}{path}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Empty::new()).expect("a valid request");
    match client.request(request).await {
        Ok(response) => {
            let status = response.status().to_string();
            let id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
            let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            println!("GET {path:<26} {status:<28} request id {id:<32} {} bytes", body.len());
        }
        Err(error) => println!("GET {path:<26} failed: {error}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database = Database::from_env("MONITOR_DB", "monitor.db")?;
    println!("storing in {}\n", database.describe);
    let started = SystemTime::now();
    let guard = database.sink(Monitor::builder().service("invoices").environment("example")).install()?;
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_target(false).with_filter(LevelFilter::INFO))
        .with(monitor::MonitorLayer::new().time_spans(true))
        .init();

    let tokens = Tokens::none().with("operator", Role::Operator, OPERATOR_TOKEN)?;
    let app = Router::new()
        .route("/invoices/{id}", get(invoice))
        .route("/export", get(export))
        .layer(MonitorLayer::new())
        .nest("/monitor", monitor_server::router(database.store()?, ServerConfig::new(tokens)));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("serving on http://{address} (dashboard at /monitor/dashboard/)\n");

    let client = Client::builder(TokioExecutor::new()).build_http();
    for path in ["/invoices/7", "/invoices/13", "/export", "/no-such-page"] {
        get_path(&client, address, path, None).await;
    }

    println!("\n{:<24} {:>5} {:>6} {:>6}  p95 under", "route", "calls", "errors", "panics");
    for site in callsites().into_iter().filter(|site| site.module == "http" || site.function == "invoice") {
        let p95 = site.quantile_upper_bound(0.95).unwrap_or_default();
        println!("{:<24} {:>5} {:>6} {:>6}  {p95:?}", site.function, site.calls, site.errors, site.panics);
    }

    let stats = guard.shutdown();
    println!("\ncaptured {} occurrences, dropped {}\n", stats.captured, stats.total_dropped());

    let store = database.store()?;
    let groups = store
        .groups(&GroupQuery { seen_since: Some(started - Duration::from_secs(1)), ..GroupQuery::default() })
        .await?;
    for group in &groups {
        println!(
            "{:<8} {:<28} {}",
            group.severity.as_str(),
            format!("{}::{}", group.location.module, group.location.function),
            group.template
        );
    }

    println!("\nthe operator's API over the same store:");
    get_path(&client, address, "/monitor/health", None).await;
    get_path(&client, address, "/monitor/api/v1/groups", Some(OPERATOR_TOKEN)).await;
    Ok(())
}
