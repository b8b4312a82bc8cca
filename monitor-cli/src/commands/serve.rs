//! `monitor serve`: the HTTP API over the store, until Ctrl-C or SIGTERM;
//! and `monitor token new`, which makes the tokens it takes.
//!
//! The server installs a monitor of its own, writing to the same store:
//! alerts received by the webhook intake become events through it (and
//! fire the rules of `--rules`, delivered to the destinations the
//! environment names), and its metrics are what `/metrics` shows.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use metrics_exporter_prometheus::PrometheusBuilder;
use monitor_runtime::Monitor;
use monitor_runtime::alerts::AlertConfig;
use monitor_server::ServerConfig;
use monitor_server::auth::{Role, Tokens, hashed_line};
use monitor_server::webhook::{SECRET_ENV, WebhookSecret};
use monitor_sinks::delivery::DeliveryOptions;
use monitor_sinks::postgres::PostgresSink;
use monitor_sinks::sqlite::SqliteSink;
use monitor_sinks::store::Store;

use crate::failure::{Failure, Result};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:9300", value_name = "ADDRESS")]
    pub(crate) listen: SocketAddr,
    /// A file of hashed tokens (lines from `monitor token new`), besides
    /// MONITOR_API_TOKENS and MONITOR_API_TOKENS_FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) tokens_file: Option<PathBuf>,
    /// A file holding the webhook secret (else MONITOR_WEBHOOK_SECRET);
    /// without one, the webhook intake refuses every delivery.
    #[arg(long, value_name = "FILE")]
    pub(crate) webhook_secret_file: Option<PathBuf>,
    /// Lets a browser on this origin call the API (repeat for more).
    #[arg(long, value_name = "ORIGIN")]
    pub(crate) cors_origin: Vec<String>,
    /// Alert rules for what the webhook intake receives (a rule file, as
    /// `monitor rules check` reads it).
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// The token's name: the actor the audit log records for its changes.
    #[arg(long)]
    pub(crate) name: String,
    /// viewer, operator or admin.
    #[arg(long)]
    pub(crate) role: String,
}

/// Prints a new random token on standard error (once: it is not kept) and
/// its token-file line on standard output.
pub(crate) fn new_token(args: TokenArgs) -> Result<ExitCode> {
    let role: Role = args.role.parse().map_err(|error: monitor_server::auth::AuthError| Failure(error.0))?;
    let bytes: [u8; 32] = rand::random();
    let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let line = hashed_line(&args.name, role, &token).map_err(|error| Failure(error.0))?;
    eprintln!("token for {} ({}), shown once: {token}", args.name, role.as_str());
    println!("{line}");
    Ok(ExitCode::SUCCESS)
}

fn tokens(args: &ServeArgs) -> Result<Tokens> {
    let mut tokens = Tokens::from_env().map_err(|error| Failure(error.0))?;
    if let Some(path) = &args.tokens_file {
        let from_file = Tokens::from_file(path).map_err(|error| Failure(error.0))?;
        tokens = tokens.merged(from_file).map_err(|error| Failure(error.0))?;
    }
    Ok(tokens)
}

fn webhook_secret(args: &ServeArgs) -> Result<Option<WebhookSecret>> {
    let text =
        match &args.webhook_secret_file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|error| {
                Failure(format!("reading the webhook secret file {} failed: {error}", path.display()))
            })?),
            None => std::env::var(SECRET_ENV).ok(),
        };
    text.map(|text| WebhookSecret::new(text.trim()).map_err(Failure)).transpose()
}

pub(crate) async fn run(store: Arc<dyn Store>, db: String, args: ServeArgs) -> Result<ExitCode> {
    let tokens = tokens(&args)?;
    let secret = webhook_secret(&args)?;
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|error| Failure(format!("installing the metrics recorder failed: {error}")))?;
    monitor_server::describe_metrics();
    let mut builder = Monitor::builder();
    builder = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        builder.sink(PostgresSink::new(&db))
    } else {
        builder.sink(SqliteSink::new(&db))
    };
    if let Some(path) = &args.rules {
        let rules = AlertConfig::from_path(path).map_err(|errors| Failure(errors.to_string()))?;
        let delivery = DeliveryOptions::from_env().map_err(|error| Failure(error.to_string()))?;
        builder = builder.alerts(rules).delivery(delivery.service("monitor"));
    }
    let guard = builder.install().map_err(|error| Failure(format!("starting the monitor failed: {error}")))?;

    let mut config = ServerConfig::new(tokens.clone()).metrics(metrics);
    if let Some(secret) = secret.clone() {
        config = config.webhook_secret(secret);
    }
    for origin in &args.cors_origin {
        config = config.cors_origin(origin.clone());
    }
    let app = monitor_server::router(store.clone(), config);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| Failure(format!("listening on {} failed: {error}", args.listen)))?;
    let address = listener.local_addr()?;
    // The first line says where: scripts and tests read it. A reader that
    // went away after it (a closed pipe) does not stop the server.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "serving {} at http://{address}", store.describe());
    let _ = writeln!(
        out,
        "  {} token{}{}; webhook intake {}",
        tokens.len(),
        if tokens.len() == 1 { "" } else { "s" },
        if tokens.is_empty() { " (set MONITOR_API_TOKENS or --tokens-file: the API refuses every call)" } else { "" },
        if secret.is_some() { "on" } else { "off (no MONITOR_WEBHOOK_SECRET)" }
    );
    let _ = out.flush();
    drop(out);
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped())
        .await
        .map_err(|error| Failure(format!("serving failed: {error}")))?;
    let stats = guard.shutdown();
    eprintln!("stopped: {} received alerts stored, {} dropped", stats.written, stats.total_dropped());
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or SIGTERM where there are signals (a service manager's stop).
async fn stopped() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
