//! `monitor audit verify`: walks the audit chain, archives included when
//! given, and exits 1 on a break, naming the row.

use std::process::ExitCode;
use std::sync::Arc;

use monitor_sinks::store::{ChainCheck, Store};
use serde_json::json;

use crate::cli::VerifyArgs;
use crate::failure::Result;

pub(crate) async fn verify(store: Arc<dyn Store>, args: VerifyArgs) -> Result<ExitCode> {
    let report = if args.archive.is_empty() {
        store.verify_audit_chain().await?
    } else {
        store.verify_audit_chain_with_archives(&args.archive).await?
    };
    let broken = report.first_broken.as_ref();
    if args.json {
        let check = match &report.check {
            ChainCheck::Keyed => "keyed".to_owned(),
            ChainCheck::UnkeyedLinksOnly => "unkeyed_links_only".to_owned(),
            ChainCheck::KeyMissing { key_ids } => format!("key_missing:{}", key_ids.join(",")),
        };
        let value = json!({
            "intact": broken.is_none(),
            "rows": report.rows,
            "first_broken": broken.map(|link| json!({"seq": link.seq, "reason": link.reason})),
            "check": check,
            "archived_up_to": report.archived_up_to,
            "archive_files_checked": report.archive_files_checked,
            "report": report.to_string(),
        });
        println!("{value:#}");
    } else {
        println!("{}: {report}", store.describe());
    }
    Ok(if broken.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
