//! The command line: global options, subcommands and their arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::alerts::{AckArgs, AlertsArgs};
use crate::commands::audit::{AuditExportArgs, ListArgs, SummaryArgs};
use crate::commands::groups::{EventsArgs, GroupsArgs, ShowArgs};
use crate::commands::report::ReportArgs;
use crate::commands::rules::CheckArgs;
use crate::commands::tail::TailArgs;
use crate::commands::triage::{AssignArgs, NoteArgs, StatusArgs};
use crate::filters::FilterArgs;

/// Query, triage, alerts, audit, rule checks, export and retention of a
/// monitor store.
#[derive(Debug, Parser)]
#[command(name = "monitor", version, about, long_about = None, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// The store: a SQLite file (`monitor.db`) or `postgres://user@host/db`.
    #[arg(long, global = true, env = "MONITOR_DATABASE_URL", value_name = "DB")]
    pub(crate) db: Option<String>,

    /// A file of audit keys (hex, the signing key first), to verify the
    /// audit chain's MACs. Without it, MONITOR_AUDIT_KEY or
    /// MONITOR_AUDIT_KEY_FILE are read when set.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) audit_key_file: Option<PathBuf>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 done; 1 a check found a problem (a broken audit chain, a mistake in a rule file); \
2 the command could not run (bad arguments; a database missing, not a monitor store, or newer than this binary; \
a bulk change not confirmed).";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Lists error groups selected by filters, most recently seen first.
    #[command(after_help = "Examples:\n  \
        monitor groups --db monitor.db --status open --min-severity error\n  \
        monitor groups --db monitor.db --module 'payments::*' --since 24h --sort count --limit 20\n  \
        monitor groups --db monitor.db --tag tenant=acme --text timeout --json\n  \
        monitor groups --db monitor.db --after last_seen.1796380000000.00000000000000a1")]
    Groups(Box<GroupsArgs>),

    /// Shows one group: its template, counts, where it comes from, and its
    /// triage history.
    #[command(after_help = "Examples:\n  \
        monitor show --db monitor.db 6f1c0e5a9b2d4e17\n  \
        monitor show --db monitor.db 6f1c0e5a9b2d4e17 --json")]
    Show(ShowArgs),

    /// Lists the events a group stored, newest first.
    #[command(after_help = "Examples:\n  \
        monitor events --db monitor.db 6f1c0e5a9b2d4e17\n  \
        monitor events --db monitor.db 6f1c0e5a9b2d4e17 -n 100 --json")]
    Events(EventsArgs),

    /// Marks a group (or every group the filters select) resolved: seeing
    /// it again reopens it.
    #[command(after_help = "Examples:\n  \
        monitor resolve --db monitor.db 6f1c0e5a9b2d4e17 -m 'fixed in 2.4.1'\n  \
        monitor resolve --db monitor.db --module 'payments::sepa' --until 7d        # asks first\n  \
        monitor resolve --db monitor.db --status open --text 'cut-off' --yes --by ci-bot")]
    Resolve(StatusArgs),

    /// Marks groups ignored: still counted, never notified again.
    #[command(after_help = "Examples:\n  \
        monitor ignore --db monitor.db 6f1c0e5a9b2d4e17 -m 'expected during the migration'\n  \
        monitor ignore --db monitor.db --severity debug --yes")]
    Ignore(StatusArgs),

    /// Marks groups as being investigated.
    #[command(after_help = "Examples:\n  \
        monitor investigate --db monitor.db 6f1c0e5a9b2d4e17 --by alice\n  \
        monitor investigate --db monitor.db --function 'sepa::*' --status open")]
    Investigate(StatusArgs),

    /// Opens groups again.
    #[command(after_help = "Examples:\n  \
        monitor reopen --db monitor.db 6f1c0e5a9b2d4e17 -m 'seen again after the fix'\n  \
        monitor reopen --db monitor.db --status ignored --module billing --yes")]
    Reopen(StatusArgs),

    /// Assigns groups to someone (or to nobody).
    #[command(after_help = "Examples:\n  \
        monitor assign --db monitor.db 6f1c0e5a9b2d4e17 --to bob\n  \
        monitor assign --db monitor.db --module 'payments::*' --status open --to payments-team --yes\n  \
        monitor assign --db monitor.db 6f1c0e5a9b2d4e17 --nobody")]
    Assign(AssignArgs),

    /// Adds a note to groups.
    #[command(after_help = "Examples:\n  \
        monitor note --db monitor.db 6f1c0e5a9b2d4e17 -m 'the bank moved its cut-off to 15:00'\n  \
        monitor note --db monitor.db --text 'cut-off' -m 'see incident 2026-12-01' --yes")]
    Note(NoteArgs),

    /// Lists incidents: those still firing by default, or all of them.
    #[command(after_help = "Examples:\n  \
        monitor alerts --db monitor.db\n  \
        monitor alerts --db monitor.db --history --rule too_many_errors --since 7d\n  \
        monitor alerts --db monitor.db --status acknowledged --json")]
    Alerts(AlertsArgs),

    /// Reports a period as a scheduled summary does: errors by severity,
    /// new groups, regressions, top groups, the slowest functions, alerts
    /// with their mean times to acknowledge and resolve, and audit records
    /// per process with their compliant share.
    #[command(after_help = "Examples:\n  \
        monitor report --db monitor.db\n  \
        monitor report --db monitor.db --since 7d\n  \
        monitor report --db monitor.db --since 2026-12-01 --until 2026-12-02 --json")]
    Report(ReportArgs),

    /// Acknowledges an incident: no repeat notifications until it resolves
    /// or its severity rises.
    #[command(after_help = "Examples:\n  \
        monitor ack --db monitor.db 42\n  \
        monitor ack --db monitor.db 42 --comment 'bank gateway down, on it' --by alice")]
    Ack(AckArgs),

    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),

    /// Alert rule files.
    #[command(subcommand)]
    Rules(RulesCommand),

    /// Shows the newest events, and with -f each new one as it is stored.
    #[command(after_help = "Examples:\n  \
        monitor tail --db monitor.db -n 20\n  \
        monitor tail --db monitor.db -f --min-severity error --service billing\n  \
        monitor tail --db postgres://monitor@db/monitor -f --interval 5s --json")]
    Tail(TailArgs),

    /// Writes groups, events or audit records to a file (CSV, JSON, NDJSON,
    /// XML, Excel or a PDF report), selected by filters.
    #[command(after_help = "Examples:\n  \
        monitor export --db monitor.db --what audit --format pdf --out audit.pdf --since 30d\n  \
        monitor export --db monitor.db --what events --format csv --out errors.csv --min-severity error --module 'payments::*'\n  \
        monitor export --db postgres://monitor@db/monitor --what groups --format xlsx --out groups.xlsx --fields key,template,count")]
    Export(Box<ExportArgs>),

    /// Shows what a retention policy would remove (`plan`) or removes it
    /// (`apply`): old events by age, severity, kind, pattern and size; old
    /// audit records only archived to files first.
    #[command(subcommand)]
    Retention(RetentionCommand),

    /// Serves the HTTP API: groups, triage, performance, alerts, audit, a
    /// live stream, webhook intake and metrics, with bearer tokens and roles.
    #[command(after_help = "Examples:\n  \
        MONITOR_API_TOKENS=ops:operator:$(cat ops.token) monitor serve --db monitor.db\n  \
        monitor serve --db postgres://monitor@db/monitor --listen 0.0.0.0:9300 --tokens-file tokens.txt\n  \
        MONITOR_WEBHOOK_SECRET=$(cat webhook.secret) monitor serve --db monitor.db --rules rules.toml\n\n\
        Tokens: MONITOR_API_TOKENS=name:role:token,… and/or a file of hashed tokens (--tokens-file or\n\
        MONITOR_API_TOKENS_FILE), lines written by `monitor token new`. Roles: viewer, operator, admin.")]
    Serve(Box<crate::commands::serve::ServeArgs>),

    /// Makes API tokens: `monitor token new --name grafana --role viewer`.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Makes a random token, prints it once, and prints the line of the
    /// token file that lets it in (only its hash).
    #[command(after_help = "Examples:\n  \
        monitor token new --name grafana --role viewer\n  \
        monitor token new --name oncall --role operator >> tokens.txt   # the token itself goes to stderr")]
    New(crate::commands::serve::TokenArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// What to export: audit, groups or events.
    #[arg(long)]
    pub(crate) what: String,
    /// csv, json, ndjson, xml, xlsx or pdf (default: from the file's extension).
    #[arg(long)]
    pub(crate) format: Option<String>,
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// The fields, in order, separated by commas (default: all).
    #[arg(long)]
    pub(crate) fields: Option<String>,
    #[command(flatten)]
    pub(crate) filters: FilterArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RetentionCommand {
    /// What the policy would remove now, changing nothing.
    #[command(after_help = "Examples:\n  \
        monitor retention plan --db monitor.db\n  \
        monitor retention plan --db monitor.db --max-age 14d --keep critical=1y --max-size 500MiB")]
    Plan(PolicyArgs),
    /// Removes what the policy says, in small transactions, and archives
    /// old audit records when the policy names them.
    #[command(after_help = "Examples:\n  \
        monitor retention apply --db monitor.db --policy retention.toml\n  \
        monitor retention apply --db monitor.db --audit-older-than 1y --archive-dir /srv/audit-archive")]
    Apply(PolicyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// A policy file (TOML: max_age, severity, kind, patterns, max_size,
    /// audit, counts_max_age); the options below change it. Default policy:
    /// events 30 days, the counts charts read 400 days.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Events older than this go (`30d`; `none` keeps them by age).
    #[arg(long, value_name = "AGE")]
    pub(crate) max_age: Option<String>,
    /// Keep events of a severity this long: `critical=1y`, `debug=7d`.
    #[arg(long, value_name = "SEVERITY=AGE")]
    pub(crate) keep: Vec<String>,
    /// Keep events of a kind this long: `panic=90d`.
    #[arg(long, value_name = "KIND=AGE")]
    pub(crate) keep_kind: Vec<String>,
    /// Keep the events under this size, the oldest, lowest-severity first: `500MiB`.
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_size: Option<String>,
    /// The counts charts read (per group and minute, per function and
    /// minute, hourly totals) older than this go (`400d`; `none` keeps them).
    #[arg(long, value_name = "AGE")]
    pub(crate) counts_max_age: Option<String>,
    /// Archive audit records older than this (with --archive-dir).
    #[arg(long, value_name = "AGE", requires = "archive_dir")]
    pub(crate) audit_older_than: Option<String>,
    /// Where archived audit segments are written (NDJSON files).
    #[arg(long, value_name = "DIR", requires = "audit_older_than")]
    pub(crate) archive_dir: Option<PathBuf>,
    /// Print JSON instead of lines for people.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Lists audit records selected by filters, oldest first.
    #[command(after_help = "Examples:\n  \
        monitor audit list --db monitor.db --process sepa_mandate_creation --status failed --since 7d\n  \
        monitor audit list --db monitor.db --actor clerk-7 --reference MNDT-2026-0042\n  \
        monitor audit list --db monitor.db --limit 1000 --after 5000 --json")]
    List(ListArgs),

    /// Counts audit records per process and compliance status, in total and
    /// per day.
    #[command(after_help = "Examples:\n  \
        monitor audit summary --db monitor.db\n  \
        monitor audit summary --db monitor.db --since 2026-11-01 --until 2026-12-01 --process sepa_bank_submission --json")]
    Summary(SummaryArgs),

    /// Verifies the audit chain (and archive files, when given); exits 1 on a
    /// break, naming the row.
    #[command(after_help = "Examples:\n  \
        monitor audit verify --db monitor.db --audit-key-file audit.keys\n  \
        monitor audit verify --db monitor.db --archive archive/audit-000001-005000.ndjson")]
    Verify(VerifyArgs),

    /// Writes audit records to a file: `monitor export --what audit`.
    #[command(after_help = "Examples:\n  \
        monitor audit export --db monitor.db --format pdf --out audit.pdf --since 2026-11-01 --until 2026-12-01\n  \
        monitor audit export --db monitor.db --out failed.xlsx --process sepa_bank_submission --compliance failed")]
    Export(Box<AuditExportArgs>),
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Checks rule files with the validator the monitor uses: every mistake
    /// as `file:line:column: message` on standard error, exit 1 on any.
    #[command(after_help = "Examples:\n  \
        monitor rules check alerts.toml\n  \
        monitor rules check config/alerts/*.toml --json")]
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Archive files written by `retention apply`, proved together with the
    /// rows still in the store.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub(crate) archive: Vec<PathBuf>,
    /// Print JSON instead of a line for people.
    #[arg(long)]
    pub(crate) json: bool,
}
