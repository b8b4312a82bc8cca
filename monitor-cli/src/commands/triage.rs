//! `monitor resolve|ignore|investigate|reopen|assign|note`: a triage change
//! to one group, or to every group that filters select. A bulk change says
//! how many groups it takes and is confirmed first: on a terminal by a
//! question, elsewhere only by `--yes`, so a script cannot change hundreds
//! of groups by a slip of a filter.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use monitor_runtime::{GroupKey, GroupStatus};
use monitor_sinks::store::{GroupChange, Store, StoredGroup};
use serde_json::json;

use crate::commands::groups::{existing, key};
use crate::failure::{Failure, Result};
use crate::filters::GroupFilters;
use crate::json;
use crate::table::one_line;

/// Groups listed in the confirmation question; the rest are counted.
const SHOWN_BEFORE_ASKING: usize = 10;

/// Which groups a change takes and who makes it: the part every triage
/// command shares.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// The group's key, as `monitor groups` shows it. Without it, the
    /// change takes every group the filters select.
    pub(crate) key: Option<String>,
    #[command(flatten)]
    pub(crate) filters: GroupFilters,
    /// Every group: a bulk change without filters must say so.
    #[arg(long)]
    pub(crate) all: bool,
    /// Who makes the change, for the history and the audit log (default:
    /// the USER environment variable).
    #[arg(long, value_name = "NAME")]
    pub(crate) by: Option<String>,
    /// Change the groups a bulk change selects without asking; needed when
    /// standard input is not a terminal.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Print one JSON document instead of a line for people.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// A note kept with the change: why.
    #[arg(long, short = 'm', value_name = "TEXT")]
    pub(crate) note: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct AssignArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Who the groups are assigned to.
    #[arg(long, value_name = "NAME", required_unless_present = "nobody", conflicts_with = "nobody")]
    pub(crate) to: Option<String>,
    /// Take the assignment away.
    #[arg(long)]
    pub(crate) nobody: bool,
    /// A note kept with the change.
    #[arg(long, short = 'm', value_name = "TEXT")]
    pub(crate) note: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct NoteArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// The note.
    #[arg(long, short = 'm', value_name = "TEXT")]
    pub(crate) note: String,
}

/// What a triage command does, in words for its messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Action {
    /// As asked: `resolve`.
    verb: &'static str,
    /// As done: `resolved`.
    done: &'static str,
    /// What a group is after it: `resolved` (`open` after `reopen`).
    state: &'static str,
}

/// Sets a group's status (resolve, ignore, investigate, reopen).
pub(crate) async fn status(store: Arc<dyn Store>, args: StatusArgs, status: GroupStatus) -> Result<ExitCode> {
    let action = match status {
        GroupStatus::Resolved => Action { verb: "resolve", done: "resolved", state: "resolved" },
        GroupStatus::Ignored => Action { verb: "ignore", done: "ignored", state: "ignored" },
        GroupStatus::Investigating => {
            Action { verb: "mark as investigating", done: "marked as investigating", state: "investigating" }
        }
        GroupStatus::Open => Action { verb: "reopen", done: "reopened", state: "open" },
    };
    let mut change = GroupChange::by(actor(args.target.by.as_deref())?).status(status);
    if let Some(note) = args.note {
        change = change.note(note);
    }
    apply(store, args.target, change, action).await
}

pub(crate) async fn assign(store: Arc<dyn Store>, args: AssignArgs) -> Result<ExitCode> {
    let change = GroupChange::by(actor(args.target.by.as_deref())?);
    let (mut change, action) = match args.to {
        Some(to) if !args.nobody => (change.assign(to), Action { verb: "assign", done: "assigned", state: "assigned" }),
        _ => (change.unassign(), Action { verb: "unassign", done: "unassigned", state: "unassigned" }),
    };
    if let Some(note) = args.note {
        change = change.note(note);
    }
    apply(store, args.target, change, action).await
}

pub(crate) async fn note(store: Arc<dyn Store>, args: NoteArgs) -> Result<ExitCode> {
    let change = GroupChange::by(actor(args.target.by.as_deref())?).note(args.note);
    apply(store, args.target, change, Action { verb: "add a note to", done: "noted", state: "noted" }).await
}

/// Who makes a change: `--by`, else the login name the environment gives.
pub(crate) fn actor(by: Option<&str>) -> Result<String> {
    let from_env = || std::env::var("USER").or_else(|_| std::env::var("USERNAME")).ok();
    match by.map(str::to_owned).or_else(from_env) {
        Some(name) if !name.trim().is_empty() => Ok(name),
        _ => Err(Failure("who makes the change? pass --by NAME (the USER environment variable is not set)".to_owned())),
    }
}

async fn apply(store: Arc<dyn Store>, target: Target, change: GroupChange, action: Action) -> Result<ExitCode> {
    // A bad note or an empty name is refused before anything is counted.
    change.validate()?;
    let bulk = target.all || !target.filters.is_empty();
    let (matched, changed) = match target.key.as_deref() {
        Some(_) if bulk => {
            return Err(Failure(
                "give either a KEY or filters (or --all), not both: a key names one group already".to_owned(),
            ));
        }
        Some(text) => {
            let key = key(text)?;
            existing(&*store, key).await?;
            let changed = store.change_group(key, &change).await?;
            (vec![key], u64::from(changed))
        }
        None if !bulk => {
            return Err(Failure(format!(
                "which groups? give a KEY, filters such as --status open --module 'payments::*', or --all to {} every group",
                action.verb
            )));
        }
        None => {
            let query = target.filters.groups(SystemTime::now(), usize::MAX)?;
            let groups = store.groups(&query).await?;
            if !groups.is_empty() && !target.yes {
                confirm(&groups, action).await?;
            }
            let keys: Vec<GroupKey> = groups.iter().map(|group| group.key).collect();
            let changed = monitor_server::triage::change_these(&*store, &query, &keys, &change).await?;
            (keys, changed)
        }
    };
    if target.json {
        json::print(&json!({
            "matched": matched.len(),
            "changed": changed,
            "groups": matched.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }))?;
    } else if let (Some(_), [key], 0) = (&target.key, matched.as_slice(), changed) {
        println!("{key} is already {}: nothing changed", action.state);
    } else {
        println!("{}", said(action, matched.len(), changed));
    }
    Ok(ExitCode::SUCCESS)
}

