//! Each subcommand, run against the store it names.

pub(crate) mod alerts;
pub(crate) mod audit;
mod export;
pub(crate) mod groups;
pub(crate) mod report;
mod retention;
pub(crate) mod rules;
pub(crate) mod serve;
pub(crate) mod tail;
pub(crate) mod triage;

use std::process::ExitCode;

use monitor_runtime::GroupStatus;

use crate::cli::{AuditCommand, Cli, Command, RetentionCommand, RulesCommand, TokenCommand};
use crate::failure::{Failure, Result};

/// Runs the command; `Err` is a command that could not run (exit 2).
pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    let Cli { db, audit_key_file, command } = cli;
    // Checking rule files needs no store.
    let command = match command {
        Command::Rules(RulesCommand::Check(args)) => return rules::check(args),
        Command::Token(TokenCommand::New(args)) => return serve::new_token(args),
        other => other,
    };
    // Opening may connect to a server and migrate it: done before the
    // runtime, as the library asks of blocking calls.
    let store = crate::open::store(db.as_deref(), audit_key_file.as_ref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Failure(format!("starting the async runtime failed: {error}")))?;
    runtime.block_on(async move {
        match command {
            Command::Groups(args) => groups::list(store, *args).await,
            Command::Show(args) => groups::show_one(store, args).await,
            Command::Events(args) => groups::events(store, args).await,
            Command::Resolve(args) => triage::status(store, args, GroupStatus::Resolved).await,
            Command::Ignore(args) => triage::status(store, args, GroupStatus::Ignored).await,
            Command::Investigate(args) => triage::status(store, args, GroupStatus::Investigating).await,
            Command::Reopen(args) => triage::status(store, args, GroupStatus::Open).await,
            Command::Assign(args) => triage::assign(store, args).await,
            Command::Note(args) => triage::note(store, args).await,
            Command::Alerts(args) => alerts::list(store, args).await,
            Command::Report(args) => report::run(store, args).await,
            Command::Ack(args) => alerts::ack(store, args).await,
            Command::Tail(args) => tail::run(store, args).await,
            Command::Export(args) => export::run(store, *args).await,
            Command::Retention(RetentionCommand::Plan(args)) => retention::plan(store, args).await,
            Command::Retention(RetentionCommand::Apply(args)) => retention::apply(store, args).await,
            Command::Audit(AuditCommand::List(args)) => audit::list(store, args).await,
            Command::Audit(AuditCommand::Summary(args)) => audit::summary(store, args).await,
            Command::Audit(AuditCommand::Verify(args)) => audit::verify(store, args).await,
            Command::Audit(AuditCommand::Export(args)) => export::run(store, (*args).into()).await,
            Command::Serve(args) => serve::run(store, db.unwrap_or_default(), *args).await,
            Command::Rules(RulesCommand::Check(args)) => rules::check(args),
            Command::Token(TokenCommand::New(args)) => serve::new_token(args),
        }
    })
}