fn said(action: Action, matched: usize, changed: u64) -> String {
    let groups = |n: u64| if n == 1 { "1 group".to_owned() } else { format!("{n} groups") };
    let matched = matched as u64;
    match (matched, changed) {
        (0, _) => "no group matches: nothing changed".to_owned(),
        (m, c) if m == c => format!("{}: {}", action.done, groups(c)),
        (m, c) => format!("{}: {} of the {} that match (the others were already so)", action.done, groups(c), m),
    }
}

/// Asks on the terminal before a bulk change; refuses where nobody can
/// answer.
async fn confirm(groups: &[StoredGroup], action: Action) -> Result<()> {
    let n = groups.len();
    if !std::io::stdin().is_terminal() {
        return Err(Failure(format!(
            "{n} group{} match: standard input is not a terminal, so nobody can confirm; add --yes to {} them",
            if n == 1 { "" } else { "s" },
            action.verb
        )));
    }
    let question = question(groups, action);
    // Reading the terminal blocks: not on the runtime's own threads.
    let yes = tokio::task::spawn_blocking(move || ask(&question, std::io::stdin().lock(), std::io::stderr()))
        .await
        .map_err(|error| Failure(format!("asking for confirmation failed: {error}")))??;
    if yes { Ok(()) } else { Err(Failure("not confirmed: nothing changed".to_owned())) }
}

/// The groups a bulk change takes (the first few) and the question.
fn question(groups: &[StoredGroup], action: Action) -> String {
    let n = groups.len();
    let mut question = String::new();
    for group in groups.iter().take(SHOWN_BEFORE_ASKING) {
        question.push_str(&format!(
            "  {}  {:<13}  {:>8}  {}\n",
            group.key,
            group.status.as_str(),
            group.count,
            one_line(&group.template)
        ));
    }
    if n > SHOWN_BEFORE_ASKING {
        question.push_str(&format!("  … and {} more\n", n - SHOWN_BEFORE_ASKING));
    }
    let verb = capitalised(action.verb);
    question.push_str(&if n == 1 {
        format!("{verb} this group? [y/N] ")
    } else {
        format!("{verb} these {n} groups? [y/N] ")
    });
    question
}

/// Writes the question and reads the answer: only `y` or `yes` agrees, so
/// a stray Enter changes nothing.
fn ask(question: &str, mut answers: impl BufRead, mut out: impl Write) -> std::io::Result<bool> {
    out.write_all(question.as_bytes())?;
    out.flush()?;
    let mut answer = String::new();
    answers.read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_how_many_changed_of_how_many_matched() {
        let action = Action { verb: "resolve", done: "resolved", state: "resolved" };
        assert_eq!(said(action, 3, 3), "resolved: 3 groups");
        assert_eq!(said(action, 1, 1), "resolved: 1 group");
        assert_eq!(said(action, 4, 1), "resolved: 1 group of the 4 that match (the others were already so)");
        assert_eq!(said(action, 0, 0), "no group matches: nothing changed");
        assert_eq!(capitalised("mark as investigating"), "Mark as investigating");
    }

    fn group(n: u64) -> StoredGroup {
        StoredGroup {
            key: GroupKey(n),
            template: format!("refused batch {n}"),
            location: monitor_runtime::Location {
                module: "payments::sepa".into(),
                function: "submit".into(),
                file: "src/sepa.rs".into(),
                line: 7,
            },
            error_type: None,
            severity: monitor_runtime::Severity::Error,
            status: GroupStatus::Open,
            count: n,
            first_seen: SystemTime::UNIX_EPOCH,
            last_seen: SystemTime::UNIX_EPOCH,
            merged_into: None,
            assignee: None,
        }
    }

    #[test]
    fn a_bulk_change_lists_the_first_groups_and_only_yes_agrees() {
        let action = Action { verb: "resolve", done: "resolved", state: "resolved" };
        let groups: Vec<StoredGroup> = (1..=12).map(group).collect();
        let asked = question(&groups, action);
        assert_eq!(asked.lines().filter(|line| line.contains("refused batch")).count(), SHOWN_BEFORE_ASKING);
        assert!(asked.contains("… and 2 more"), "{asked}");
        assert!(asked.ends_with("Resolve these 12 groups? [y/N] "), "{asked}");
        assert!(question(&groups[..1], action).ends_with("Resolve this group? [y/N] "));
        for (answer, agreed) in
            [("y\n", true), ("YES\n", true), ("\n", false), ("n\n", false), ("", false), ("yep\n", false)]
        {
            let mut shown = Vec::new();
            assert_eq!(ask(&asked, answer.as_bytes(), &mut shown).unwrap(), agreed, "{answer:?}");
            assert_eq!(String::from_utf8(shown).unwrap(), asked, "the question is shown before the answer");
        }
    }

    #[test]
    fn the_actor_is_given_or_the_login_name() {
        assert_eq!(actor(Some("alice")).unwrap(), "alice");
        assert!(actor(Some("  ")).is_err());
    }
}
